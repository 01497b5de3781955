// The curve plot under a run of a million steps: it never holds more than kMaxPoints, each
// drawn point is the mean of the points it stands for (so the curve's mean is the data's),
// the legend says so, and a new curve starts at full resolution again. Exploring: the value
// under the cursor, a zoom that new points leave alone until a double-click resets it, the
// loss and accuracy plots sharing their steps, and the smoothed batch loss.
#include "curve_plot.h"
#include "curves_panel.h"

#include <QApplication>
#include <QTest>
#include <qcustomplot.h>

#include <cmath>

using traindx::widgets::CurvePlot;

class TestCurvePlot : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void theValueUnderTheCursorIsTheNearestPoint()
    {
        CurvePlot plot;
        plot.setCurve(QStringLiteral("batch loss"), {0, 10, 20}, {2.5, 1.25, 0.75}, 0);
        QCOMPARE(plot.valueAt(12), QStringLiteral("batch loss: 1.25 (step 10)"));
        QCOMPARE(plot.valueAt(17), QStringLiteral("batch loss: 0.75 (step 20)"));
    }

    // The legend keeps out of the curve's way: top right over a falling loss, bottom right
    // under a rising accuracy.
    void theLegendSitsWhereTheCurveIsNot()
    {
        CurvePlot loss, accuracy;
        QVector<double> steps, falling, rising;
        for (int i = 0; i < 100; ++i) {
            steps.append(i);
            falling.append(2.0 / (1 + i));
            rising.append(1.0 - 0.5 / (1 + i));
        }
        loss.setCurve(QStringLiteral("batch loss"), steps, falling, 0);
        accuracy.setCurve(QStringLiteral("batch accuracy"), steps, rising, 0);
        QCOMPARE(loss.plot()->axisRect()->insetLayout()->insetAlignment(0), Qt::AlignRight | Qt::AlignTop);
        QCOMPARE(accuracy.plot()->axisRect()->insetLayout()->insetAlignment(0), Qt::AlignRight | Qt::AlignBottom);
    }

    void aZoomStaysUntilADoubleClick()
    {
        CurvePlot plot;
        plot.resize(400, 300);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        plot.setCurve(QStringLiteral("batch loss"), {0, 100}, {1, 0.5}, 0);
        QCOMPARE(plot.plot()->xAxis->range().upper, 100.0);
        QTest::mousePress(plot.plot(), Qt::LeftButton, {}, QPoint(200, 150));
        QTest::mouseRelease(plot.plot(), Qt::LeftButton, {}, QPoint(200, 150));
        plot.plot()->xAxis->setRange(20, 40); // as a wheel zoom leaves it
        plot.appendToCurve(QStringLiteral("batch loss"), {200}, {0.25});
        QVERIFY(!plot.following());
        QCOMPARE(plot.plot()->xAxis->range().upper, 40.0);
        QTest::mouseDClick(plot.plot(), Qt::LeftButton, {}, QPoint(200, 150));
        QVERIFY(plot.following());
        QCOMPARE(plot.plot()->xAxis->range().upper, 200.0);
    }

    void lossAndAccuracyShareTheirStepsAndTheLossSmooths()
    {
        traindx::CurvesPanel panel;
        auto state = std::make_shared<traindx::RunState>();
        for (int i = 0; i < 100; ++i) {
            traindx::BatchPoint p;
            p.step = i;
            p.loss = i % 2 ? 2.0 : 0.0; // noise around a mean of 1
            p.accuracy = 0.5;
            p.hasAccuracy = true;
            state->points.append(p);
        }
        panel.setState(state);
        panel.lossPlot()->plot()->xAxis->setRange(10, 30);
        QCOMPARE(panel.accuracyPlot()->plot()->xAxis->range().lower, 10.0);
        QCOMPARE(panel.accuracyPlot()->plot()->xAxis->range().upper, 30.0);

        panel.setSmoothing(0.9);
        const QString smoothed = traindx::CurvesPanel::smoothedName();
        QCOMPARE(panel.lossPlot()->pointCount(smoothed), 100);
        const auto* curve = panel.lossPlot()->plot()->graph(panel.lossPlot()->plot()->graphCount() - 1);
        QCOMPARE(curve->name(), smoothed);
        QCOMPARE(curve->data()->at(0)->value, 0.0); // the start-up correction: no pull towards 0
        QVERIFY(std::abs(curve->data()->at(99)->value - 1.0) < 0.15); // the noise averaged away
        panel.setSmoothing(0);
        QCOMPARE(panel.lossPlot()->pointCount(smoothed), 0);
    }

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
