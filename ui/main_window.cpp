#include "main_window.h"

#include "job_store.h"

#include "curves_panel.h"
#include "change_dialog.h"
#include "rank_launch.h"
#include "ranks_panel.h"
#include "compare_dialog.h"
#include "runs_dialog.h"
#include "distribution_panel.h"
#include "attach_dialog.h"
#include "findings_model.h"
#include "graph_panel.h"
#include "network_graph_view.h"
#include "inspector_panel.h"
#include "histogram_panel.h"
#include "launch_dialog.h"
#include "layer_list_model.h"
#include "report_pdf.h"
#include "run_file.h"
#include "thresholds_dialog.h"

#include <QAction>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>
#include <QInputDialog>
#include <QProcess>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QVBoxLayout>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QTimer>
#include <QDockWidget>
#include <QFileDialog>
#include <QMessageBox>

#include <algorithm>
#include <QPushButton>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>

namespace traindx {

namespace {

bool splitStore(const QString& store, std::string* host, int* port, QString* error)
{
    const int colon = store.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0) {
        *error = MainWindow::tr("The job's store is HOST:PORT, as in MASTER_ADDR:MASTER_PORT.");
        return false;
    }
    *host = store.left(colon).toStdString();
    *port = store.mid(colon + 1).toInt();
    return true;
}

constexpr std::chrono::seconds kStoreTimeout {5};

} // namespace


MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_session(new Session(this))
    , m_state(m_session->state())
    , m_layers(new LayerListModel(this))
    , m_findings(new FindingsModel(this))
    , m_histograms(new HistogramPanel(this))
    , m_curves(new CurvesPanel(this))
    , m_distribution(new DistributionPanel(this))
    , m_overview(new OverviewPanel(this))
    , m_tabs(new QTabWidget(this))
    , m_stateLabel(new QLabel(this))
    , m_positionLabel(new QLabel(this))
    , m_overheadLabel(new QLabel(this))
    , m_droppedLabel(new QLabel(this))
    , m_recordingLabel(new QLabel(this))
{
    setWindowTitle(tr("TrainDx"));
    // Short names: on a small screen every tab stays in sight.
    m_tabs->addTab(m_histograms, tr("Histograms"));
    m_tabs->addTab(m_distribution, tr("Over time"));
    m_tabs->addTab(m_curves, tr("Curves"));
    m_tabs->addTab(m_overview, tr("All layers"));
    m_tabs->setTabToolTip(0, tr("The selected layer's weights, gradients and outputs, latest and earlier epochs"));
    m_tabs->setTabToolTip(1, tr("The selected layer's distributions over the epochs, as a heat map"));
    m_tabs->setTabToolTip(2, tr("Loss and accuracy per batch and per epoch"));
    m_tabs->setTabToolTip(3, tr("Every layer's latest histogram at a glance"));
    connect(m_overview, &OverviewPanel::layerClicked, this, &MainWindow::selectLayer);
    setCentralWidget(m_tabs);
    createActions();
    createDocks();

    m_stateLabel->setObjectName(QStringLiteral("trainer-state"));
    m_stateLabel->setMinimumWidth(220);
    statusBar()->addWidget(m_stateLabel);
    statusBar()->addWidget(m_positionLabel);
    statusBar()->addPermanentWidget(m_recordingLabel);
    statusBar()->addPermanentWidget(m_overheadLabel);
    statusBar()->addPermanentWidget(m_droppedLabel);

    connect(m_session, &Session::stateChanged, this, &MainWindow::onStateChanged);
    connect(m_session, &Session::consoleOutput, this, &MainWindow::appendConsole);

    m_defaultLayout = saveState(); // for View ▸ Reset layout
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    if (!settings.contains(QStringLiteral("window/geometry")))
        resize(1280, 860);
    updateActions();
    updateStatus();
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    m_launchAction = file->addAction(QIcon::fromTheme(QStringLiteral("system-run")), tr("&Launch…"), this,
                                     &MainWindow::showLaunchDialog);
    m_launchAction->setShortcut(tr("Ctrl+L"));
    file->addAction(QIcon::fromTheme(QStringLiteral("network-connect")), tr("&Attach…"), QKeySequence(tr("Ctrl+Shift+A")), this,
                    &MainWindow::showAttachDialog);
    file->addAction(QIcon::fromTheme(QStringLiteral("network-workgroup")), tr("Attach to &job…"), QKeySequence(tr("Ctrl+Shift+J")), this,
                    &MainWindow::showAttachJobDialog);
    file->addAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open run…"), QKeySequence::Open, this,
                    &MainWindow::showOpenRunDialog);
    file->addAction(QIcon::fromTheme(QStringLiteral("view-list-details")), tr("Recorded &runs…"), QKeySequence(tr("Ctrl+R")),
                    this, [this] { showRunsDialog(); });
    m_exportAction = file->addAction(QIcon::fromTheme(QStringLiteral("document-export")), tr("&Export report…"), this,
                                     &MainWindow::showExportReportDialog);
    m_exportAction->setShortcut(tr("Ctrl+E"));
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    auto command = [this, run](const QString& text, const QKeySequence& key, Command c, const QString& icon) {
        QAction* action = run->addAction(QIcon::fromTheme(icon), text);
        action->setShortcut(key);
        connect(action, &QAction::triggered, this, [this, c] { m_session->send(c); });
        return action;
    };
    m_continueAction = command(tr("&Continue"), Qt::Key_F5, Command::Continue, QStringLiteral("media-playback-start"));
    m_pauseAction = command(tr("&Pause"), Qt::Key_F6, Command::Pause, QStringLiteral("media-playback-pause"));
    m_stepEpochAction = command(tr("Step &epoch"), Qt::Key_F10, Command::StepEpoch, QStringLiteral("go-next"));
    m_stepBatchAction = command(tr("Step &batch"), Qt::Key_F11, Command::StepBatch, QStringLiteral("go-jump"));
    m_stopAction = run->addAction(QIcon::fromTheme(QStringLiteral("media-playback-stop")), tr("&Stop"), this,
                                  &MainWindow::stopTrainer);
    m_stopAction->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F5));
    m_stopAction->setObjectName(QStringLiteral("stop-action"));
    run->addSeparator();
    m_changeAction = run->addAction(QIcon::fromTheme(QStringLiteral("document-edit")), tr("C&hange…"), this,
                                    &MainWindow::showChangeDialog);
    m_changeAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    m_changeAction->setToolTip(tr("Change the live training: learning rate, a layer's initialisation, gradient clipping…"));
    m_changeAction->setObjectName(QStringLiteral("change-action"));
    run->addSeparator();
    m_detachAction = run->addAction(QIcon::fromTheme(QStringLiteral("network-disconnect")), tr("&Detach"), this,
                                    [this] { m_session->detach(); });
    m_detachAction->setToolTip(tr("Let go of the trainer; its training goes on"));
    run->addSeparator();
    m_breakOnSymptomAction = run->addAction(tr("&Break on symptom"));
    m_breakOnSymptomAction->setCheckable(true);
    m_breakOnSymptomAction->setChecked(QSettings().value(QStringLiteral("run/breakOnSymptom"), true).toBool());
    m_breakOnSymptomAction->setToolTip(tr("Hold the trainer at the next boundary when a fault is found"));
    connect(m_breakOnSymptomAction, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue(QStringLiteral("run/breakOnSymptom"), on);
        applySessionOptions();
    });

    QToolBar* toolbar = addToolBar(tr("Debug"));
    toolbar->setObjectName(QStringLiteral("debug-toolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addAction(m_launchAction);
    toolbar->addSeparator();
    for (QAction* action : {m_continueAction, m_pauseAction, m_stepEpochAction, m_stepBatchAction, m_stopAction})
        toolbar->addAction(action);
    toolbar->addSeparator();
    toolbar->addAction(m_breakOnSymptomAction);
    m_rankChoice = new QComboBox(this);
    m_rankChoice->setObjectName(QStringLiteral("rank-choice"));
    m_rankChoice->setToolTip(tr("The rank every view shows"));
    connect(m_rankChoice, &QComboBox::activated, this, [this](int index) { selectRank(index); });
    toolbar->addSeparator();
    m_rankChoiceAction = toolbar->addWidget(m_rankChoice);
    m_rankChoiceAction->setVisible(false);
    // Every button says what it does and its key.
    for (QAction* action : toolbar->actions())
        if (!action->isSeparator() && !action->shortcut().isEmpty())
            action->setToolTip(QStringLiteral("%1 (%2)").arg(action->toolTip(), action->shortcut().toString(QKeySequence::NativeText)));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard shortcuts"), QKeySequence::HelpContents, this, [this] { showShortcuts(); });
}

QString MainWindow::shortcutsText() const
{
    QString rows;
    for (QAction* menu : menuBar()->actions())
        if (menu->menu())
            for (QAction* action : menu->menu()->actions())
                if (!action->shortcut().isEmpty())
                    rows += QStringLiteral("<tr><td>%1</td><td>&nbsp;&nbsp;<b>%2</b></td></tr>")
                                .arg(action->text().remove(QLatin1Char('&')).toHtmlEscaped(),
                                     action->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped());
    return QStringLiteral("<table>%1</table><p>In the plots: drag to pan, the wheel to zoom, a double-click shows "
                          "the whole again. In the network: a double-click collapses or expands a module.</p>")
        .arg(rows);
}

void MainWindow::showShortcuts()
{
    QMessageBox box(this);
    box.setWindowTitle(tr("Keyboard shortcuts"));
    box.setTextFormat(Qt::RichText);
    box.setText(shortcutsText());
    box.exec();
}

SessionOptions MainWindow::sessionOptions() const
{
    SessionOptions options;
    options.thresholds = ThresholdsDialog::fromSettings();
    // A held rank would hold every other in its next all-reduce, until its timeout.
    options.breakOnSymptom = m_breakOnSymptomAction->isChecked() && !isJob() && !m_reducedJob;
    options.token = m_token.isEmpty() ? qEnvironmentVariable("TRAINDX_TOKEN") : m_token;
    return options;
}

void MainWindow::applySessionOptions()
{
    const SessionOptions options = sessionOptions();
    for (Session* session : isJob() ? m_rankSessions : QVector<Session*> {m_session})
        session->setOptions(options);
}

void MainWindow::createDocks()
{
    m_layerView = new QTableView(this);
    m_layerView->setObjectName(QStringLiteral("layer-list"));
    m_layerFilter = new QSortFilterProxyModel(this);
    m_layerFilter->setSourceModel(m_layers);
    m_layerFilter->setFilterKeyColumn(-1);
    m_layerFilter->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_layerView->setModel(m_layerFilter);
    m_layerView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_layerView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_layerView->verticalHeader()->hide();
    m_layerView->horizontalHeader()->setStretchLastSection(true);
    m_layerView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_layerView->setMinimumWidth(240);
    m_layerView->setShowGrid(false);
    m_layerView->setAlternatingRowColors(true);
    connect(m_layerView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
        if (!current.isValid())
            return;
        const int layer = m_layers->layerId(m_layerFilter->mapToSource(current).row());
        m_histograms->setLayer(layer);
        m_distribution->setLayer(layer);
        m_inspector->setLayer(layer);
        m_graph->setSelectedLayer(layer);
    });

    auto* layerFilterEdit = new QLineEdit(this);
    layerFilterEdit->setObjectName(QStringLiteral("layer-filter"));
    layerFilterEdit->setPlaceholderText(tr("Filter layers: path, type, shape"));
    layerFilterEdit->setClearButtonEnabled(true);
    connect(layerFilterEdit, &QLineEdit::textChanged, m_layerFilter, &QSortFilterProxyModel::setFilterFixedString);
    auto* layerPane = new QWidget(this);
    auto* layerPaneLayout = new QVBoxLayout(layerPane);
    layerPaneLayout->setContentsMargins(0, 0, 0, 0);
    layerPaneLayout->addWidget(layerFilterEdit);
    layerPaneLayout->addWidget(m_layerView, 1);
    auto* layerDock = new QDockWidget(tr("Layers"), this);
    layerDock->setObjectName(QStringLiteral("layers-dock"));
    layerDock->setWidget(layerPane);
    addDockWidget(Qt::LeftDockWidgetArea, layerDock);

    m_graph = new GraphPanel(this);
    connect(m_graph, &GraphPanel::layerClicked, this, &MainWindow::selectLayer);
    auto* graphDock = new QDockWidget(tr("Network"), this);
    graphDock->setObjectName(QStringLiteral("graph-dock"));
    graphDock->setWidget(m_graph);
    addDockWidget(Qt::LeftDockWidgetArea, graphDock);
    tabifyDockWidget(layerDock, graphDock);
    graphDock->raise();

    m_inspector = new InspectorPanel(this);
    connect(m_inspector, &InspectorPanel::applyRequested, this, [this](const LiveChange& change) {
        m_session->change(change);
        if (m_state && m_state->state == TrainerState::Held)
            m_session->send(Command::Continue); // made at this boundary, as the trainer resumes
        statusBar()->showMessage(tr("Asked: %1").arg(change.text), 8000);
    });
    auto* inspectorDock = new QDockWidget(tr("Inspector"), this);
    inspectorDock->setObjectName(QStringLiteral("inspector-dock"));
    inspectorDock->setWidget(m_inspector);
    inspectorDock->setMinimumWidth(280);
    addDockWidget(Qt::RightDockWidgetArea, inspectorDock);

    m_ranks = new RanksPanel(this);
    connect(m_ranks, &RanksPanel::rankActivated, this, &MainWindow::selectRank);
    m_ranksDock = new QDockWidget(tr("Ranks"), this);
    m_ranksDock->setObjectName(QStringLiteral("ranks-dock"));
    m_ranksDock->setWidget(m_ranks);
    addDockWidget(Qt::BottomDockWidgetArea, m_ranksDock);
    m_ranksDock->hide(); // until a job is launched
    m_spreadTimer = new QTimer(this);
    m_spreadTimer->setSingleShot(true);
    m_spreadTimer->setInterval(500);
    connect(m_spreadTimer, &QTimer::timeout, this, [this] {
        m_ranks->setRanks(m_rankStates, m_selectedRank);
        m_curves->setRankSpread(m_rankStates);
    });

    m_console = new QPlainTextEdit(this);
    m_console->setObjectName(QStringLiteral("console"));
    m_console->setReadOnly(true);
    m_console->setMaximumBlockCount(20000);
    m_console->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto* consoleDock = new QDockWidget(tr("Console"), this);
    consoleDock->setObjectName(QStringLiteral("console-dock"));
    consoleDock->setWidget(m_console);
    addDockWidget(Qt::BottomDockWidgetArea, consoleDock);

    m_findingsView = new QTableView(this);
    m_findingsView->setObjectName(QStringLiteral("findings"));
    m_findingsView->setModel(m_findings);
    m_findingsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_findingsView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_findingsView->verticalHeader()->hide();
    m_findingsView->setShowGrid(false);
    m_findingsView->setWordWrap(false);
    m_findingsView->horizontalHeader()->setStretchLastSection(true);
    m_findingsView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_findingsView->horizontalHeader()->setSectionResizeMode(FindingsModel::Summary, QHeaderView::Stretch);
    connect(m_findingsView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
        if (const Finding* finding = m_findings->finding(current.row()); finding && finding->layer >= 0)
            selectLayer(finding->layer);
    });
    auto* findingsDock = new QDockWidget(tr("Findings"), this);
    findingsDock->setObjectName(QStringLiteral("findings-dock"));
    findingsDock->setWidget(m_findingsView);
    addDockWidget(Qt::BottomDockWidgetArea, findingsDock);
    tabifyDockWidget(consoleDock, findingsDock);
    tabifyDockWidget(findingsDock, m_ranksDock);
    findingsDock->raise();

    QMenu* settingsMenu = menuBar()->addMenu(tr("&Settings"));
    settingsMenu->addAction(tr("Diagnosis &thresholds…"), this, [this] {
        ThresholdsDialog dialog(this);
        if (dialog.exec() == QDialog::Accepted)
            statusBar()->showMessage(tr("The new thresholds apply from the next launch, attach or opened run."), 8000);
    });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(graphDock->toggleViewAction());
    view->addAction(inspectorDock->toggleViewAction());
    view->addAction(layerDock->toggleViewAction());
    view->addAction(findingsDock->toggleViewAction());
    view->addAction(consoleDock->toggleViewAction());
    view->addSeparator();
    view->addAction(tr("&Fit graph"), QKeySequence(tr("Ctrl+0")), this, [this] { m_graph->view()->fitAll(); });
    view->addAction(tr("&Reset layout"), this, [this] { restoreState(m_defaultLayout); });
}

