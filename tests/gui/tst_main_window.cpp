// The real main window under the offscreen platform, debugging a real trainer.
// With TRAINDX_SCREENSHOT_DIR set, it saves what the window looked like.
#include "curve_plot.h"
#include "curves_panel.h"
#include "histogram_panel.h"
#include "graph_panel.h"
#include "histogram_plot.h"
#include "inspector_panel.h"
#include "network_graph_view.h"
#include "main_window.h"
#include "session_waiter.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QLabel>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace traindx;

class TestMainWindow : public QObject {
    Q_OBJECT

private:
    static void screenshot(QWidget& window, const QString& name)
    {
        QTest::qWait(100); // plots redraw on the next turn of the event loop
        const QString dir = QString::fromLocal8Bit(qgetenv("TRAINDX_SCREENSHOT_DIR"));
        if (!dir.isEmpty())
            QVERIFY(window.grab().save(dir + QLatin1Char('/') + name + QStringLiteral(".png")));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QApplication::setApplicationName(QStringLiteral("TrainDx-test"));
    }

    void launchBreaksAtTheFindingThenShowsHistograms()
    {
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        QAbstractItemModelTester layerTester(window.layerView()->model());
        QAbstractItemModelTester findingTester(window.findingsView()->model());

        LaunchSpec spec;
        spec.program = test::builtProgram(QStringLiteral("traindx-zoo"));
        spec.arguments = {QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("6")};
        window.launch(spec);

        // Break on symptom is on by default: the trainer is held at the first fault.
        const RunStatePtr held = test::waitForState(*window.session(), [](const RunState& s) {
            return s.state == TrainerState::Held && !s.findings.isEmpty();
        });
        QVERIFY2(held, qPrintable(test::describe(*window.session()->state())));
        QTest::qWait(2 * Session::kPublishIntervalMs);
        QCOMPARE(held->findings.first().symptom, symptom::OutOfRange);
        QVERIFY(window.findingsView()->model()->rowCount() >= 1);
        QCOMPARE(window.findingsView()->model()->index(0, 0).data().toString(), symptom::OutOfRange);
        // The faulty layer, the one-unit Softmax, is selected and marked.
        QCOMPARE(window.histogramPanel()->layer(), 8);
        const QModelIndex softmaxRow = window.layerView()->model()->index(7, 1);
        QVERIFY(softmaxRow.data(Qt::BackgroundRole).isValid());
        QVERIFY(window.findChild<QLabel*>(QStringLiteral("trainer-state"))->text().startsWith(QStringLiteral("Held")));
        // The graph shows the Softmax red and highlighted; the inspector says why and what to change.
        auto* graph = window.graphPanel()->view();
        QTRY_VERIFY_WITH_TIMEOUT(graph->nodeCount() == 8 && !graph->isLayingOut(), 10000);
        QCOMPARE(graph->drawnSeverity(QStringLiteral("8")), 2);
        QCOMPARE(graph->drawnSeverity(QStringLiteral("1")), 0);
        QCOMPARE(graph->highlighted(), QStringLiteral("8"));
        QCOMPARE(graph->selected(), QStringLiteral("8"));
        QCOMPARE(window.inspector()->layer(), 8);
        const QString why = window.inspector()->findingsText();
        QVERIFY2(why.contains(QStringLiteral("out_of_range")) && why.contains(QStringLiteral("change_activation"))
                     && why.contains(QStringLiteral("torch::nn::Sigmoid")),
                 qPrintable(why));
        screenshot(window, QStringLiteral("held-at-finding"));

        // F10 steps one epoch at a time.
        for (int expected = held->epoch + 1; expected <= held->epoch + 2; ++expected) {
            const quint64 before = window.session()->state()->revision;
            QTest::keyClick(&window, Qt::Key_F10);
            const RunStatePtr stepped = test::waitForState(*window.session(), [before](const RunState& s) {
                return s.revision > before && s.state == TrainerState::Held && s.heldAtEpochEnd;
            });
            QVERIFY2(stepped, qPrintable(test::describe(*window.session()->state())));
            QCOMPARE(stepped->epoch, expected);
        }
        screenshot(window, QStringLiteral("stepped-two-epochs"));

        // Let it run to the end without breaking again.
        SessionOptions options;
        options.breakOnSymptom = false;
        window.session()->setOptions(options);
        window.session()->send(Command::Continue);
        const RunStatePtr state = test::waitForState(*window.session(), [](const RunState& s) {
            return s.state == TrainerState::Finished || s.state == TrainerState::Crashed;
        });
        QVERIFY2(state, qPrintable(test::describe(*window.session()->state())));
        QCOMPARE(state->state, TrainerState::Finished);
        QTest::qWait(2 * Session::kPublishIntervalMs);

        QCOMPARE(window.layerView()->model()->rowCount(), 8);
        window.selectLayer(1);
        QCOMPARE(window.histogramPanel()->layer(), 1);
        auto* weights = window.histogramPanel()->plot(TensorKind::Weight);
        auto* gradients = window.histogramPanel()->plot(TensorKind::WeightGrad);
        auto* activations = window.histogramPanel()->plot(TensorKind::Activation);
        // The latest sample and the earlier epochs, faded.
        QCOMPARE(weights->seriesCount(), 1 + HistogramPanel::kEarlierEpochs);
        QVERIFY(gradients->seriesCount() >= 2);
        QVERIFY(activations->seriesCount() >= 2);
        QCOMPARE(window.curvesPanel()->lossPlot()->pointCount(QStringLiteral("batch loss")), 6 * 125);
        QVERIFY(window.findChild<QLabel*>(QStringLiteral("trainer-state"))->text().startsWith(QStringLiteral("Finished")));
        screenshot(window, QStringLiteral("histograms-first-linear"));

        // The one-unit softmax: a constant output and no parameters.
        window.selectLayer(8);
        QVERIFY(activations->seriesCount() >= 1);
        QCOMPARE(weights->seriesCount(), 0);
        screenshot(window, QStringLiteral("histograms-softmax"));

        // File > Export report… and File > Open run… on what was just recorded.
        QTemporaryDir dir;
        QString error;
        const QString pdf = dir.filePath(QStringLiteral("report.pdf"));
        QVERIFY2(window.exportReport(pdf, &error), qPrintable(error));
        QVERIFY(QFileInfo(pdf).size() > 10000);
        QVERIFY(QFileInfo::exists(state->runFile));
        const int findings = state->findings.size();
        window.openRun(state->runFile);
        const RunStatePtr replayed = test::waitForState(*window.session(), [](const RunState& s) {
            return s.state == TrainerState::Replay;
        }, 20000);
        QVERIFY(replayed);
        QCOMPARE(replayed->findings.size(), findings);
        QTest::qWait(2 * Session::kPublishIntervalMs);
        QCOMPARE(window.findingsView()->model()->rowCount(), findings);
        screenshot(window, QStringLiteral("replayed-run"));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
