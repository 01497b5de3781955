// traindx-cli's run and attach: a session without a window that prints findings as they
// arrive, a summary at the end, writes the JSON report and answers with an exit code.
#pragma once

#include "quit_signals.h"
#include "session.h"

#include <QObject>
#include <QJsonObject>
#include <QSet>
#include <QTextStream>

namespace traindx::cli {

// traindx-cli's standard output and error, shared by every command.
QTextStream& out();
QTextStream& err();
bool writeJsonFile(const QString& path, const QJsonObject& root, QString* error);

enum ExitCode { Healthy = 0, Findings = 1, UsageError = 2, TrainerCrashed = 3, NotDiagnosed = 4 };

struct Options {
    QString jsonPath;
    QString reportPath; // a PDF
    QString replayPath; // replay: the run file
    int maxEpochs = -1;
    int ranks = 0;      // > 1: launch the program as this many ranks of one job (RANK, WORLD_SIZE, …)
    bool reduced = false; // with ranks: the probes combine their statistics and rank 0 alone serves
    QString storeAddress; // attach --store HOST:PORT: the ranks a job published in its store
    QStringList rankAddresses; // read from it, by rank: a job attached to
    bool stopOnSymptom = false;
    bool showOutput = false;
    QVector<LiveChange> changes; // --apply, in the order given
    bool autoFix = false;        // apply the first fault's fix live when it can be, and judge what follows
    SessionOptions session;
    // One of these:
    LaunchSpec launch;
    QString attachTarget; // a pid or a socket path
};

enum class Mode { Run, Attach, Replay };

// One verdict for the summary, the JSON and the exit code.
struct Verdict {
    QString name; // faulty, crashed, not_diagnosed, healthy
    QString reason;
    int faults = 0;
};
Verdict verdictOf(const RunState& state);

// Parses the arguments after "run", "attach" or "replay"; on failure returns false with `error`.
bool parse(const QStringList& arguments, Mode mode, Options* options, QString* error);

class HeadlessRun : public QObject {
    Q_OBJECT
public:
    explicit HeadlessRun(Options options, QObject* parent = nullptr);
    // Starts; the application quits with the exit code when the run is over.
    void start();

private:
    void onState(const RunStatePtr& state);
    // Ctrl-C or SIGTERM: stop a launched trainer or detach from an attached one, then report
    // as at any end; a second one quits at once.
    void interrupted(int signal);
    void finish(const RunState& state);
    bool writeJson(const RunState& state, QString* error) const;

    Options m_options;
    Session m_session;
    QSet<QString> m_printed;
    int m_epochsPrinted = 0;
    bool m_stopSent = false;
    bool m_done = false;
    int m_interruptedBy = 0;
    bool m_recordingProblemSaid = false;
    bool m_windowsSaid = false;
    bool m_reducedSaid = false;
    QVector<bool> m_changeAsked; // by m_options.changes index
    int m_changesPrinted = 0;
    void askChanges(const RunState* state);
    // --auto-fix: at the first fault, its fix as a live change; holds after it are continued.
    void autoFix(const RunState& state);
    static int countAfterChange(const RunState& state, AfterChange::Verdict verdict);
    // After an auto-fix: the faults left (not cleared since the change); -1 when no change was applied.
    int faultsAfterFix(const RunState& state) const;
    QString m_fixedFinding;   // key of the finding the auto-fix answered
    QString m_fixText;
    bool m_fixAsked = false;
    QuitSignals m_quitSignals;
};

} // namespace traindx::cli