void MainWindow::showLaunchDialog()
{
    LaunchDialog dialog(this);
    if (dialog.exec() == QDialog::Accepted)
        launch(dialog.spec());
}

void MainWindow::showAttachDialog()
{
    AttachDialog dialog(this);
    if (dialog.exec() == QDialog::Accepted && !dialog.socketPath().isEmpty())
        attach(dialog.socketPath(), dialog.token());
}

void MainWindow::showAttachJobDialog()
{
    bool ok = false;
    const QString store = QInputDialog::getText(this, tr("Attach to a job"),
                                                tr("The job's store, where its probes publish their ranks\n"
                                                   "(MASTER_ADDR:MASTER_PORT of the job):"),
                                                QLineEdit::Normal, QStringLiteral("127.0.0.1:29500"), &ok);
    if (!ok || store.trimmed().isEmpty())
        return;
    std::string host;
    int port = 0;
    QString error;
    if (!splitStore(store.trimmed(), &host, &port, &error)) {
        QMessageBox::warning(this, tr("Attach to a job"), error);
        return;
    }
    // The store may take seconds to answer, or not answer: never on this thread.
    statusBar()->showMessage(tr("Reading the job's store at %1…").arg(store.trimmed()));
    auto* watcher = new QFutureWatcher<JobAddresses>(this);
    connect(watcher, &QFutureWatcher<JobAddresses>::finished, this, [this, watcher, store = store.trimmed()] {
        watcher->deleteLater();
        statusBar()->clearMessage();
        QString error;
        if (!attachJob(store, watcher->result(), &error))
            QMessageBox::warning(this, tr("Attach to a job"), error);
    });
    watcher->setFuture(QtConcurrent::run([host, port] { return readJobAddresses(host, port, kStoreTimeout); }));
}

