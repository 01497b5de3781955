// The curve plot under a run of a million steps: it never holds more than kMaxPoints, each
// drawn point is the mean of the points it stands for (so the curve's mean is the data's),
// the legend says so, and a new curve starts at full resolution again.
#include "curve_plot.h"

#include <QApplication>
#include <QTest>
#include <qcustomplot.h>

#include <cmath>

using traindx::widgets::CurvePlot;

class TestCurvePlot : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void aMillionPointsDrawAsBoundedMeans()
    {
        CurvePlot plot;
        const QString name = QStringLiteral("batch loss");
        plot.setCurve(name, {}, {}, 0);
        constexpr int kPoints = 1000000, kChunk = 997; // chunks that straddle the buckets
        double sum = 0;
        for (int first = 0; first < kPoints; first += kChunk) {
            QVector<double> xs, ys;
            for (int i = first; i < std::min(kPoints, first + kChunk); ++i) {
                xs.append(i);
                ys.append(std::sin(i * 0.001) + (i % 2 ? 0.5 : -0.5)); // batch noise on a slow wave
                sum += ys.last();
            }
            plot.appendToCurve(name, xs, ys);
            QVERIFY(plot.pointCount(name) <= CurvePlot::kMaxPoints);
        }
        const int stride = plot.stride(name);
        QCOMPARE(stride, 64); // 1e6 / 64 = 15625 points: the first power of two under the bound
        QCOMPARE(plot.pointCount(name), kPoints / stride);
        const auto data = plot.plot()->graph(0)->data();
        double drawn = 0;
        for (int i = 0; i < data->size(); ++i)
            drawn += data->at(i)->value;
        QVERIFY(std::abs(drawn * stride - sum) < 1e-6 * kPoints);
        // The noise of single batches averages out in each drawn point.
        for (int i = 0; i < data->size(); ++i)
            QVERIFY(std::abs(data->at(i)->value) <= 1.0 + 1e-9);
        QCOMPARE(data->at(data->size() - 1)->key, double(kPoints - 1));
        QVERIFY(plot.plot()->graph(0)->name().contains(QStringLiteral("means of 64")));

        plot.setCurve(name, {0, 1, 2}, {1, 2, 3}, 0);
        QCOMPARE(plot.pointCount(name), 3);
        QCOMPARE(plot.stride(name), 1);
        QCOMPARE(plot.plot()->graph(0)->name(), name);
    }
};

QTEST_MAIN(TestCurvePlot)
#include "tst_curve_plot.moc"
