#include "session_worker.h"

#include "discovery.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QSet>
#include <QJsonDocument>
#include <QJsonArray>
#include <QJsonObject>

#include <cerrno>
#include <csignal>

namespace traindx {

namespace {
constexpr int kLaunchConnectTimeoutMs = 30000;
constexpr int kAttachConnectTimeoutMs = 3000;
constexpr int kStopGraceMs = 3000;
} // namespace

SessionWorker::SessionWorker()
{
    m_publishTimer.setInterval(Session::kPublishIntervalMs);
    connect(&m_publishTimer, &QTimer::timeout, this, &SessionWorker::publish);
    m_stopTimer.setSingleShot(true);
    m_stopTimer.setInterval(kStopGraceMs);
    connect(&m_stopTimer, &QTimer::timeout, this, [this] {
        if (m_launcher)
            m_launcher->terminate();
    });
}

void SessionWorker::reset(TrainerState state)
{
    if (m_connection) {
        m_connection->disconnect(this);
        m_connection->disconnectFromProbe();
        m_connection->deleteLater();
    }
    m_connection = new Connection(this);
    connect(m_connection, &Connection::ready, this, &SessionWorker::onReady);
    connect(m_connection, &Connection::frameReceived, this, &SessionWorker::onFrame);
    connect(m_connection, &Connection::closed, this, &SessionWorker::onClosed);
    publish(); // the last output of the run before, into its own recording
    if (m_recorder)
        m_recorder->close();
    m_recorder.reset();
    m_run = RunBuilder();
    m_run.state().state = state;
    m_diagnoser = std::make_unique<Diagnoser>(m_options.thresholds);
    for (const auto& entry : m_options.thresholds.entries())
        m_run.state().thresholds.insert(entry.name, entry.value);
    m_sinceLaunch.start();
    m_finishedByProbe = false;
    m_stopRequested = false;
    m_unsentChanges.clear();
    m_stopTimer.stop();
    m_publishTimer.start();
    changed();
}

void SessionWorker::launch(const LaunchSpec& spec)
{
    if (m_launcher) {
        m_launcher->disconnect(this);
        delete m_launcher; // ends a trainer still running from the previous launch
    }
    reset(TrainerState::Starting);
    auto& program = m_run.state().program;
    program.program = spec.program;
    program.arguments = spec.arguments;
    program.workingDirectory = spec.workingDirectory.isEmpty() ? QDir::currentPath() : spec.workingDirectory;
    startRecording(QStringLiteral("launch"));

    QString refused;
    const QString socketPath = discovery::launchSocketPath(&refused);
    if (socketPath.isEmpty()) {
        m_run.state().state = TrainerState::Failed;
        m_run.state().message = QStringLiteral("cannot launch: the discovery directory is refused: %1").arg(refused);
        changed();
        return;
    }
    m_launcher = new Launcher(this);
    connect(m_launcher, &Launcher::started, this, [this, socketPath](qint64 pid) {
        m_run.state().program.pid = pid;
        m_connection->connectTo(socketPath, kLaunchConnectTimeoutMs);
        changed();
    });
    connect(m_launcher, &Launcher::output, this, &SessionWorker::addOutput);
    connect(m_launcher, &Launcher::failed, this, [this](const QString& message) {
        m_connection->disconnectFromProbe();
        m_run.state().state = TrainerState::Failed;
        m_run.state().message = message;
        changed();
    });
    connect(m_launcher, &Launcher::finished, this, &SessionWorker::onProcessFinished);
    m_launcher->start(spec, socketPath);
}

void SessionWorker::attach(const QString& socketPath)
{
    reset(TrainerState::Starting);
    m_connection->setToken(m_options.token);
    m_connection->connectTo(socketPath, kAttachConnectTimeoutMs);
    startRecording(QStringLiteral("attach"));
}

qint64 SessionWorker::nowMs() const
{
    return QDateTime::currentMSecsSinceEpoch();
}

void SessionWorker::startRecording(const QString& mode)
{
    if (!m_options.record)
        return;
    auto& state = m_run.state();
    const QString path = m_options.recordPath.isEmpty() ? defaultRunFilePath(state.program.program) : m_options.recordPath;
    m_recorder = std::make_unique<RunRecorder>();
    QString error;
    if (!m_recorder->open(path, &error)) {
        m_recorder.reset();
        state.recordingProblem = error;
        changed();
        return;
    }
    state.runFile = path;
    m_recorder->setMeta(QStringLiteral("mode"), mode);
    m_recorder->setMeta(QStringLiteral("program"), state.program.program);
    m_recorder->setMeta(QStringLiteral("arguments"), QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(state.program.arguments)).toJson(QJsonDocument::Compact)));
    m_recorder->setMeta(QStringLiteral("working_directory"), state.program.workingDirectory);
    m_recorder->setMeta(QStringLiteral("started_ms"), QString::number(nowMs()));
    m_recorder->setMeta(QStringLiteral("traindx_version"), QCoreApplication::applicationVersion());
    QJsonObject thresholds;
    for (const auto& entry : m_options.thresholds.entries())
        thresholds.insert(entry.name, entry.value);
    m_recorder->setMeta(QStringLiteral("thresholds"), QString::fromUtf8(QJsonDocument(thresholds).toJson(QJsonDocument::Compact)));
    changed();
}