void MainWindow::stopTrainer()
{
    if (m_attached) {
        // It was training before TrainDx came: ending it is rarely what a user attaching wants.
        QMessageBox box(QMessageBox::Question, tr("Stop"), tr("Stop the training program?"), QMessageBox::NoButton, this);
        box.setInformativeText(tr("TrainDx attached to it while it was training. Stop ends the program at its next "
                                  "boundary; Detach lets it train on without TrainDx."));
        box.setObjectName(QStringLiteral("stop-attached"));
        QPushButton* stop = box.addButton(tr("&Stop the program"), QMessageBox::DestructiveRole);
        QPushButton* detach = box.addButton(tr("&Detach"), QMessageBox::AcceptRole);
        box.addButton(QMessageBox::Cancel);
        box.setDefaultButton(detach);
        box.exec();
        if (box.clickedButton() == detach)
            m_session->detach();
        if (box.clickedButton() != stop)
            return;
    }
    for (Session* session : isJob() ? m_rankSessions : QVector<Session*> {m_session})
        session->send(Command::Stop);
}

void MainWindow::attach(const QString& socketPath, const QString& token)
{
    m_attached = true;
    m_token = token;
    m_console->clear();
    m_findingsSeen = 0;
    m_histograms->clearEpochFilter();
    applySessionOptions();
    appendConsole(tr("attached to %1; the trainer's own output stays where it was started\n").arg(socketPath), false);
    m_session->attach(socketPath);
}

