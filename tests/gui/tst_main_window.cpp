// The real main window under the offscreen platform, debugging a real trainer.
// With TRAINDX_SCREENSHOT_DIR set, it saves what the window looked like.
#include "attach_dialog.h"
#include "curve_plot.h"
#include "curves_panel.h"
#include "distribution_map.h"
#include "distribution_panel.h"
#include "histogram_grid.h"
#include "plot_export.h"
#include "plot_style.h"
#include "histogram_panel.h"
#include "findings_model.h"
#include "graph_panel.h"
#include "histogram_plot.h"
#include "inspector_panel.h"
#include "network_graph_view.h"
#include "layer_list_model.h"
#include "change_dialog.h"
#include "rank_launch.h"
#include "ranks_panel.h"
#include "main_window.h"
#include "compare_dialog.h"
#include "runs_dialog.h"
#include "session_waiter.h"
#include "thresholds_dialog.h"

#include <QAbstractButton>
#include <QAbstractItemModelTester>
#include <QAction>
#include <QTabWidget>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QProcess>
#include <QStandardPaths>
#include <QMessageBox>
#include <QSettings>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>
#include <QTemporaryDir>
#include <QTest>
#include <qcustomplot.h>

using namespace traindx;

namespace {

// traindx-ddp for three epochs, rank 1 stepping on its own gradients.
LaunchSpec desyncedJob()
{
    LaunchSpec spec;
    spec.program = test::builtProgram(QStringLiteral("traindx-ddp"));
    spec.arguments = {QStringLiteral("--epochs"), QStringLiteral("3"), QStringLiteral("--plant"), QStringLiteral("desync")};
    return spec;
}

} // namespace

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

    // Launches a zoo program in the window.
    static void launchZoo(MainWindow& window, const QStringList& arguments)
    {
        LaunchSpec spec;
        spec.program = test::builtProgram(QStringLiteral("traindx-zoo"));
        spec.arguments = arguments;
        window.launch(spec);
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
        QVERIFY(held->findings.first().symptom == Symptom::OutOfRange);
        QVERIFY(window.findingsView()->model()->rowCount() >= 1);
        QCOMPARE(window.findingsView()->model()->index(0, 0).data().toString(), symptomName(Symptom::OutOfRange));
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

        // F11 steps one batch: the weights shown are those at the new hold, labelled as the
        // status bar counts it.
        {
            const quint64 before = window.session()->state()->revision;
            QTest::keyClick(&window, Qt::Key_F11);
            const RunStatePtr stepped = test::waitForState(*window.session(), [before](const RunState& s) {
                return s.revision > before && s.state == TrainerState::Held && !s.heldAtEpochEnd;
            });
            QVERIFY2(stepped, qPrintable(test::describe(*window.session()->state())));
            window.selectLayer(1);
            const QString at = QStringLiteral("epoch %1, batch %2").arg(stepped->epoch + 1).arg(stepped->batch);
            QTRY_VERIFY_WITH_TIMEOUT(window.histogramPanel()->plot(TensorKind::Weight)->plot()->graphCount() > 0
                                         && window.histogramPanel()->plot(TensorKind::Weight)->plot()->graph(
                                                window.histogramPanel()->plot(TensorKind::Weight)->plot()->graphCount() - 1)->name() == at,
                                     5000);
            auto* status = window.findChild<QLabel*>(QStringLiteral("trainer-state"));
            QVERIFY2(status->text().startsWith(QStringLiteral("Held after batch %1 of epoch %2").arg(stepped->batch).arg(stepped->epoch + 1)),
                     qPrintable(status->text()));
        }

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

        // Overlay of chosen epochs: before training, the third and the sixth.
        window.histogramPanel()->compareEpochs({0, 3, 6});
        QCOMPARE(weights->seriesCount(), 3);
        window.histogramPanel()->compareEpochs({});
        QCOMPARE(weights->seriesCount(), 1 + HistogramPanel::kEarlierEpochs);

        // Distribution over time: the weights before training and at each of the six epoch ends.
        window.plotTabs()->setCurrentWidget(window.distributionPanel());
        QTest::qWait(100);
        QCOMPARE(window.distributionPanel()->map()->columnCount(), 7);
        screenshot(window, QStringLiteral("distribution-over-time"));

        // All layers at once; only what is on screen is drawn.
        window.plotTabs()->setCurrentWidget(window.overviewPanel());
        QTRY_COMPARE_WITH_TIMEOUT(window.overviewPanel()->grid()->cellCount(), 8, 2000);
        QTRY_VERIFY_WITH_TIMEOUT(window.overviewPanel()->grid()->lastPaintedCells() > 0, 2000);
        QVERIFY(window.overviewPanel()->grid()->lastPaintedCells() <= 8);
        screenshot(window, QStringLiteral("all-layers"));
        window.plotTabs()->setCurrentWidget(window.histogramPanel());

        // Any plot exports as PNG, SVG or CSV.
        QTemporaryDir exports;
        QString exportError;
        for (const char* suffix : {"png", "svg", "csv"}) {
            const QString path = exports.filePath(QStringLiteral("loss.") + QLatin1String(suffix));
            QVERIFY2(widgets::exportPlot(window.curvesPanel()->lossPlot()->plot(), path, &exportError), qPrintable(exportError));
            QVERIFY(QFileInfo(path).size() > 100);
        }
        QFile csv(exports.filePath(QStringLiteral("loss.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QVERIFY(csv.readAll().count('\n') > 6 * 125);

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

    void aRunNobodyWatchedSaysNotDiagnosed()
    {
        MainWindow window;
        window.show();
        LaunchSpec spec;
        spec.program = QStringLiteral("/usr/bin/env"); // the launcher turns the probe on; the program turns it off
        spec.arguments = {QStringLiteral("TRAINDX=off"), test::builtProgram(QStringLiteral("traindx-zoo")),
                          QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("2")};
        window.launch(spec);
        QVERIFY2(test::waitForState(*window.session(), [](const RunState& s) { return s.state == TrainerState::Finished; }, 60000),
                 qPrintable(test::describe(*window.session()->state())));
        QTest::qWait(2 * Session::kPublishIntervalMs);
        auto* state = window.findChild<QLabel*>(QStringLiteral("trainer-state"));
        QVERIFY(state);
        QVERIFY2(state->text().contains(QStringLiteral("not diagnosed")), qPrintable(state->text()));
        QVERIFY(!state->text().contains(QStringLiteral("healthy")));
        screenshot(window, QStringLiteral("not-diagnosed"));
    }

    // A classifier with accuracy, then a regression without: the second run's views carry
    // nothing of the first (no accuracy curve, no epoch metric, no epoch filter typed for it).
    void aSecondRunShowsOnlyItsOwn()
    {
        MainWindow window;
        window.show();
        const auto run = [&window](const QString& scenario) {
            launchZoo(window, {scenario, QStringLiteral("--epochs"), QStringLiteral("3")});
            return test::waitForState(*window.session(), [](const RunState& s) { return s.state == TrainerState::Finished; }, 60000);
        };
        const RunStatePtr first = run(QStringLiteral("healthy_sigmoid_binary"));
        QVERIFY2(first, qPrintable(test::describe(*window.session()->state())));
        QTest::qWait(2 * Session::kPublishIntervalMs);
        auto* curves = window.curvesPanel();
        QVERIFY(curves->accuracyPlot()->pointCount(QStringLiteral("batch accuracy")) > 0);
        auto* epochs = window.histogramPanel()->findChild<QLineEdit*>(QStringLiteral("compare-epochs"));
        QVERIFY(epochs);
        epochs->setText(QStringLiteral("2, 3"));
        QVERIFY(QMetaObject::invokeMethod(epochs, "editingFinished"));

        const RunStatePtr second = run(QStringLiteral("healthy_regression"));
        QVERIFY2(second, qPrintable(test::describe(*window.session()->state())));
        QTest::qWait(2 * Session::kPublishIntervalMs);
        QCOMPARE(curves->accuracyPlot()->pointCount(QStringLiteral("batch accuracy")), 0);
        QCOMPARE(curves->lossPlot()->pointCount(QStringLiteral("batch loss")), window.session()->state()->points.size());
        QCOMPARE(curves->accuracyPlot()->pointCount(QStringLiteral("train_accuracy")), 0);
        QVERIFY(epochs->text().isEmpty());
    }

    // File ▸ Recorded runs on a folder with a buggy program's run and its fixed twin's:
    // both listed with their verdicts, filtered, compared (the fix named, the curves and a
    // layer's histograms overlaid), opened and deleted.
    void runsAreFoundComparedOpenedAndDeleted()
    {
        QTemporaryDir dir;
        const auto record = [&dir](const QString& scenario) {
            const QString path = dir.filePath(scenario + QStringLiteral(".traindx"));
            QProcess cli;
            cli.start(test::builtProgram(QStringLiteral("traindx-cli")),
                      {QStringLiteral("run"), QStringLiteral("--record"), path, QStringLiteral("--"),
                       test::builtProgram(QStringLiteral("traindx-zoo")), scenario, QStringLiteral("--epochs"), QStringLiteral("3")});
            return cli.waitForFinished(120000) ? path : QString();
        };
        const QString buggy = record(QStringLiteral("relu_before_cross_entropy"));
        QTest::qWait(20); // distinct start times
        const QString fixed = record(QStringLiteral("relu_before_cross_entropy_fixed"));
        QVERIFY(QFileInfo::exists(buggy) && QFileInfo::exists(fixed));

        MainWindow window;
        window.resize(1400, 900);
        window.show();
        RunsDialog* runs = window.showRunsDialog(dir.path());
        QVERIFY(runs);
        auto* table = runs->table();
        QCOMPARE(table->model()->rowCount(), 2);
        const auto rowOf = [table](const QString& text) {
            for (int r = 0; r < table->model()->rowCount(); ++r)
                if (table->model()->index(r, RunsDialog::Program).data().toString().endsWith(text))
                    return r;
            return -1;
        };
        const int buggyRow = rowOf(QStringLiteral("relu_before_cross_entropy --epochs 3"));
        const int fixedRow = rowOf(QStringLiteral("relu_before_cross_entropy_fixed --epochs 3"));
        QVERIFY(buggyRow >= 0 && fixedRow >= 0);
        QCOMPARE(table->model()->index(buggyRow, RunsDialog::Verdict).data().toString(), QStringLiteral("faulty"));
        QVERIFY(table->model()->index(buggyRow, RunsDialog::TopFinding).data().toString().startsWith(QStringLiteral("out_of_range")));
        QCOMPARE(table->model()->index(fixedRow, RunsDialog::Verdict).data().toString(), QStringLiteral("healthy"));
        QCOMPARE(table->model()->index(fixedRow, RunsDialog::Epochs).data().toString(), QStringLiteral("3"));
        runs->filter()->setText(QStringLiteral("_FIXED"));
        QCOMPARE(table->model()->rowCount(), 1);
        runs->filter()->clear();
        screenshot(*runs, QStringLiteral("runs-browser"));

        table->selectAll();
        auto* compare = runs->findChild<QPushButton*>(QString(), Qt::FindChildrenRecursively);
        for (auto* button : runs->findChildren<QPushButton*>())
            if (button->text() == QLatin1String("&Compare"))
                compare = button;
        QVERIFY(compare && compare->isEnabled());
        compare->click();
        auto* dialog = window.findChild<CompareDialog*>();
        QVERIFY(dialog);
        QVERIFY2(dialog->findingsText().contains(QStringLiteral("Fixed in B")), qPrintable(dialog->findingsText()));
        QVERIFY(dialog->findingsText().contains(QStringLiteral("out_of_range")));
        QVERIFY(!dialog->findingsText().contains(QStringLiteral("New in B")));
        QCOMPARE(dialog->lossPlot()->curveCount(), 2);
        QVERIFY(dialog->layerChoice()->count() > 0);
        QCOMPARE(dialog->histogramPlot()->seriesCount(), 2);
        screenshot(*dialog, QStringLiteral("compared-runs"));
        dialog->close();

        table->clearSelection();
        table->selectRow(rowOf(QStringLiteral("relu_before_cross_entropy --epochs 3")));
        runs->deleteSelected(true);
        QVERIFY(!QFileInfo::exists(buggy));
        QCOMPARE(table->model()->rowCount(), 1);

        Q_EMIT runs->openRequested(fixed);
        QVERIFY(test::waitForState(*window.session(), [](const RunState& s) { return s.state == TrainerState::Replay; }, 30000));
    }

    // A laptop at 150 % scaling: the whole window, docks and tabs included, fits 1024×700.
    void fitsASmallScreen()
    {
        MainWindow window;
        window.resize(1024, 700);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        launchZoo(window, {QStringLiteral("so31880720")});
        QVERIFY(test::waitForState(*window.session(), [](const RunState& s) { return s.state == TrainerState::Held; }));
        QTest::qWait(3 * Session::kPublishIntervalMs);
        QVERIFY2(window.minimumSizeHint().width() <= 1024 && window.minimumSizeHint().height() <= 700,
                 qPrintable(QStringLiteral("%1×%2").arg(window.minimumSizeHint().width()).arg(window.minimumSizeHint().height())));
        QVERIFY2(window.width() <= 1024 && window.height() <= 700, qPrintable(QStringLiteral("%1×%2").arg(window.width()).arg(window.height())));
        screenshot(window, QStringLiteral("small-screen"));
        window.session()->send(Command::Stop);
        QVERIFY(test::waitForState(*window.session(), [](const RunState& s) { return s.state != TrainerState::Held; }, 20000));
    }

    // Under a dark system palette the plots keep their own light canvas and dark ink.
    void plotsStayLegibleInADarkPalette()
    {
        const QPalette original = QApplication::palette();
        QPalette dark;
        dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
        dark.setColor(QPalette::WindowText, QColor(0xee, 0xee, 0xee));
        dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
        dark.setColor(QPalette::Text, QColor(0xee, 0xee, 0xee));
        dark.setColor(QPalette::AlternateBase, QColor(0x35, 0x35, 0x35));
        dark.setColor(QPalette::Button, QColor(0x35, 0x35, 0x35));
        dark.setColor(QPalette::ButtonText, QColor(0xee, 0xee, 0xee));
        dark.setColor(QPalette::ToolTipBase, QColor(0x35, 0x35, 0x35));
        dark.setColor(QPalette::ToolTipText, QColor(0xee, 0xee, 0xee));
        dark.setColor(QPalette::Highlight, QColor(0x2a, 0x82, 0xda));
        dark.setColor(QPalette::HighlightedText, Qt::white);
        dark.setColor(QPalette::PlaceholderText, QColor(0x99, 0x99, 0x99));
        for (auto role : {QPalette::Light, QPalette::Midlight, QPalette::Mid, QPalette::Dark, QPalette::Shadow})
            dark.setColor(role, QColor(0x20, 0x20, 0x20));
        QApplication::setPalette(dark);
        {
            MainWindow window;
            window.resize(1280, 800);
            window.show();
            launchZoo(window, {QStringLiteral("so31880720")});
            QVERIFY(test::waitForState(*window.session(), [](const RunState& s) { return s.state == TrainerState::Held; }));
            QTest::qWait(3 * Session::kPublishIntervalMs);
            window.selectLayer(1);
            auto* weights = window.histogramPanel()->plot(TensorKind::Weight);
            QTRY_VERIFY_WITH_TIMEOUT(weights->seriesCount() > 0, 5000);
            const QImage image = weights->plot()->toPixmap().toImage();
            const QColor canvas = image.pixelColor(image.width() / 2, 4);
            QVERIFY2(canvas.lightness() > 200, qPrintable(canvas.name()));
            QVERIFY(weights->plot()->xAxis->tickLabelColor().lightness() < 120);
            screenshot(window, QStringLiteral("dark-palette"));
            window.session()->send(Command::Stop);
            QVERIFY(test::waitForState(*window.session(), [](const RunState& s) { return s.state != TrainerState::Held; }, 20000));
        }
        QApplication::setPalette(original);
    }

    // Held at the dead-ReLU cause, the inspector offers its fix as a live change; applied, the
    // trainer continues with the layer re-initialised, the curves mark where, and nothing
    // faulty follows.
    void applyAndContinueMakesTheFixLive()
    {
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        launchZoo(window, {QStringLiteral("dead_relu_negative_bias")});
        const RunStatePtr held = test::waitForState(*window.session(), [](const RunState& s) {
            return s.state == TrainerState::Held && !s.findings.isEmpty();
        });
        QVERIFY2(held, qPrintable(test::describe(*window.session()->state())));
        window.selectLayer(held->findings.first().layer);
        QTRY_VERIFY_WITH_TIMEOUT(window.inspector()->applyButton()->isVisible(), 5000);
        QCOMPARE(window.inspector()->changeEdit()->text(), QStringLiteral("reinit=0:kaiming_normal"));
        const int findingsBefore = held->findings.size();
        window.inspector()->applyButton()->click();
        const RunStatePtr changed = test::waitForState(*window.session(), [](const RunState& s) { return !s.changes.isEmpty(); });
        QVERIFY2(changed, qPrintable(test::describe(*window.session()->state())));
        QVERIFY2(changed->changes.first().applied, qPrintable(changed->changes.first().text));
        QVERIFY(changed->changes.first().text.contains(QStringLiteral("bias mean -3 -> 0")));
        // Let it finish without holding again; the curves mark the change.
        SessionOptions options;
        options.breakOnSymptom = false;
        window.session()->setOptions(options);
        window.session()->send(Command::Continue);
        const RunStatePtr over = test::waitForState(*window.session(), [](const RunState& s) {
            return s.state == TrainerState::Finished || s.state == TrainerState::Crashed;
        }, 60000);
        QVERIFY(over);
        QTest::qWait(2 * Session::kPublishIntervalMs);
        QTRY_COMPARE_WITH_TIMEOUT(window.curvesPanel()->lossPlot()->markerCount(), 1, 5000);
        // What the change answered is judged again from it: every finding cleared, none left.
        QCOMPARE(over->findings.size(), findingsBefore);
        for (const auto& f : over->findings) {
            QVERIFY2(f.afterChange.verdict == AfterChange::Verdict::Cleared, qPrintable(f.oneLine()));
            QVERIFY(!f.isFault());
        }
        const QModelIndex summary = window.findingsView()->model()->index(0, FindingsModel::Summary);
        QVERIFY2(summary.data().toString().startsWith(QStringLiteral("[cleared after the change at step")),
                 qPrintable(summary.data().toString()));
        window.plotTabs()->setCurrentWidget(window.curvesPanel());
        screenshot(window, QStringLiteral("apply-and-continue"));
    }

    // Run > Change…: any change from its fields, shown as the --apply form; made at the hold,
    // marked on the heat map of the layer's distribution as on the curves.
    void runChangeDialogMakesAnyChange()
    {
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        launchZoo(window, {QStringLiteral("tiny_learning_rate")});
        const RunStatePtr held = test::waitForState(*window.session(), [](const RunState& s) {
            return s.state == TrainerState::Held && !s.findings.isEmpty();
        });
        QVERIFY2(held, qPrintable(test::describe(*window.session()->state())));
        QTRY_VERIFY_WITH_TIMEOUT(window.changeAction()->isEnabled(), 5000);
        QString preview;
        connect(&window, &MainWindow::changeDialogShown, this, [&preview](ChangeDialog* dialog) {
            dialog->kindChoice()->setCurrentIndex(dialog->kindChoice()->findData(int(LiveChange::Kind::SetLearningRate)));
            dialog->valueEdit()->setText(QStringLiteral("0.05"));
            preview = dialog->text();
            dialog->show();
            screenshot(*dialog, QStringLiteral("change-dialog"));
            QMetaObject::invokeMethod(dialog, &QDialog::accept, Qt::QueuedConnection);
        });
        window.changeAction()->trigger();
        QCOMPARE(preview, QStringLiteral("lr=0.05"));
        SessionOptions options;
        options.breakOnSymptom = false;
        window.session()->setOptions(options);
        window.session()->send(Command::Continue);
        const RunStatePtr changed = test::waitForState(*window.session(), [](const RunState& s) { return !s.changes.isEmpty(); });
        QVERIFY2(changed, qPrintable(test::describe(*window.session()->state())));
        QVERIFY2(changed->changes.first().text.contains(QStringLiteral("learning rate 1e-09 -> 0.05")), qPrintable(changed->changes.first().text));
        window.selectLayer(held->model.layers.last().id);
        const RunStatePtr later = test::waitForState(*window.session(), [](const RunState& s) { return s.epochEnds.size() >= 4; }, 60000);
        QVERIFY(later);
        window.plotTabs()->setCurrentWidget(window.distributionPanel());
        QTRY_COMPARE_WITH_TIMEOUT(window.distributionPanel()->map()->markerCount(), 1, 5000);
        screenshot(window, QStringLiteral("change-on-heat-map"));
        window.session()->send(Command::Stop);
    }

    // A job of four ranks, one of which steps on its own gradients: the Ranks dock has a row
    // per rank and names rank 1 out of sync; choosing a rank shows its run in every view.
    void aJobOfFourRanksShowsTheRankOutOfSync()
    {
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        window.launchJob(desyncedJob(), 4);
        QVERIFY(window.isJob());
        QTRY_COMPARE_WITH_TIMEOUT(window.ranksPanel()->table()->rowCount(), 4, 5000);
        auto allFinished = [&window] {
            for (int r = 0; r < 4; ++r) {
                const QTableWidgetItem* state = window.ranksPanel()->table()->item(r, 1);
                if (!state || state->text() != QLatin1String("finished"))
                    return false;
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(allFinished(), 120000);
        const QVector<Finding>& job = window.ranksPanel()->jobFindings();
        QCOMPARE(job.size(), 1);
        QCOMPARE(job.first().symptom, Symptom::RanksOutOfSync);
        QCOMPARE(job.first().rank, 1);
        QVERIFY(window.ranksPanel()->table()->item(1, 6)->text().contains(QStringLiteral("ranks_out_of_sync")));
        QVERIFY(window.ranksPanel()->jobFindingsText().contains(QStringLiteral("ranks_out_of_sync on rank 1")));
        QTRY_VERIFY_WITH_TIMEOUT(window.curvesPanel()->lossPlot()->hasBand(), 5000); // the loss's spread over the ranks
        window.selectRank(1);
        QCOMPARE(window.shownState()->program.rank, 1);
        QCOMPARE(window.shownState()->program.worldSize, 4);
        QVERIFY(window.curvesPanel()->lossPlot()->hasBand());
        window.selectLayer(job.first().layer);
        window.plotTabs()->setCurrentWidget(window.curvesPanel());
        screenshot(window, QStringLiteral("job-out-of-sync"));
        window.selectRank(2);
        QCOMPARE(window.shownState()->program.rank, 2);
    }

    // Served reduced: one session, rank 0's, whose statistics are the four ranks' together;
    // the Ranks dock says which rank stands out, and the inspector's finding names it.
    void aReducedJobNamesTheRankOutOfSync()
    {
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        window.launchJob(desyncedJob(), 4, /*reduced=*/true);
        QVERIFY(!window.isJob()); // one stream
        const RunStatePtr done = test::waitForState(*window.session(), [](const RunState& s) {
            return s.state == TrainerState::Finished;
        }, 120000);
        QVERIFY2(done, qPrintable(test::describe(*window.session()->state())));
        QVERIFY(done->program.reduced);
        QCOMPARE(done->program.worldSize, 4);
        QTRY_VERIFY_WITH_TIMEOUT(!window.ranksPanel()->jobFindings().isEmpty(), 5000);
        const Finding& f = window.ranksPanel()->jobFindings().first();
        QCOMPARE(f.symptom, Symptom::RanksOutOfSync);
        QCOMPARE(f.rank, 1);
        QVERIFY(f.layer >= 0);
        QTableWidget* table = window.ranksPanel()->table();
        QCOMPARE(table->item(0, 2)->text(), QStringLiteral("4 of 4"));
        bool named = false;
        for (int row = 0; row < table->rowCount(); ++row)
            named = named || (table->item(row, 0)->text() == QLatin1String("weights farthest apart") && table->item(row, 1)->text() == QLatin1String("1"));
        QVERIFY(named);
        QVERIFY(window.ranksPanel()->jobFindingsText().contains(QStringLiteral("ranks_out_of_sync on rank 1")));
        window.selectLayer(f.layer);
        screenshot(window, QStringLiteral("job-reduced-out-of-sync"));
    }

    // A job started without TrainDx, found through its store: a session per rank.
    void attachToAJobThroughItsStore()
    {
        const QVector<LaunchSpec> launches =
            rankLaunches({test::builtProgram(QStringLiteral("traindx-ddp")), {QStringLiteral("--epochs"), QStringLiteral("30")}, {}, {}}, 2);
        std::vector<std::unique_ptr<QProcess>> ranks;
        for (const LaunchSpec& launch : launches) {
            ranks.push_back(test::startPlain(launch));
            QVERIFY(ranks.back()->waitForStarted());
        }
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        QString error;
        QVERIFY2(window.attachJob(QStringLiteral("127.0.0.1:") + storePort(launches), &error), qPrintable(error));
        QVERIFY(window.isJob());
        QTRY_COMPARE_WITH_TIMEOUT(window.ranksPanel()->table()->rowCount(), 2, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(window.shownState() && window.shownState()->epochEnds.size() >= 1, 60000);
        QCOMPARE(window.shownState()->program.worldSize, 2);
        for (auto& rank : ranks) {
            rank->terminate();
            QVERIFY(rank->waitForFinished(60000));
        }
        QVERIFY(!window.attachJob(QStringLiteral("127.0.0.1:1"), &error));
        QVERIFY2(error.contains(QStringLiteral("cannot read the job's store")), qPrintable(error));
    }

    void graphHighlightsTheLayerTheDiagnosisNames()
    {
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        LaunchSpec spec;
        spec.program = test::builtProgram(QStringLiteral("traindx-zoo"));
        spec.arguments = {QStringLiteral("dead_relu_negative_bias")};
        window.launch(spec);
        const RunStatePtr held = test::waitForState(*window.session(), [](const RunState& s) {
            return s.state == TrainerState::Held && !s.findings.isEmpty();
        });
        QVERIFY2(held, qPrintable(test::describe(*window.session()->state())));
        // The cause first: the Linear whose biases start at -3, red; the dead ReLU it
        // produces is amber and shares the fix.
        const Finding& cause = held->findings.first();
        QVERIFY2(cause.symptom == Symptom::PoorInitialization, qPrintable(symptomName(cause.symptom)));
        QCOMPARE(held->model.layers[cause.layer].type, QStringLiteral("Linear"));
        const QString linear = QString::number(cause.layer);
        auto* graph = window.graphPanel()->view();
        QTRY_VERIFY_WITH_TIMEOUT(graph->nodeCount() == 3 && !graph->isLayingOut(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(graph->drawnSeverity(linear), 2, 5000);
        QCOMPARE(graph->highlighted(), linear);
        for (const auto& f : held->findings)
            if (f.symptom == Symptom::DeadRelu) {
                QCOMPARE(f.explainedBy, cause.key());
                QTRY_COMPARE_WITH_TIMEOUT(graph->drawnSeverity(QString::number(f.layer)), 1, 5000);
            }
        QVERIFY(window.inspector()->findingsText().contains(QStringLiteral("change_initialization")));
        // Hovering the red node says what it is and what is wrong with it.
        const QString tip = graph->nodeToolTip(linear);
        QVERIFY2(tip.contains(QStringLiteral("Linear")) && tip.contains(QStringLiteral("poor_initialization"))
                     && tip.contains(QStringLiteral("change_initialization")),
                 qPrintable(tip));
        // The layer filter narrows the list; a filtered-out layer is still selectable elsewhere.
        auto* filter = window.findChild<QLineEdit*>(QStringLiteral("layer-filter"));
        QVERIFY(filter);
        filter->setText(QStringLiteral("relu"));
        QCOMPARE(window.layerView()->model()->rowCount(), 1);
        window.selectLayer(cause.layer);
        QCOMPARE(window.inspector()->layer(), cause.layer);
        filter->clear();
        QCOMPARE(window.layerView()->model()->rowCount(), 3);
        // Help > Keyboard shortcuts lists the debugger's keys.
        const QString keys = window.shortcutsText();
        QVERIFY2(keys.contains(QStringLiteral("Step batch")) && keys.contains(QStringLiteral("F11")), qPrintable(keys));
        // One way of counting in every panel: the findings table, the inspector, the status bar.
        QTest::qWait(2 * Session::kPublishIntervalMs);
        const QString when = cause.when();
        static const QRegularExpression position(QStringLiteral("^(before the first step|epoch \\d+, batch \\d+|end of epoch \\d+)$"));
        QVERIFY2(position.match(when).hasMatch(), qPrintable(when));
        auto* findings = window.findingsView()->model();
        QCOMPARE(findings->index(0, FindingsModel::When).data().toString(), when);
        QVERIFY2(window.inspector()->findingsText().contains(QStringLiteral("first seen: ") + when), qPrintable(window.inspector()->findingsText()));
        auto* state = window.findChild<QLabel*>(QStringLiteral("trainer-state"));
        const RunStatePtr now = window.session()->state();
        QVERIFY2(state->text().startsWith(now->heldAtEpochEnd ? QStringLiteral("Held at the end of epoch %1").arg(now->epoch)
                                                              : QStringLiteral("Held after batch %1 of epoch %2").arg(now->batch).arg(now->epoch + 1)),
                 qPrintable(state->text()));
        screenshot(window, QStringLiteral("dead-relu"));
        // Zoomed into the outputs of the Linear in front of the dead ReLU: all below zero.
        window.selectLayer(cause.layer);
        auto* outputs = window.histogramPanel()->plot(TensorKind::Activation);
        QVERIFY(outputs->seriesCount() > 0);
        outputs->plot()->xAxis->setRange(-4, -2);
        outputs->plot()->replot();
        screenshot(*window.histogramPanel(), QStringLiteral("zoomed-histogram"));
        // The biases behind the finding, on a switch: every one near -3.
        auto* biases = window.histogramPanel()->findChild<QCheckBox*>(QStringLiteral("histogram-biases"));
        QVERIFY(biases);
        biases->setChecked(true);
        QVERIFY(window.histogramPanel()->plot(TensorKind::Bias));
        QVERIFY(window.histogramPanel()->plot(TensorKind::Bias)->seriesCount() > 0);
        QVERIFY(window.histogramPanel()->plot(TensorKind::Bias)->plot()->xAxis->range().upper < -2);
        biases->setChecked(false);
        QVERIFY(window.histogramPanel()->plot(TensorKind::Weight));
        window.session()->send(Command::Stop);
        QVERIFY(test::waitForState(*window.session(), [](const RunState& s) { return s.state == TrainerState::Finished; }, 20000));
    }

    // Trained on past the first NaN: the layers with nothing finite left are red in the
    // graph, the layer list and the All-layers grid, whose tile counts them.
    void layersWithNothingFiniteAreRedEverywhere()
    {
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        launchZoo(window, {QStringLiteral("high_lr_nan"), QStringLiteral("--epochs"), QStringLiteral("3")});
        RunStatePtr over;
        for (int holds = 0; holds < 50 && !over; ++holds) {
            const RunStatePtr s = test::waitForState(*window.session(), [](const RunState& s) {
                return s.state == TrainerState::Held || s.state == TrainerState::Finished || s.state == TrainerState::Crashed;
            });
            QVERIFY2(s, qPrintable(test::describe(*window.session()->state())));
            if (s->state != TrainerState::Held) {
                over = s;
                break;
            }
            const quint64 before = s->revision;
            window.session()->send(Command::Continue);
            QVERIFY(test::waitForState(*window.session(), [before](const RunState& now) { return now.revision > before; }));
        }
        QVERIFY(over);
        QTest::qWait(2 * Session::kPublishIntervalMs);
        const RunStatePtr state = window.session()->state();
        int nonFinite = -1;
        for (const Layer& layer : state->model.layers)
            if (layer.id > 0 && state->nonFiniteKind(layer.id) == TensorKind::Weight && state->layerHealth(layer.id) == Health::Faulty
                && !std::any_of(state->findings.begin(), state->findings.end(), [&layer](const Finding& f) { return f.layer == layer.id && f.isCause(); }))
                nonFinite = layer.id;
        QVERIFY2(nonFinite > 0, "no layer whose weights are all NaN or infinite and that no cause names");
        auto* graph = window.graphPanel()->view();
        QTRY_VERIFY_WITH_TIMEOUT(graph->nodeCount() > 0 && !graph->isLayingOut(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(graph->drawnSeverity(QString::number(nonFinite)), 2, 5000);
        auto* layers = window.layerView()->model();
        bool listed = false;
        for (int r = 0; r < layers->rowCount(); ++r)
            if (layers->index(r, 0).data(LayerListModel::LayerIdRole).toInt() == nonFinite) {
                QCOMPARE(layers->index(r, LayerListModel::Path).data(Qt::DecorationRole).value<QColor>(), widgets::healthColor(2));
                listed = true;
            }
        QVERIFY(listed);
        auto* overview = window.overviewPanel();
        window.plotTabs()->setCurrentWidget(overview);
        QTRY_VERIFY_WITH_TIMEOUT(overview->grid()->cellCount() > 0, 5000);
        bool counted = false;
        for (const auto& cell : overview->grid()->cells())
            if (cell.id == nonFinite) {
                QCOMPARE(cell.severity, 2);
                counted = cell.count > 0 && cell.nonFinite == cell.count;
            }
        QVERIFY(counted);
        screenshot(window, QStringLiteral("nothing-finite"));
    }

    void breakHoldsInsideBackwardAndSaysSo()
    {
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        LaunchSpec spec;
        spec.program = test::builtProgram(QStringLiteral("traindx-zoo"));
        spec.arguments = {QStringLiteral("high_lr_nan")};
        window.launch(spec);
        RunStatePtr held;
        for (int holds = 0; holds < 20; ++holds) {
            held = test::waitForState(*window.session(), [](const RunState& s) {
                return s.state == TrainerState::Held || s.state == TrainerState::Finished || s.state == TrainerState::Crashed;
            });
            QVERIFY2(held && held->state == TrainerState::Held, qPrintable(test::describe(*window.session()->state())));
            if (held->heldInBackward)
                break;
            const quint64 before = held->revision;
            window.session()->send(Command::Continue);
            QVERIFY(test::waitForState(*window.session(), [before](const RunState& s) {
                return s.revision > before && (s.state != TrainerState::Held || s.heldInBackward);
            }));
        }
        QVERIFY(held->heldInBackward);
        auto* state = window.findChild<QLabel*>(QStringLiteral("trainer-state"));
        QVERIFY(state);
        QTRY_VERIFY_WITH_TIMEOUT(state->text().contains(QStringLiteral("Held inside backward")), 5000);
        auto* graph = window.graphPanel()->view();
        QTRY_VERIFY_WITH_TIMEOUT(graph->nodeCount() > 0 && !graph->isLayingOut(), 10000);
        // Weights of 1e26 in a narrow dock: every number is whole in its cell, never "2.0...",
        // and its tooltip holds the value in full.
        auto* table = window.findChild<QTableWidget*>(QStringLiteral("inspector-statistics"));
        QVERIFY(table);
        QTRY_VERIFY_WITH_TIMEOUT(table->item(0, 0) && !table->item(0, 0)->text().isEmpty(), 5000);
        for (int column = 0; column < table->columnCount(); ++column) {
            if (table->isColumnHidden(column))
                continue;
            for (int row = 0; row < 5; ++row) {
                const QTableWidgetItem* item = table->item(row, column);
                QVERIFY(item);
                const int needed = table->fontMetrics().horizontalAdvance(item->text());
                QVERIFY2(needed < table->columnWidth(column), qPrintable(item->text()));
                bool parsed = false;
                item->toolTip().toDouble(&parsed);
                QVERIFY2(parsed, qPrintable(item->toolTip()));
            }
        }
        screenshot(window, QStringLiteral("held-in-backward"));
        window.session()->send(Command::Stop);
        QVERIFY(test::waitForState(*window.session(), [](const RunState& s) { return s.state != TrainerState::Held; }, 20000));
    }

    void attachListsTheTrainerAndDetachLeavesItRunning()
    {
        QProcess trainer;
        trainer.start(test::builtProgram(QStringLiteral("traindx-zoo")),
                      {QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("150")});
        QVERIFY(trainer.waitForStarted());
        QByteArray output;
        while (!output.contains("epoch 2/") && trainer.state() == QProcess::Running) {
            trainer.waitForReadyRead(100);
            output += trainer.readAllStandardOutput();
        }

        MainWindow window;
        window.show();
        AttachDialog dialog(&window);
        QAbstractItemModelTester tester(dialog.model());
        QTRY_VERIFY_WITH_TIMEOUT(dialog.model()->rowCount() >= 1, 10000);
        const discovery::ProbeInfo* listed = nullptr;
        for (int row = 0; row < dialog.model()->rowCount(); ++row)
            if (dialog.model()->probe(row)->pid == trainer.processId())
                listed = dialog.model()->probe(row);
        QVERIFY(listed);
        QVERIFY(listed->ok);
        QCOMPARE(listed->modelName, QStringLiteral("so31880720"));
        QVERIFY(listed->epoch >= 2);
        QVERIFY(dialog.model()->index(0, ProbeListModel::Uptime).data().toString().endsWith(QStringLiteral(" s")));

        window.attach(listed->socketPath);
        const RunStatePtr attached = test::waitForState(*window.session(), [](const RunState& s) {
            return s.connected && s.epochEnds.size() >= 2 && !s.findings.isEmpty();
        }, 20000);
        QVERIFY2(attached, qPrintable(test::describe(*window.session()->state())));
        QCOMPARE(attached->program.pid, trainer.processId());
        QTest::qWait(2 * Session::kPublishIntervalMs);
        QVERIFY(window.curvesPanel()->lossPlot()->pointCount(QStringLiteral("batch loss")) >= 2 * 125); // the history arrived
        screenshot(window, QStringLiteral("attached"));

        // Stop on a trainer TrainDx attached to asks first, and offers Detach.
        auto* stop = window.findChild<QAction*>(QStringLiteral("stop-action"));
        QVERIFY(stop);
        auto answer = [](const QString& button) {
            QTimer::singleShot(200, [button] {
                auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
                if (!box)
                    return;
                if (button.isEmpty()) {
                    box->button(QMessageBox::Cancel)->click();
                    return;
                }
                screenshot(*box, QStringLiteral("stop-attached"));
                for (QAbstractButton* b : box->buttons())
                    if (b->text() == button)
                        b->click();
            });
        };
        answer(QString()); // Cancel
        stop->trigger();
        QTest::qWait(300);
        QVERIFY(window.session()->state()->connected); // cancelled: nothing happened
        answer(QStringLiteral("&Detach"));
        stop->trigger();
        QVERIFY(test::waitForState(*window.session(), [](const RunState& s) { return s.state == TrainerState::Detached; }, 5000));
        QVERIFY(trainer.waitForFinished(120000));
        QCOMPARE(trainer.exitCode(), 0);
        QVERIFY(trainer.readAllStandardOutput().contains("epoch 150/150"));
    }

    void attachToAProbeOnTcpWithItsToken()
    {
        const QString token = QStringLiteral("0f1e2d3c4b5a69788796a5b4c3d2e1f0");
        QProcess trainer;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("TRAINDX_LISTEN"), QStringLiteral("tcp://127.0.0.1:0"));
        environment.insert(QStringLiteral("TRAINDX_TOKEN"), token);
        trainer.setProcessEnvironment(environment);
        trainer.start(test::builtProgram(QStringLiteral("traindx-zoo")),
                      {QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("100000")});
        QVERIFY(trainer.waitForStarted());
        static const QRegularExpression listening(QStringLiteral("listening on (tcp://127\\.0\\.0\\.1:\\d+)"));
        QString said;
        QRegularExpressionMatch where;
        while (!(where = listening.match(said)).hasMatch() && trainer.state() == QProcess::Running) {
            trainer.waitForReadyRead(100);
            said += QString::fromLocal8Bit(trainer.readAllStandardError());
        }
        QVERIFY2(where.hasMatch(), qPrintable(said));
        QVERIFY2(!said.contains(token), "a token from the environment is never printed");

        MainWindow window;
        window.show();
        AttachDialog dialog(&window);
        dialog.show();
        auto* address = dialog.findChild<QLineEdit*>(QStringLiteral("remote-address"));
        auto* tokenField = dialog.findChild<QLineEdit*>(QStringLiteral("remote-token"));
        auto* attachRemote = dialog.findChild<QPushButton*>(QStringLiteral("attach-remote"));
        QVERIFY(address && tokenField && attachRemote);
        tokenField->clear();
        QVERIFY(!attachRemote->isEnabled());
        address->setText(where.captured(1));
        QVERIFY(!attachRemote->isEnabled()); // no token yet
        tokenField->setText(token);
        QVERIFY(attachRemote->isEnabled());
        screenshot(dialog, QStringLiteral("attach-remote"));
        attachRemote->click();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(dialog.socketPath(), where.captured(1));

        window.attach(dialog.socketPath(), dialog.token());
        const RunStatePtr attached = test::waitForState(*window.session(), [](const RunState& s) {
            return s.connected && s.epochEnds.size() >= 1 && !s.findings.isEmpty();
        }, 20000);
        QVERIFY2(attached, qPrintable(test::describe(*window.session()->state())));
        QCOMPARE(attached->program.pid, trainer.processId());
        window.session()->send(Command::Stop);
        QVERIFY(trainer.waitForFinished(30000));
    }

    void thresholdsAreEditedInTheSettings()
    {
        {
            ThresholdsDialog dialog;
            auto* table = dialog.findChild<QTableWidget*>();
            QVERIFY(table);
            for (int row = 0; row < table->rowCount(); ++row)
                if (table->item(row, 0)->text() == QLatin1String("dead_unit_fraction"))
                    table->item(row, 1)->setText(QStringLiteral("0.75"));
            dialog.accept();
        }
        QCOMPARE(ThresholdsDialog::fromSettings()[QStringLiteral("dead_unit_fraction")], 0.75);
        QCOMPARE(ThresholdsDialog::fromSettings().overridden().size(), 1);
        {
            ThresholdsDialog dialog;
            auto* table = dialog.findChild<QTableWidget*>();
            table->item(0, 1)->setText(QStringLiteral("not a number"));
            QTimer::singleShot(0, [] { // the warning about it, closed as a user would
                if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget()))
                    box->accept();
            });
            dialog.accept();
            QCOMPARE(dialog.result(), int(QDialog::Rejected)); // not accepted: still open
        }
        QCOMPARE(ThresholdsDialog::fromSettings()[QStringLiteral("dead_unit_fraction")], 0.75);
        QSettings().remove(QStringLiteral("thresholds"));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