void SessionWorker::replay(const QString& runFilePath)
{
    reset(TrainerState::Starting);
    auto& state = m_run.state();
    RecordedRun recorded;
    QString error;
    if (!readRunFile(runFilePath, &recorded, &error)) {
        state.state = TrainerState::Failed;
        state.message = error;
        changed();
        return;
    }
    state.runFile = runFilePath;
    state.program.program = recorded.meta.value(QStringLiteral("program"));
    state.program.arguments = QJsonDocument::fromJson(recorded.meta.value(QStringLiteral("arguments")).toUtf8()).toVariant().toStringList();
    state.program.workingDirectory = recorded.meta.value(QStringLiteral("working_directory"));
    const qint64 started = recorded.meta.value(QStringLiteral("started_ms")).toLongLong();
    // The thresholds the run was diagnosed with, unless this session overrides them.
    Thresholds thresholds = m_options.thresholds;
    if (thresholds.overridden().isEmpty()) {
        const QJsonObject recordedThresholds = QJsonDocument::fromJson(recorded.meta.value(QStringLiteral("thresholds")).toUtf8()).object();
        for (auto it = recordedThresholds.begin(); it != recordedThresholds.end(); ++it)
            thresholds.set(it.key(), QString::number(it.value().toDouble(), 'g', 17), &error);
    }
    m_diagnoser = std::make_unique<Diagnoser>(thresholds);
    for (const auto& entry : thresholds.entries())
        state.thresholds.insert(entry.name, entry.value);
    for (const auto& [text, standardError] : std::as_const(recorded.console))
        m_output.append({text, standardError});
    wire::Frame frame;
    for (const auto& recordedFrame : std::as_const(recorded.frames)) {
        if (!frame.ParseFromArray(recordedFrame.body.constData(), recordedFrame.body.size()))
            continue;
        if (frame.has_hello()) {
            m_run.applyHello(frame.hello());
            continue;
        }
        const RunBuilder::Applied applied = m_run.apply(frame);
        if (applied.snapshot || applied.newPoints > 0)
            diagnose(applied, started > 0 ? (recordedFrame.receivedMs - started) / 1000.0 : -1);
    }
    state.state = TrainerState::Replay;
    state.exitCode = recorded.meta.value(QStringLiteral("exit_code")).toInt();
    state.exitSignal = recorded.meta.value(QStringLiteral("exit_signal")).toInt();
    state.message = tr("recorded run %1 (%2 when recorded)")
                        .arg(runFilePath, recorded.meta.value(QStringLiteral("final_state"), tr("unfinished")));
    if (!recorded.damage.isEmpty()) {
        state.dataLost = recorded.damage;
        state.message += QStringLiteral("; ") + recorded.damage;
    }
    changed();
    publish();
}

void SessionWorker::detach()
{
    if (!m_connection)
        return;
    m_connection->disconnectFromProbe();
    auto& state = m_run.state();
    state.connected = false;
    if (state.state == TrainerState::Running || state.state == TrainerState::Held || state.state == TrainerState::Starting)
        state.state = TrainerState::Detached;
    state.message = tr("detached: training goes on without TrainDx");
    changed();
}

void SessionWorker::send(Command command)
{
    if (command == Command::Stop) {
        m_stopRequested = true;
        if (m_launcher && m_launcher->isRunning())
            m_stopTimer.start(); // a trainer that ignores the probe's stop is terminated
    }
    if (!m_connection || !m_connection->isReady()) {
        if (command == Command::Stop && m_launcher)
            m_launcher->terminate();
        return;
    }
    wire::Frame frame;
    auto* control = frame.mutable_control();
    switch (command) {
    case Command::Pause: control->set_command(wire::Control::PAUSE); break;
    case Command::Continue: control->set_command(wire::Control::CONTINUE); break;
    case Command::StepEpoch: control->set_command(wire::Control::STEP_EPOCH); break;
    case Command::StepBatch: control->set_command(wire::Control::STEP_BATCH); break;
    case Command::Stop: control->set_command(wire::Control::STOP); break;
    }
    m_connection->send(frame);
}

void SessionWorker::setOptions(const SessionOptions& options)
{
    m_options = options;
    sendBreakSetting();
}

