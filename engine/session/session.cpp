#include "session.h"

#include "session_worker.h"

namespace traindx {

Session::Session(QObject* parent)
    : QObject(parent)
    , m_state(std::make_shared<RunState>())
{
    qRegisterMetaType<RunStatePtr>();
    m_thread.setObjectName(QStringLiteral("traindx-session"));
    m_worker = new SessionWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &SessionWorker::published, this, [this](const RunStatePtr& state) {
        m_state = state;
        Q_EMIT stateChanged(state);
    });
    connect(m_worker, &SessionWorker::consoleOutput, this, &Session::consoleOutput);
    m_thread.start();
}

Session::~Session()
{
    QMetaObject::invokeMethod(m_worker, &SessionWorker::shutdown, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void Session::launch(const LaunchSpec& spec)
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, spec] { worker->launch(spec); });
}

void Session::attach(const QString& socketPath)
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, socketPath] { worker->attach(socketPath); });
}

void Session::replay(const QString& runFilePath)
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, runFilePath] { worker->replay(runFilePath); });
}

void Session::detach()
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker] { worker->detach(); });
}

void Session::setOptions(const SessionOptions& options)
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, options] { worker->setOptions(options); });
}

void Session::change(const LiveChange& change)
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, change] { worker->change(change); });
}

void Session::send(Command command)
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker, command] { worker->send(command); });
}

} // namespace traindx
