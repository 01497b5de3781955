// The histogram panel on a layer whose values are all NaN or infinite: it says so, with the
// counts, where an empty plot would say nothing.
#include "histogram_panel.h"
#include "histogram_plot.h"
#include "plot_export.h"

#include <QApplication>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <qcustomplot.h>

#include <limits>

using namespace traindx;

class TestHistogramPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Values per bin by default (a spike reads as its count, not 3e7), fractions that sum
    // to 1, the bin under the cursor, and the legend over the emptier side.
    void binsReadAsCountsOrFractions()
    {
        widgets::HistogramPlot plot;
        widgets::HistogramSeries series;
        series.lo = 0;
        series.hi = 4;
        series.bins = {1, 2, 3, 10};
        series.label = QStringLiteral("epoch 3");
        plot.setSeries({series});
        QCOMPARE(plot.scale(), widgets::HistogramScale::Count);
        QCOMPARE(plot.plot()->yAxis->label(), QStringLiteral("values per bin"));
        double highest = 0;
        for (auto it = plot.plot()->graph(0)->data()->constBegin(); it != plot.plot()->graph(0)->data()->constEnd(); ++it)
            highest = std::max(highest, it->value);
        QCOMPARE(highest, 10.0);
        QCOMPARE(plot.valueAt(3.5), QStringLiteral("[3, 4): 10 values (epoch 3)"));
        QVERIFY(plot.valueAt(5).isEmpty());
        QCOMPARE(plot.plot()->axisRect()->insetLayout()->insetAlignment(0), Qt::AlignTop | Qt::AlignLeft);

        // CSV export writes the bins, not the outline drawn from them.
        QTemporaryDir dir;
        QString error;
        const QString csv = dir.filePath(QStringLiteral("bins.csv"));
        QVERIFY2(widgets::exportPlot(plot.plot(), csv, &error), qPrintable(error));
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 5);
        QCOMPARE(lines.first(), QStringLiteral("series,bin_low,bin_high,count"));
        QCOMPARE(lines.last(), QStringLiteral("\"epoch 3\",3,4,10"));

        plot.setScale(widgets::HistogramScale::Fraction);
        double sum = 0;
        const auto data = plot.plot()->graph(0)->data();
        for (int i = 1; i + 1 < data->size(); i += 2) // each bin's top is drawn twice, at both edges
            sum += data->at(i)->value;
        QVERIFY(std::abs(sum - 1.0) < 1e-9);
    }


    void anAllNaNLayerIsSaidWithItsCounts()
    {
        auto state = std::make_shared<RunState>();
        Layer root;
        root.id = 0;
        root.leaf = false;
        root.type = QStringLiteral("Sequential");
        Layer linear;
        linear.id = 1;
        linear.parent = 0;
        linear.index = 0;
        linear.path = QStringLiteral("0");
        linear.type = QStringLiteral("Linear");
        linear.parameters.append({QStringLiteral("weight"), {4, 3}});
        state->model.layers = {root, linear};
        auto snapshot = std::make_shared<Snapshot>();
        snapshot->epochEnd = true;
        snapshot->epoch = 2;
        snapshot->step = 29;
        LayerSample sample;
        sample.layer = 1;
        TensorStats& weights = sample.stats(TensorKind::Weight);
        weights.present = true;
        weights.count = 12;
        weights.nan = 9;
        weights.inf = 3;
        weights.mean = std::numeric_limits<double>::quiet_NaN();
        TensorStats& gradients = sample.stats(TensorKind::WeightGrad);
        gradients.present = true;
        gradients.count = 12;
        gradients.min = -0.7;
        gradients.max = 0.7;
        gradients.std = 0.3;
        gradients.histLo = -1;
        gradients.histHi = 1;
        gradients.bins = QVector<quint32>(64, 0);
        gradients.bins[10] = 12;
        snapshot->layers.append(sample);
        state->appendSnapshot(snapshot);

        HistogramPanel panel;
        panel.setState(state);
        panel.setLayer(1);
        const QString said = panel.plot(TensorKind::Weight)->placeholder();
        QVERIFY2(said.contains(QStringLiteral("All 12 weights are not finite")) && said.contains(QStringLiteral("9 NaN"))
                     && said.contains(QStringLiteral("3 infinite")),
                 qPrintable(said));
        QCOMPARE(panel.plot(TensorKind::Weight)->seriesCount(), 0);
        // The finite gradients of the same snapshot are drawn as usual.
        QCOMPARE(panel.plot(TensorKind::WeightGrad)->seriesCount(), 1);
        if (const QString dir = qEnvironmentVariable("TRAINDX_SCREENSHOT_DIR"); !dir.isEmpty()) {
            panel.resize(640, 720);
            panel.show();
            QTest::qWait(100);
            panel.grab().save(dir + QStringLiteral("/all-nan-layer.png"));
        }
    }
};

QTEST_MAIN(TestHistogramPanel)
#include "tst_histogram_panel.moc"