void SessionWorker::change(const LiveChange& change)
{
    wire::Frame frame;
    auto* control = frame.mutable_control();
    control->set_command(wire::Control::CHANGE);
    auto* c = control->mutable_change();
    static const wire::Change::Kind kinds[] = {wire::Change::SET_LEARNING_RATE, wire::Change::SCALE_LEARNING_RATE,
                                               wire::Change::REINITIALISE,      wire::Change::RESET_OPTIMIZER_STATE,
                                               wire::Change::FREEZE,            wire::Change::UNFREEZE,
                                               wire::Change::CLIP_GRADIENT_NORM, wire::Change::ADD_TO_OPTIMIZER};
    c->set_kind(kinds[int(change.kind)]);
    c->set_id(++m_changesAsked);
    c->set_value(change.value);
    c->set_optimizer(change.optimizer);
    c->set_layer_name(change.layer.toStdString());
    c->set_at_step(change.atStep);
    c->set_at_epoch(change.atEpoch);
    c->set_scheme(change.scheme.toStdString());
    c->set_seed(change.seed);
    if (m_connection && m_connection->isReady())
        m_connection->send(frame);
    else
        m_unsentChanges.append(frame);
}

void SessionWorker::sendBreakSetting()
{
    if (!m_connection || !m_connection->isReady())
        return;
    wire::Frame frame;
    auto* control = frame.mutable_control();
    control->set_command(wire::Control::SET_BREAK);
    control->set_break_on_nonfinite(m_options.breakOnSymptom || m_options.stopOnSymptom);
    m_connection->send(frame);
}

void SessionWorker::shutdown()
{
    m_publishTimer.stop();
    m_stopTimer.stop();
    if (m_connection)
        m_connection->disconnectFromProbe();
    delete m_launcher; // terminates a trainer it started
    m_launcher = nullptr;
    publish();
    if (m_recorder)
        m_recorder->close();
}

void SessionWorker::onReady(const wire::Hello& hello)
{
    if (m_recorder) {
        wire::Frame frame;
        *frame.mutable_hello() = hello;
        m_recorder->recordFrame(frame, nowMs());
    }
    m_run.applyHello(hello);
    auto& state = m_run.state();
    state.connected = true;
    if (state.state == TrainerState::Starting)
        state.state = TrainerState::Running;
    for (const auto& frame : std::as_const(m_unsentChanges)) // before the settings, which end the probe's wait
        m_connection->send(frame);
    m_unsentChanges.clear();
    sendBreakSetting();
    changed();
}

void SessionWorker::onFrame(const wire::Frame& frame)
{
    if (m_recorder) {
        m_recorder->recordFrame(frame, nowMs());
        if (m_recorder->framesLost() > 0 && m_run.state().dataLost.isEmpty()) {
            m_run.state().dataLost = tr("the run file %1 could not be written (%2): it no longer holds the run as seen")
                                         .arg(m_recorder->path(), m_recorder->lastError());
            m_run.state().recordingProblem = m_run.state().dataLost;
        }
    }
    m_run.state().bytesReceived += qint64(frame.ByteSizeLong());
    const RunBuilder::Applied applied = m_run.apply(frame);
    if (applied.snapshot || applied.newPoints > 0)
        diagnose(applied, m_sinceLaunch.elapsed() / 1000.0);
    // Here rather than in the owner's thread, so the stop leaves before the next epoch ends.
    if (applied.snapshot && applied.snapshot->epochEnd && m_options.maxEpochs > 0 && !m_stopRequested
        && m_run.state().epochsSinceConnect() >= m_options.maxEpochs)
        send(Command::Stop);
    if (frame.has_event() && frame.event().kind() == wire::Event::FINISHED)
        m_finishedByProbe = true;
    changed();
}

void SessionWorker::diagnose(const RunBuilder::Applied& applied, double seconds)
{
    auto& state = m_run.state();
    QVector<Finding> found = m_diagnoser->observe(state, applied.snapshot, applied.newPoints);
    if (found.isEmpty()) {
        if (m_diagnoser->review(state, applied.snapshot) && m_recorder)
            m_recorder->recordFindings(state.findings);
        return;
    }
    QSet<QString> added;
    for (auto& finding : found) {
        finding.seconds = seconds;
        added.insert(finding.key());
        state.findings.append(finding);
    }
    Diagnoser::settle(state.findings);
    m_diagnoser->review(state, applied.snapshot);
    // Break for a new cause, not for what follows from one already shown.
    bool faulty = false;
    for (const auto& finding : state.findings)
        faulty = faulty || (added.contains(finding.key()) && finding.isCause());
    if (m_recorder)
        m_recorder->recordFindings(state.findings);
    if (faulty && m_options.stopOnSymptom)
        send(Command::Stop);
    else if (faulty && m_options.breakOnSymptom && state.state == TrainerState::Running)
        send(Command::Pause);
}