void MainWindow::showOpenRunDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a recorded run"), defaultRunsDirectory(),
                                                      tr("TrainDx runs (*.traindx);;All files (*)"));
    if (!path.isEmpty())
        openRun(path);
}

void MainWindow::openRun(const QString& path)
{
    m_console->clear();
    m_findingsSeen = 0;
    m_histograms->clearEpochFilter();
    applySessionOptions();
    m_session->replay(path);
}

RunsDialog* MainWindow::showRunsDialog(const QString& directory)
{
    if (!m_runsDialog) {
        m_runsDialog = new RunsDialog(directory.isEmpty() ? defaultRunsDirectory() : directory, this);
        connect(m_runsDialog, &RunsDialog::openRequested, this, [this](const QString& path) { openRun(path); });
        connect(m_runsDialog, &RunsDialog::compareRequested, this,
                [this](const QString& before, const QString& after) { compareRuns(before, after); });
    } else {
        m_runsDialog->reload();
    }
    m_runsDialog->show();
    m_runsDialog->raise();
    return m_runsDialog;
}

CompareDialog* MainWindow::compareRuns(const QString& before, const QString& after)
{
    QString error;
    statusBar()->showMessage(tr("Replaying both runs…"));
    const RunStatePtr a = replayRunFile(before, &error);
    const RunStatePtr b = a ? replayRunFile(after, &error) : nullptr;
    statusBar()->clearMessage();
    if (!a || !b) {
        QMessageBox::warning(this, tr("Compare runs"), error);
        return nullptr;
    }
    auto* dialog = new CompareDialog(before, a, after, b, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return dialog;
}

void MainWindow::showExportReportDialog()
{
    const QString suggested = m_state && !m_state->runFile.isEmpty()
        ? QFileInfo(m_state->runFile).completeBaseName() + QStringLiteral(".pdf")
        : QStringLiteral("traindx-report.pdf");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export the diagnosis report"), suggested, tr("PDF (*.pdf)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!exportReport(path, &error))
        QMessageBox::warning(this, tr("Export report"), error);
    else
        statusBar()->showMessage(tr("Report written to %1").arg(path), 8000);
}

bool MainWindow::exportReport(const QString& path, QString* error)
{
    if (!m_state || m_state->model.layers.isEmpty()) {
        *error = tr("There is no run to report on yet.");
        return false;
    }
    return traindx::exportReport(*m_state, m_state->thresholds, path, error);
}

void MainWindow::launch(const LaunchSpec& spec)
{
    endJob();
    m_attached = false;
    m_console->clear();
    m_findingsSeen = 0;
    m_histograms->clearEpochFilter();
    applySessionOptions();
    appendConsole(tr("$ %1 %2\n").arg(spec.program, spec.arguments.join(QLatin1Char(' '))), false);
    m_session->launch(spec);
}

void MainWindow::endJob()
{
    for (int r = 1; r < m_rankSessions.size(); ++r)
        m_rankSessions[r]->deleteLater();
    m_rankSessions.clear();
    for (QProcess* process : m_quietRanks) {
        process->disconnect(this);
        if (process->state() != QProcess::NotRunning)
            process->terminate();
        process->setParent(nullptr);
        connect(process, &QProcess::finished, process, &QObject::deleteLater);
        if (process->state() == QProcess::NotRunning)
            process->deleteLater();
    }
    m_quietRanks.clear();
    m_reducedShown = false;
    m_reducedJob = false;
    m_rankStates.clear();
    m_selectedRank = 0;
    m_rankChoiceAction->setVisible(false);
    m_curves->setRankSpread({});
}

void MainWindow::launchJob(const LaunchSpec& spec, int ranks, bool reduced)
{
    if (reduced) {
        launchReducedJob(spec, ranks);
        return;
    }
    endJob();
    m_attached = false;
    m_console->clear();
    m_findingsSeen = 0;
    m_histograms->clearEpochFilter();
    const QVector<LaunchSpec> launches = rankLaunches(spec, ranks);
    startJobSessions(ranks);
    appendConsole(tr("$ %1 ranks (store on 127.0.0.1:%2): %3 %4\n")
                      .arg(ranks)
                      .arg(storePort(launches), spec.program, spec.arguments.join(QLatin1Char(' '))),
                  false);
    for (int r = 0; r < ranks; ++r)
        m_rankSessions[r]->launch(launches[r]);
}

