// Starts a training program under TrainDx: the probe inside it is told where to listen
// and to wait for TrainDx before training. Reports the program's output and how it ended.
#pragma once

#include <QObject>
#include <QProcess>
#include <QStringList>

namespace traindx {

struct LaunchSpec {
    QString program;
    QStringList arguments;
    QString workingDirectory;
    QStringList environment; // extra "NAME=value" entries
};

// This process's environment with the spec's entries and TRAINDX_LAUNCHED=1 (and never
// TRAINDX=off): what a launched trainer runs with, before its probe's listening address.
QProcessEnvironment launchEnvironment(const LaunchSpec& spec);

class Launcher : public QObject {
    Q_OBJECT
public:
    explicit Launcher(QObject* parent = nullptr);
    ~Launcher() override;

    // Checks the program first; on failure emits failed() and returns false.
    bool start(const LaunchSpec& spec, const QString& socketPath);
    void terminate(int graceMs = 2000); // SIGTERM, then SIGKILL if it lingers
    bool isRunning() const;
    qint64 pid() const;

    // "exited with code 1", "killed by signal 9 (SIGKILL)", …
    static QString describeExit(int exitCode, int signal);

Q_SIGNALS:
    void started(qint64 pid);
    void output(const QString& text, bool standardError);
    // signal is 0 unless the program was killed by one.
    void finished(int exitCode, int signal);
    void failed(const QString& message);

private:
    QProcess* m_process = nullptr;
    bool m_terminating = false;
};

} // namespace traindx
