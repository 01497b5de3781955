// One debugging session: a launched or attached trainer, its statistics stream and the
// run it builds. The stream is read, decoded and folded into the run on a worker thread;
// the owner's thread receives an immutable RunState at most every 100 ms.
#pragma once

#include "launcher.h"
#include "live_change.h"
#include "run_state.h"
#include "thresholds.h"

#include <QObject>
#include <QThread>

namespace traindx {

class SessionWorker;

enum class Command { Pause, Continue, StepEpoch, StepBatch, Stop };

struct SessionOptions {
    Thresholds thresholds;
    // When a faulty finding arrives: hold the trainer (the debugger's default), or stop it.
    bool breakOnSymptom = false;
    bool stopOnSymptom = false;
    // > 0: stop the trainer once this many epochs have ended.
    int maxEpochs = 0;
    // Every session is recorded into a run file unless told not to; an empty path means a
    // new file in the runs folder (defaultRunsDirectory()).
    bool record = true;
    QString recordPath;
    // Presented to a probe listening on TCP (TRAINDX_LISTEN=tcp://…), which refuses clients
    // without its token.
    QString token;
};

class Session : public QObject {
    Q_OBJECT
public:
    explicit Session(QObject* parent = nullptr);
    ~Session() override;

    void launch(const LaunchSpec& spec);
    void attach(const QString& socketPath);
    // Shows a recorded run: its frames go through the same path as a live stream.
    void replay(const QString& runFilePath);
    void detach();
    void send(Command command);
    // Asks the probe to change the live training at its next boundary (before training, if
    // it has not started); the answer arrives in RunState::changes. Asked before the probe
    // is connected, it is sent when it is.
    void change(const LiveChange& change);
    // Applies to the next launch or attach.
    void setOptions(const SessionOptions& options);

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