void MainWindow::launchReducedJob(const LaunchSpec& spec, int ranks)
{
    endJob();
    m_attached = false;
    m_console->clear();
    m_findingsSeen = 0;
    m_histograms->clearEpochFilter();
    QVector<LaunchSpec> launches = rankLaunches(spec, ranks);
    for (LaunchSpec& launch : launches)
        launch.environment << QStringLiteral("TRAINDX_REDUCE=1");
    m_reducedJob = true;
    applySessionOptions();
    appendConsole(tr("$ %1 ranks served reduced through rank 0 (store on 127.0.0.1:%2): %3 %4\n")
                      .arg(ranks)
                      .arg(storePort(launches), spec.program, spec.arguments.join(QLatin1Char(' '))),
                  false);
    m_session->launch(launches[0]);
    for (int r = 1; r < ranks; ++r) {
        QProcess* process = quietRankProcess(launches[r]).release();
        process->setParent(this);
        connect(process, &QProcess::readyRead, this, [this, process, r] {
            appendConsole(QStringLiteral("[rank %1] %2").arg(r).arg(QString::fromLocal8Bit(process->readAll())), false);
        });
        connect(process, &QProcess::finished, this, [this, r](int code, QProcess::ExitStatus status) {
            if (status == QProcess::CrashExit || code != 0)
                appendConsole(tr("[rank %1] ended: %2\n")
                                  .arg(r)
                                  .arg(status == QProcess::CrashExit ? tr("signal %1").arg(code) : tr("exit code %1").arg(code)),
                              true);
        });
        process->start(launches[r].program, launches[r].arguments);
        m_quietRanks.push_back(process);
    }
}

bool MainWindow::attachJob(const QString& store, QString* error)
{
    std::string host;
    int port = 0;
    return splitStore(store, &host, &port, error) && attachJob(store, readJobAddresses(host, port, kStoreTimeout), error);
}

bool MainWindow::attachJob(const QString& store, const JobAddresses& job, QString* error)
{
    if (!job.error.empty()) {
        *error = QString::fromStdString(job.error);
        return false;
    }
    QStringList addresses;
    for (int r = 0; r < int(job.addresses.size()) && (!job.reduced || r == 0); ++r) {
        if (job.addresses[std::size_t(r)].empty()) {
            *error = tr("Rank %1 of the job published no address in its store.").arg(r);
            return false;
        }
        addresses.append(QString::fromStdString(job.addresses[std::size_t(r)]));
    }
    endJob();
    m_reducedJob = job.reduced;
    if (job.reduced || addresses.size() == 1) {
        attach(addresses.first(), m_token);
        return true;
    }
    m_attached = true;
    m_console->clear();
    m_findingsSeen = 0;
    m_histograms->clearEpochFilter();
    startJobSessions(addresses.size());
    appendConsole(tr("attached to the %1 ranks of the job whose store is %2\n").arg(addresses.size()).arg(store), false);
    for (int r = 0; r < addresses.size(); ++r)
        m_rankSessions[r]->attach(addresses[r]);
    return true;
}

void MainWindow::startJobSessions(int ranks)
{
    m_rankStates = QVector<RunStatePtr>(ranks);
    m_rankSessions = {m_session};
    const SessionOptions options = sessionOptions(); // a job's: no holds
    m_session->setOptions(options);
    for (int r = 1; r < ranks; ++r) {
        auto* session = new Session(this);
        session->setOptions(options);
        connect(session, &Session::stateChanged, this, [this, r](const RunStatePtr& state) { onRankState(r, state); });
        connect(session, &Session::consoleOutput, this, [this, r](const QString& text, bool standardError) {
            appendConsole(QStringLiteral("[rank %1] %2").arg(r).arg(text), standardError);
        });
        m_rankSessions.append(session);
    }
    m_rankChoice->clear();
    for (int r = 0; r < ranks; ++r)
        m_rankChoice->addItem(tr("rank %1").arg(r));
    m_rankChoiceAction->setVisible(true);
    m_ranksDock->show();
    m_ranksDock->raise();
}

void MainWindow::selectRank(int rank)
{
    if (!isJob() || rank < 0 || rank >= m_rankSessions.size())
        return;
    m_selectedRank = rank;
    m_rankChoice->setCurrentIndex(rank);
    m_findingsSeen = 0;
    m_curves->restart();
    if (m_rankStates[rank])
        showState(m_rankStates[rank]);
    m_curves->setRankSpread(m_rankStates);
    m_ranks->setRanks(m_rankStates, m_selectedRank);
    // Where comparing the ranks found this one at fault.
    for (const Finding& f : m_ranks->jobFindings())
        if (f.rank == rank && f.layer >= 0) {
            selectLayer(f.layer);
            m_graph->highlightLayer(f.layer);
            break;
        }
}

void MainWindow::onRankState(int rank, const RunStatePtr& state)
{
    m_rankStates[rank] = state;
    if (rank == m_selectedRank)
        showState(state);
    // Comparing the ranks and their loss spread read every rank's every point: twice a
    // second is enough for the eye, and keeps the window responsive.
    if (!m_spreadTimer->isActive())
        m_spreadTimer->start();
}

