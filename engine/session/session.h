// One debugging session: a launched or attached trainer, its statistics stream and the
// run it builds. The stream is read, decoded and folded into the run on a worker thread;
// the owner's thread receives an immutable RunState at most every 100 ms.
#pragma once

#include "launcher.h"
#include "run_state.h"

#include <QObject>
#include <QThread>

namespace traindx {

class SessionWorker;

enum class Command { Pause, Continue, StepEpoch, StepBatch, Stop };

class Session : public QObject {
    Q_OBJECT
public:
    explicit Session(QObject* parent = nullptr);
    ~Session() override;

    void launch(const LaunchSpec& spec);
    void attach(const QString& socketPath);
    void detach();
    void send(Command command);

    RunStatePtr state() const { return m_state; }

    static constexpr int kPublishIntervalMs = 100;

Q_SIGNALS:
    void stateChanged(const traindx::RunStatePtr& state);
    void consoleOutput(const QString& text, bool standardError);

private:
    QThread m_thread;
    SessionWorker* m_worker = nullptr;
    RunStatePtr m_state;
};

} // namespace traindx
