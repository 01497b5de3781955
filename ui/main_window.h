// The TrainDx main window: layers on the left, plots in the centre, console below, and
// the debugger's controls (continue, pause, step, stop) in the toolbar.
#pragma once

#include "session.h"

#include <QMainWindow>

#include <vector>

class QAction;
class QComboBox;
class QDockWidget;
class QTimer;
class QProcess;
class QLabel;
class QPlainTextEdit;
class QSortFilterProxyModel;
class QTableView;
class QTabWidget;

namespace traindx {

struct JobAddresses;

class ChangeDialog;
class RanksPanel;
class CompareDialog;
class RunsDialog;

class CurvesPanel;
class DistributionPanel;
class OverviewPanel;
class FindingsModel;
class GraphPanel;
class HistogramPanel;
class InspectorPanel;
class LayerListModel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    void launch(const LaunchSpec& spec);
    // The program as `ranks` ranks of one job on this machine (as torchrun starts them), one
    // session each; the views show the selected rank, the Ranks dock all of them. Reduced:
    // the probes combine their statistics and one session, rank 0's, shows the job's; the
    // other ranks are processes whose output goes to the console.
    void launchJob(const LaunchSpec& spec, int ranks, bool reduced = false);
    // A running job, by its store (HOST:PORT): every rank its probes published there, or rank 0
    // alone when the job is served reduced. False, with `error`, when the store says nothing.
    // Reads the store on this thread: for the command line, before the window has work to do.
    bool attachJob(const QString& store, QString* error);
    void selectRank(int rank);
    int selectedRank() const { return m_selectedRank; }
    bool isJob() const { return m_rankSessions.size() > 1; }
    RanksPanel* ranksPanel() const { return m_ranks; }
    RunStatePtr shownState() const { return m_state; }
    void openRun(const QString& path);
    // A local socket path, or "tcp://HOST:PORT" with the probe's token.
    void attach(const QString& socketPath, const QString& token = QString());
    bool exportReport(const QString& path, QString* error);
    Session* session() const { return m_session; }
    HistogramPanel* histogramPanel() const { return m_histograms; }
    CurvesPanel* curvesPanel() const { return m_curves; }
    QTableView* layerView() const { return m_layerView; }
    QTableView* findingsView() const { return m_findingsView; }
    GraphPanel* graphPanel() const { return m_graph; }
    InspectorPanel* inspector() const { return m_inspector; }
    DistributionPanel* distributionPanel() const { return m_distribution; }
    OverviewPanel* overviewPanel() const { return m_overview; }
    QTabWidget* plotTabs() const { return m_tabs; }
    void selectLayer(int layerId);
    // File ▸ Recorded runs (the user's runs folder unless told another).
    RunsDialog* showRunsDialog(const QString& directory = QString());
    // Both runs replayed and shown side by side; nullptr (said in a message box) when a file cannot be read.
    CompareDialog* compareRuns(const QString& before, const QString& after);
    // Help ▸ Keyboard shortcuts: every menu action with a key, and the mouse in plots and graph.
    QString shortcutsText() const;
    void showShortcuts();
    // Run ▸ Change…: the change the dialog builds is asked of the probe.
    void showChangeDialog();
    QAction* changeAction() const { return m_changeAction; }

Q_SIGNALS:
    // Before the dialog runs: lets tests fill it in and look at it.
    void changeDialogShown(ChangeDialog* dialog);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createDocks();
    void onStateChanged(const RunStatePtr& state);
    void onRankState(int rank, const RunStatePtr& state);
    void showState(const RunStatePtr& state);
    void endJob();
    void updateActions();
    void updateStatus();
    void appendConsole(const QString& text, bool standardError);
    void showLaunchDialog();
    void showOpenRunDialog();
    void showAttachDialog();
    void showAttachJobDialog();
    void launchReducedJob(const LaunchSpec& spec, int ranks);
    // A session per rank (rank 0's is m_session), the rank selector and the Ranks dock.
    void startJobSessions(int ranks);
    bool attachJob(const QString& store, const JobAddresses& job, QString* error);
    void showExportReportDialog();
    void applySessionOptions();
    SessionOptions sessionOptions() const;
    // Run > Stop: asks first when the trainer was attached to, and offers Detach.
    void stopTrainer();

    Session* m_session;
    RunStatePtr m_state;
    LayerListModel* m_layers;
    QTableView* m_layerView = nullptr;
    FindingsModel* m_findings;
    QTableView* m_findingsView = nullptr;
    GraphPanel* m_graph = nullptr;
    InspectorPanel* m_inspector = nullptr;
    int m_findingsSeen = 0;
    HistogramPanel* m_histograms;
    CurvesPanel* m_curves;
    DistributionPanel* m_distribution;
    OverviewPanel* m_overview;
    QTabWidget* m_tabs;
    QPlainTextEdit* m_console = nullptr;
    QLabel* m_stateLabel;
    QLabel* m_positionLabel;
    QLabel* m_overheadLabel;
    QLabel* m_droppedLabel;
    QLabel* m_recordingLabel;

    QAction* m_launchAction = nullptr;
    QAction* m_exportAction = nullptr;
    QAction* m_detachAction = nullptr;
    QAction* m_changeAction = nullptr;
    QVector<Session*> m_rankSessions; // a job's, rank 0 being m_session; empty for one process
    QVector<RunStatePtr> m_rankStates;
    std::vector<QProcess*> m_quietRanks; // a reduced job's ranks other than rank 0
    bool m_reducedShown = false;
    bool m_reducedJob = false; // rank 0 of a job served reduced: no holds
    int m_selectedRank = 0;
    RanksPanel* m_ranks = nullptr;
    QDockWidget* m_ranksDock = nullptr;
    QComboBox* m_rankChoice = nullptr;
    QAction* m_rankChoiceAction = nullptr;
    QTimer* m_spreadTimer = nullptr;
    QAction* m_continueAction = nullptr;
    QAction* m_pauseAction = nullptr;
    QAction* m_stepEpochAction = nullptr;
    QAction* m_stepBatchAction = nullptr;
    QAction* m_stopAction = nullptr;
    QAction* m_breakOnSymptomAction = nullptr;
    QString m_token; // for a probe on TCP, as File > Attach was given it
    bool m_attached = false; // the trainer of this session was running before TrainDx came
    RunsDialog* m_runsDialog = nullptr;
    QSortFilterProxyModel* m_layerFilter = nullptr;
    QByteArray m_defaultLayout;
};

} // namespace traindx