void MainWindow::selectLayer(int layerId)
{
    const int row = m_layers->rowOf(layerId);
    const QModelIndex shown = row >= 0 ? m_layerFilter->mapFromSource(m_layers->index(row, 0)) : QModelIndex();
    if (shown.isValid()) // a layer the filter hides is still shown everywhere else
        m_layerView->selectionModel()->setCurrentIndex(shown,
                                                       QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_inspector->setLayer(layerId);
    m_graph->setSelectedLayer(layerId);
    m_histograms->setLayer(layerId);
    m_distribution->setLayer(layerId);
}

void MainWindow::onStateChanged(const RunStatePtr& state)
{
    if (isJob()) {
        onRankState(0, state);
        return;
    }
    showState(state);
    if (state->program.reduced && state->program.worldSize > 1) {
        if (!m_reducedShown) {
            m_reducedShown = true;
            if (!m_reducedJob) { // attached by its socket: no holds from now on
                m_reducedJob = true;
                applySessionOptions();
            }
            m_ranksDock->show();
            m_ranksDock->raise();
        }
        m_ranks->setReducedJob(*state);
    }
}

void MainWindow::showState(const RunStatePtr& state)
{
    const bool modelChanged = !m_state || m_state->model.layers.size() != state->model.layers.size();
    m_state = state;
    m_layers->setModel(state->model);
    if (modelChanged && m_histograms->layer() < 0 && !state->model.layers.isEmpty()) {
        // Start where the eye goes first: the first layer with parameters.
        for (const Layer& layer : state->model.layers)
            if (layer.id > 0 && !layer.parameters.isEmpty()) {
                selectLayer(layer.id);
                break;
            }
    }
    m_findings->setFindings(state->findings);
    QHash<int, int> health;
    for (const Layer& layer : state->model.layers)
        health.insert(layer.id, int(state->layerHealth(layer.id)));
    m_layers->setHealth(health);
    m_graph->setState(state);
    m_inspector->setState(state);
    if (state->findings.size() > m_findingsSeen) {
        // A new finding: show where it is. The most important one leads.
        m_findingsSeen = state->findings.size();
        if (state->findings.first().layer >= 0) {
            selectLayer(state->findings.first().layer);
            m_graph->highlightLayer(state->findings.first().layer);
        }
    }
    m_histograms->setState(state);
    m_curves->setState(state);
    m_distribution->setState(state);
    m_overview->setState(state);
    const QString program = QFileInfo(state->program.program).fileName();
    setWindowTitle(program.isEmpty() ? tr("TrainDx")
                                     : tr("%1 (pid %2) — TrainDx").arg(program).arg(state->program.pid));
    updateActions();
    updateStatus();
}

void MainWindow::updateActions()
{
    const auto state = m_state ? m_state->state : TrainerState::Idle;
    const bool connected = m_state && m_state->connected;
    const bool running = connected && state == TrainerState::Running;
    const bool held = connected && state == TrainerState::Held;
    m_continueAction->setEnabled(held);
    m_pauseAction->setEnabled(running);
    m_stepEpochAction->setEnabled(held);
    m_stepBatchAction->setEnabled(held);
    m_stopAction->setEnabled(state == TrainerState::Running || state == TrainerState::Held
                             || state == TrainerState::Starting);
    m_exportAction->setEnabled(m_state && !m_state->model.layers.isEmpty());
    m_detachAction->setEnabled(connected);
    m_breakOnSymptomAction->setEnabled(!isJob() && !m_reducedJob);
    if (m_reducedJob) // rank 0 held would hold every other rank too
        for (QAction* action : {m_continueAction, m_pauseAction, m_stepEpochAction, m_stepBatchAction})
            action->setEnabled(false);
    if (isJob()) {
        // One rank held would hold every other in its next all-reduce, until its timeout.
        for (QAction* action : {m_continueAction, m_pauseAction, m_stepEpochAction, m_stepBatchAction, m_detachAction})
            action->setEnabled(false);
        bool live = false;
        for (const RunStatePtr& rank : std::as_const(m_rankStates))
            live = live || (rank && (rank->state == TrainerState::Running || rank->state == TrainerState::Starting));
        m_stopAction->setEnabled(live || state == TrainerState::Starting);
    }
    m_changeAction->setEnabled(connected && (running || held));
}

void MainWindow::showChangeDialog()
{
    if (!m_state)
        return;
    ChangeDialog dialog(*m_state, this);
    Q_EMIT changeDialogShown(&dialog);
    if (dialog.exec() != QDialog::Accepted)
        return;
    LiveChange change;
    QString error;
    if (!dialog.change(&change, &error))
        return;
    m_session->change(change);
    statusBar()->showMessage(m_state->state == TrainerState::Held
                                 ? tr("Asked: %1 — made when the trainer continues").arg(change.text)
                                 : tr("Asked: %1 — made at the next boundary").arg(change.text),
                             8000);
}

void MainWindow::updateStatus()
{
    if (!m_state)
        return;
    const RunState& s = *m_state;
    QString text;
    switch (s.state) {
    case TrainerState::Held:
        if (s.heldInBackward)
            text = tr("Held inside backward at step %1 (batch %2 of epoch %3), before the optimizer step")
                       .arg(s.step + 1)
                       .arg(s.batch + 1)
                       .arg(s.epoch + 1);
        else
            text = s.heldAtEpochEnd ? tr("Held at the end of epoch %1").arg(s.epoch)
                                    : tr("Held after batch %1 of epoch %2").arg(s.batch).arg(s.epoch + 1);
        if (!s.findings.isEmpty())
            text += tr(" — %1 at %2").arg(symptomName(s.findings.first().symptom), s.findings.first().layerLabel());
        break;
    case TrainerState::Running:
        text = !s.findings.isEmpty() ? tr("Running — %n finding(s)", nullptr, int(s.findings.size()))
            : s.points.isEmpty()     ? tr("Running")
                                     : tr("Running — healthy so far");
        break;
    case TrainerState::Finished:
        text = tr("Finished") + (s.message.isEmpty() ? QString() : QStringLiteral(": ") + s.message);
        break;
    case TrainerState::Crashed:
        text = tr("Crashed: %1").arg(s.message);
        break;
    case TrainerState::Failed:
        text = tr("Failed: %1").arg(s.message);
        break;
    case TrainerState::Starting:
        text = tr("Starting…");
        break;
    case TrainerState::Detached:
        text = tr("Detached");
        break;
    case TrainerState::Idle:
        text = tr("No trainer — File ▸ Launch… to start one");
        break;
    case TrainerState::Replay:
        text = tr("Recorded run (%1 findings)").arg(s.findings.size());
        break;
    }
    const bool over = s.state == TrainerState::Finished || s.state == TrainerState::Crashed
        || s.state == TrainerState::Detached || s.state == TrainerState::Replay;
    const bool faulty = std::any_of(s.findings.cbegin(), s.findings.cend(), [](const Finding& f) { return f.isFault(); });
    const QString unjudged = over && !faulty ? s.notDiagnosedReason() : QString();
    if (!unjudged.isEmpty())
        text += tr(" — not diagnosed: %1").arg(unjudged); // never a silent "healthy" for a run nobody watched
    else if (over && s.state != TrainerState::Crashed && s.findings.isEmpty())
        text += tr(" — healthy");
    m_stateLabel->setStyleSheet(unjudged.isEmpty() ? QString() : QStringLiteral("color: #b00020"));
    m_stateLabel->setText(text);
    m_stateLabel->setToolTip(text); // the status bar may cut it
    const bool live = s.state == TrainerState::Running || s.state == TrainerState::Held;
    if (s.state == TrainerState::Held && s.heldInBackward) // inside the batch, as the state says
        m_positionLabel->setText(tr("epoch %1 · batch %2 · step %3").arg(s.epoch + 1).arg(s.batch + 1).arg(s.step + 1));
    else if (live && !(s.state == TrainerState::Held && s.heldAtEpochEnd))
        m_positionLabel->setText(tr("epoch %1 · batch %2 · step %3").arg(s.epoch + 1).arg(s.batch).arg(s.step));
    else if (s.state != TrainerState::Idle && s.state != TrainerState::Failed)
        m_positionLabel->setText(tr("%1 epochs done · step %2").arg(s.epoch).arg(s.step));
    else
        m_positionLabel->clear();
    // The first snapshot's cost over a loop that has run a few milliseconds is no overhead
    // anyone would meet: the share is shown once the loop has run two seconds (holds excluded).
    m_overheadLabel->setText(s.loopSeconds >= 2 ? tr("probe overhead %1 %").arg(100 * s.overhead(), 0, 'f', 2)
                             : s.loopSeconds > 0 ? tr("probe overhead —")
                                                 : QString());
    m_overheadLabel->setToolTip(tr("Time the probe spent in the training thread, as a share of the loop's own time "
                                   "(time held at a breakpoint counts as neither); shown after two seconds of training"));
    m_droppedLabel->setText(tr("dropped %1").arg(s.dropped));
    if (!s.runFile.isEmpty()) {
        m_recordingLabel->setText(s.state == TrainerState::Replay ? tr("replaying %1").arg(QFileInfo(s.runFile).fileName())
                                                                  : tr("recording to %1").arg(QFileInfo(s.runFile).fileName()));
        m_recordingLabel->setToolTip(s.runFile);
    } else {
        m_recordingLabel->setText(s.recordingProblem.isEmpty() ? QString() : tr("not recording"));
        m_recordingLabel->setToolTip(s.recordingProblem);
    }
    m_droppedLabel->setToolTip(tr("Snapshots the probe dropped because TrainDx could not keep up"));
}

void MainWindow::appendConsole(const QString& text, bool standardError)
{
    QTextCharFormat format;
    format.setForeground(standardError ? QColor(0xb0, 0x30, 0x20) : palette().text().color());
    QTextCursor cursor(m_console->document());
    cursor.movePosition(QTextCursor::End);
    cursor.insertText(text, format);
    m_console->ensureCursorVisible();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

} // namespace traindx
