#include "launcher.h"

#include <QFileInfo>
#include <QStandardPaths>
#include <QTimer>

#include <csignal>
#include <cstring>

namespace traindx {

QProcessEnvironment launchEnvironment(const LaunchSpec& spec)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const QString& entry : spec.environment) {
        const int equals = entry.indexOf(QLatin1Char('='));
        if (equals > 0)
            environment.insert(entry.left(equals), entry.mid(equals + 1));
    }
    environment.insert(QStringLiteral("TRAINDX_LAUNCHED"), QStringLiteral("1"));
    environment.remove(QStringLiteral("TRAINDX")); // "off" would leave nothing to debug
    return environment;
}

Launcher::Launcher(QObject* parent)
    : QObject(parent)
{
}

Launcher::~Launcher()
{
    if (m_process) {
        m_process->disconnect(this);
        if (m_process->state() != QProcess::NotRunning) {
            m_process->terminate();
            if (!m_process->waitForFinished(2000))
                m_process->kill();
            m_process->waitForFinished(1000);
        }
    }
}

bool Launcher::start(const LaunchSpec& spec, const QString& socketPath)
{
    QString program = spec.program;
    if (!program.contains(QLatin1Char('/'))) {
        const QString found = QStandardPaths::findExecutable(program);
        if (found.isEmpty()) {
            Q_EMIT failed(tr("'%1' is not a program on the PATH").arg(program));
            return false;
        }
        program = found;
    } else if (!spec.workingDirectory.isEmpty() && QFileInfo(program).isRelative()) {
        program = spec.workingDirectory + QLatin1Char('/') + program;
    }
    const QFileInfo info(program);
    if (!info.exists()) {
        Q_EMIT failed(tr("'%1' does not exist").arg(spec.program));
        return false;
    }
    if (!info.isFile() || !info.isExecutable()) {
        Q_EMIT failed(tr("'%1' is not an executable file").arg(spec.program));
        return false;
    }
    if (!spec.workingDirectory.isEmpty() && !QFileInfo(spec.workingDirectory).isDir()) {
        Q_EMIT failed(tr("the working directory '%1' does not exist").arg(spec.workingDirectory));
        return false;
    }

    if (m_process) {
        m_process->disconnect(this);
        m_process->deleteLater();
    }
    m_process = new QProcess(this);
    m_terminating = false;
    QProcessEnvironment environment = launchEnvironment(spec);
    environment.insert(QStringLiteral("TRAINDX_LISTEN"), socketPath);
    environment.insert(QStringLiteral("TRAINDX_WAIT"), QStringLiteral("1"));
    m_process->setProcessEnvironment(environment);
    m_process->setProgram(program);
    m_process->setArguments(spec.arguments);
    if (!spec.workingDirectory.isEmpty())
        m_process->setWorkingDirectory(spec.workingDirectory);

    connect(m_process, &QProcess::started, this, [this] { Q_EMIT started(m_process->processId()); });
    connect(m_process, &QProcess::readyReadStandardOutput, this,
            [this] { Q_EMIT output(QString::fromLocal8Bit(m_process->readAllStandardOutput()), false); });
    connect(m_process, &QProcess::readyReadStandardError, this,
            [this] { Q_EMIT output(QString::fromLocal8Bit(m_process->readAllStandardError()), true); });
    connect(m_process, &QProcess::finished, this, [this](int exitCode, QProcess::ExitStatus status) {
        // On Unix, QProcess reports the terminating signal as the exit code of a crash.
        if (status == QProcess::CrashExit)
            Q_EMIT finished(0, exitCode > 0 ? exitCode : SIGKILL);
        else
            Q_EMIT finished(exitCode, 0);
    });
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            Q_EMIT failed(tr("cannot start '%1': %2").arg(m_process->program(), m_process->errorString()));
    });
    m_process->start();
    return true;
}

void Launcher::terminate(int graceMs)
{
    if (!isRunning() || m_terminating)
        return;
    m_terminating = true;
    m_process->terminate();
    QTimer::singleShot(graceMs, m_process, [process = m_process] {
        if (process->state() != QProcess::NotRunning)
            process->kill();
    });
}

bool Launcher::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

qint64 Launcher::pid() const
{
    return m_process ? m_process->processId() : 0;
}

QString Launcher::describeExit(int exitCode, int signal)
{
    if (signal > 0) {
        const char* abbrev = sigabbrev_np(signal);
        return tr("killed by signal %1 (%2)")
            .arg(signal)
            .arg(abbrev ? QStringLiteral("SIG") + QString::fromLatin1(abbrev) : QString::fromLatin1(strsignal(signal)));
    }
    return tr("exited with code %1").arg(exitCode);
}

} // namespace traindx
