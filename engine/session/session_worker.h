// The worker-thread half of a Session: owns the process, the connection and the run.
#pragma once

#include "connection.h"
#include "diagnoser.h"
#include "launcher.h"
#include "run_builder.h"
#include "run_file.h"
#include "session.h"
#include "live_change.h"

#include <QElapsedTimer>
#include <QTimer>

namespace traindx {

class SessionWorker : public QObject {
    Q_OBJECT
public:
    SessionWorker();

    void launch(const LaunchSpec& spec);
    void attach(const QString& socketPath);
    void replay(const QString& runFilePath);
    void detach();
    void send(Command command);
    void change(const LiveChange& change);
    void shutdown();
    void setOptions(const SessionOptions& options);

Q_SIGNALS:
    void published(const traindx::RunStatePtr& state);
    void consoleOutput(const QString& text, bool standardError);

private:
    void reset(TrainerState state);
    // Tells the probe whether to hold inside backward at the first non-finite gradient.
    void sendBreakSetting();
    void onReady(const wire::Hello& hello);
    void onFrame(const wire::Frame& frame);
    void diagnose(const RunBuilder::Applied& applied, double seconds);
    void startRecording(const QString& mode);
    qint64 nowMs() const;
    void onClosed(const QString& error);
    void onProcessFinished(int exitCode, int signal);
    void publish();
    void changed() { m_dirty = true; }
    // The trainer's output, bounded per publish: its first kConsoleHeadChars and its last
    // kConsoleTailChars go to the views and the run file, the middle is counted and said.
    void addOutput(const QString& text, bool standardError);
    static constexpr qsizetype kConsoleHeadChars = 48 * 1024;
    static constexpr qsizetype kConsoleTailChars = 16 * 1024;

    Launcher* m_launcher = nullptr;
    Connection* m_connection = nullptr;
    RunBuilder m_run;
    std::unique_ptr<Diagnoser> m_diagnoser;
    SessionOptions m_options;
    QElapsedTimer m_sinceLaunch;
    std::unique_ptr<RunRecorder> m_recorder;
    QTimer m_publishTimer {this}; // children, so they move to the worker thread with it
    QTimer m_stopTimer {this};
    QVector<QPair<QString, bool>> m_output; // console text since the last publish, by stream
    qsizetype m_outputChars = 0;
    QString m_outputTail;
    bool m_outputTailError = false;
    qsizetype m_outputDropped = 0;
    bool m_dirty = false;
    bool m_finishedByProbe = false;
    bool m_stopRequested = false;
    qint64 m_changesAsked = 0;
    QVector<wire::Frame> m_unsentChanges; // asked before the probe answered
    quint64 m_revision = 0;
};

} // namespace traindx