void SessionWorker::onClosed(const QString& error)
{
    auto& state = m_run.state();
    state.connected = false;
    if (!error.isEmpty())
        state.message = error;
    const bool launched = m_launcher && m_launcher->isRunning();
    if (!launched && !(m_launcher && m_run.state().program.pid == m_launcher->pid())) {
        // Attached: the process is not ours, so its fate is read from the probe.
        const qint64 pid = state.program.pid;
        const bool alive = pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno != ESRCH);
        if (m_finishedByProbe)
            state.state = TrainerState::Finished;
        else if (!alive && pid > 0)
            state.state = TrainerState::Crashed;
        else if (state.state != TrainerState::Idle)
            state.state = error.isEmpty() || state.state != TrainerState::Starting ? TrainerState::Detached
                                                                                   : TrainerState::Failed;
        if (m_recorder) {
            m_recorder->setMeta(QStringLiteral("final_state"), trainerStateName(state.state));
            m_recorder->setMeta(QStringLiteral("final_message"), state.message);
        }
    }
    changed();
}

void SessionWorker::onProcessFinished(int exitCode, int signal)
{
    auto& state = m_run.state();
    if (m_connection && !m_connection->isReady())
        m_connection->disconnectFromProbe(); // it will never answer now
    m_stopTimer.stop();
    state.exitCode = exitCode;
    state.exitSignal = signal;
    const bool clean = signal == 0 && exitCode == 0;
    const bool stopped = m_stopRequested && (signal == SIGTERM || signal == SIGKILL || signal == SIGINT || clean);
    // Ctrl-C in the terminal reaches the trainer too: an interruption, not a crash.
    const bool interrupted = signal == SIGINT;
    state.state = clean || stopped || interrupted ? TrainerState::Finished : TrainerState::Crashed;
    if (interrupted)
        state.message = tr("interrupted (%1)").arg(Launcher::describeExit(exitCode, signal));
    else if (stopped && !clean)
        state.message = tr("stopped by TrainDx (%1)").arg(Launcher::describeExit(exitCode, signal));
    else if (stopped)
        state.message = state.epochEnds.size() == 1 ? tr("stopped by TrainDx after 1 epoch")
                                                    : tr("stopped by TrainDx after %1 epochs").arg(state.epochEnds.size());
    else if (!clean)
        state.message = tr("the trainer %1").arg(Launcher::describeExit(exitCode, signal));
    else if (state.state == TrainerState::Finished && state.message.isEmpty())
        state.message = tr("the trainer exited normally");
    if (m_recorder) {
        m_recorder->setMeta(QStringLiteral("exit_code"), QString::number(exitCode));
        m_recorder->setMeta(QStringLiteral("exit_signal"), QString::number(signal));
        m_recorder->setMeta(QStringLiteral("final_state"), trainerStateName(state.state));
        m_recorder->setMeta(QStringLiteral("final_message"), state.message);
    }
    changed();
    publish(); // the end of a run is worth telling at once
}

void SessionWorker::addOutput(const QString& text, bool standardError)
{
    const qsizetype room = std::max<qsizetype>(0, kConsoleHeadChars - m_outputChars);
    const QString head = text.left(room);
    if (!head.isEmpty()) {
        if (!m_output.isEmpty() && m_output.last().second == standardError)
            m_output.last().first += head;
        else
            m_output.append({head, standardError});
        m_outputChars += head.size();
    }
    if (head.size() == text.size())
        return;
    m_outputTail += QStringView(text).mid(head.size());
    m_outputTailError = standardError;
    if (m_outputTail.size() > kConsoleTailChars) {
        m_outputDropped += m_outputTail.size() - kConsoleTailChars;
        m_outputTail = m_outputTail.right(kConsoleTailChars);
    }
}

void SessionWorker::publish()
{
    const auto show = [this](const QString& text, bool standardError) {
        Q_EMIT consoleOutput(text, standardError);
        if (m_recorder)
            m_recorder->recordConsole(text, standardError, nowMs());
    };
    for (const auto& [text, standardError] : std::as_const(m_output))
        show(text, standardError);
    if (m_outputDropped > 0)
        show(tr("\n[TrainDx: %1 characters of the trainer's output not shown]\n").arg(m_outputDropped), true);
    if (!m_outputTail.isEmpty())
        show(m_outputTail, m_outputTailError);
    m_output.clear();
    m_outputChars = m_outputDropped = 0;
    m_outputTail.clear();
    if (!m_dirty)
        return;
    m_dirty = false;
    auto state = std::make_shared<RunState>(m_run.state());
    state->revision = ++m_revision;
    Q_EMIT published(state);
}

} // namespace traindx
