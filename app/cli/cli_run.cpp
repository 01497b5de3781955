#include "cli_run.h"

#include "discovery.h"
#include "quit_signals.h"
#include "report_pdf.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

#include <algorithm>
#include <cstring>

namespace traindx::cli {

QTextStream& out()
{
    static QTextStream stream(stdout);
    return stream;
}

QTextStream& err()
{
    static QTextStream stream(stderr);
    return stream;
}

bool writeJsonFile(const QString& path, const QJsonObject& root, QString* error)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    file.write(QJsonDocument(root).toJson());
    return true;
}

namespace {

bool ended(TrainerState state)
{
    return state == TrainerState::Finished || state == TrainerState::Crashed || state == TrainerState::Failed
        || state == TrainerState::Detached || state == TrainerState::Replay;
}

bool crashedRun(const RunState& state)
{
    return state.state == TrainerState::Crashed
        || (state.state == TrainerState::Replay && state.message.contains(QLatin1String("(crashed when recorded)")));
}

} // namespace

// Faults found stand even when the trainer crashed afterwards; a crash with none is not a
// healthy run.
Verdict verdictOf(const RunState& state)
{
    Verdict v;
    for (const auto& finding : state.findings)
        v.faults += finding.isFault();
    if (v.faults > 0)
        v.name = QStringLiteral("faulty");
    else if (crashedRun(state)) {
        v.name = QStringLiteral("crashed");
        v.reason = QStringLiteral("the trainer crashed before any fault was seen: %1").arg(state.message);
    } else if (const QString reason = state.notDiagnosedReason(); !reason.isEmpty()) {
        v.name = QStringLiteral("not_diagnosed");
        v.reason = reason;
    } else {
        v.name = QStringLiteral("healthy");
    }
    return v;
}

bool parse(const QStringList& arguments, Mode mode, Options* options, QString* error)
{
    int i = 0;
    const bool attach = mode != Mode::Run;
    if (mode == Mode::Attach || mode == Mode::Replay) {
        if (mode == Mode::Attach && arguments.value(0) == QLatin1String("--store")) {
            if (!arguments.value(1).contains(QLatin1Char(':'))) {
                *error = QStringLiteral("--store needs HOST:PORT, the job's store (MASTER_ADDR:MASTER_PORT)");
                return false;
            }
            options->storeAddress = arguments[1];
            i = 2;
        } else if (arguments.isEmpty() || arguments[0].startsWith(QLatin1String("--"))) {
            *error = mode == Mode::Attach ? QStringLiteral("attach needs a process id or a socket path")
                                          : QStringLiteral("replay needs a run file");
            return false;
        } else {
            (mode == Mode::Attach ? options->attachTarget : options->replayPath) = arguments[0];
            i = 1;
        }
    }
    for (; i < arguments.size(); ++i) {
        const QString& a = arguments[i];
        auto value = [&](QString* into) {
            if (i + 1 >= arguments.size()) {
                *error = QStringLiteral("%1 needs a value").arg(a);
                return false;
            }
            *into = arguments[++i];
            return true;
        };
        QString v;
        if (a == QLatin1String("--")) {
            if (attach) {
                *error = QStringLiteral("attach and replay take no program");
                return false;
            }
            if (i + 1 >= arguments.size()) {
                *error = QStringLiteral("no program after --");
                return false;
            }
            options->launch.program = arguments[i + 1];
            options->launch.arguments = arguments.mid(i + 2);
            options->launch.workingDirectory = QDir::currentPath();
            break;
        } else if (a == QLatin1String("--json")) {
            if (!value(&options->jsonPath))
                return false;
        } else if (a == QLatin1String("--max-epochs")) {
            bool ok = false;
            if (!value(&v) || (options->maxEpochs = v.toInt(&ok), !ok) || options->maxEpochs < 1) {
                *error = QStringLiteral("--max-epochs needs a positive number");
                return false;
            }
        } else if (a == QLatin1String("--report")) {
            if (!value(&options->reportPath))
                return false;
        } else if (a == QLatin1String("--record")) {
            if (!value(&options->session.recordPath))
                return false;
        } else if (a == QLatin1String("--no-record")) {
            options->session.record = false;
        } else if (a == QLatin1String("--token")) {
            if (!value(&options->session.token))
                return false;
        } else if (a == QLatin1String("--stop-on-symptom")) {
            options->stopOnSymptom = true;
        } else if (a == QLatin1String("--apply")) {
            LiveChange change;
            if (!value(&v) || !parseLiveChange(v, &change, error))
                return false;
            options->changes.append(change);
        } else if (a == QLatin1String("--ranks") && !attach) {
            bool ok = false;
            options->ranks = value(&v) ? v.toInt(&ok) : 0;
            if (!ok || options->ranks < 1 || options->ranks > 64) {
                *error = QStringLiteral("--ranks needs a number of ranks from 1 to 64");
                return false;
            }
        } else if (a == QLatin1String("--reduced") && !attach) {
            options->reduced = true;
        } else if (a == QLatin1String("--auto-fix")) {
            options->autoFix = true;
            options->session.breakOnSymptom = true; // held at the fault, fixed there
        } else if (a == QLatin1String("--show-output")) {
            options->showOutput = true;
        } else if (a == QLatin1String("--threshold")) {
            if (!value(&v))
                return false;
            const int equals = v.indexOf(QLatin1Char('='));
            if (equals <= 0) {
                *error = QStringLiteral("--threshold takes NAME=VALUE");
                return false;
            }
            if (!options->session.thresholds.set(v.left(equals), v.mid(equals + 1), error))
                return false;
        } else if (a == QLatin1String("--thresholds-file")) {
            if (!value(&v) || !options->session.thresholds.load(v, error))
                return false;
        } else {
            *error = QStringLiteral("unknown option %1").arg(a);
            return false;
        }
    }
    if (options->session.token.isEmpty())
        options->session.token = qEnvironmentVariable("TRAINDX_TOKEN");
    if (options->reduced && options->ranks < 2) {
        *error = QStringLiteral("--reduced goes with --ranks N (N of 2 or more)");
        return false;
    }
    if (!attach && options->launch.program.isEmpty()) {
        *error = QStringLiteral("run needs -- PROGRAM [ARGS...]");
        return false;
    }
    options->session.stopOnSymptom = options->stopOnSymptom;
    options->session.maxEpochs = std::max(0, options->maxEpochs);
    return true;
}

HeadlessRun::HeadlessRun(Options options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    connect(&m_session, &Session::stateChanged, this, &HeadlessRun::onState);
    connect(&m_quitSignals, &QuitSignals::received, this, &HeadlessRun::interrupted);
    connect(&m_session, &Session::consoleOutput, this, [this](const QString& text) {
        if (m_options.showOutput) {
            err() << text;
            err().flush();
        }
    });
}

void HeadlessRun::start()
{
    m_session.setOptions(m_options.session);
    if (!m_options.replayPath.isEmpty()) {
        out() << "replaying " << m_options.replayPath << "\n";
        m_session.replay(m_options.replayPath);
    } else if (!m_options.attachTarget.isEmpty()) {
        QString socket = m_options.attachTarget;
        bool isPid = false;
        const qint64 pid = socket.toLongLong(&isPid);
        if (isPid) {
            socket.clear();
            for (const auto& endpoint : discovery::listEndpoints())
                if (endpoint.pid == pid)
                    socket = endpoint.socketPath;
            if (socket.isEmpty()) {
                err() << "traindx-cli: process " << pid << " has no TrainDx probe listening in " << discovery::describeDirectory()
                      << "\n";
                err().flush();
                QMetaObject::invokeMethod(qApp, [] { QCoreApplication::exit(UsageError); }, Qt::QueuedConnection);
                return;
            }
        }
        out() << "attaching to " << socket << "\n";
        m_session.attach(socket);
    } else {
        out() << "launching " << m_options.launch.program << " " << m_options.launch.arguments.join(QLatin1Char(' '))
              << "\n";
        m_session.launch(m_options.launch);
    }
    m_changeAsked = QVector<bool>(m_options.changes.size(), false);
    askChanges(nullptr);
    out().flush();
}

// All asked for at once: the probe applies each before the first step, or at the first
// boundary where its step or epoch has come.
void HeadlessRun::askChanges(const RunState*)
{
    for (int i = 0; i < m_options.changes.size(); ++i)
        if (!m_changeAsked[i]) {
            m_changeAsked[i] = true;
            m_session.change(m_options.changes[i]);
        }
}

void HeadlessRun::onState(const RunStatePtr& state)
{
    if (m_done)
        return;
    if (!state->recordingProblem.isEmpty() && !m_recordingProblemSaid) {
        m_recordingProblemSaid = true; // at once: a full disk should not wait for the end of the run
        err() << "traindx-cli: recording: " << state->recordingProblem << "\n";
        err().flush();
    }
    askChanges(state.get());
    if (m_options.autoFix)
        autoFix(*state);
    for (; m_changesPrinted < state->changes.size(); ++m_changesPrinted) {
        const ChangeRecord& c = state->changes[m_changesPrinted];
        const QString when = c.when();
        out() << (c.applied ? "changed " : "change refused ") << (c.step == 0 ? when : QStringLiteral("at ") + when) << ": "
              << c.text << "\n";
    }
    for (const auto& finding : state->findings) {
        if (m_printed.contains(finding.key()))
            continue;
        m_printed.insert(finding.key());
        out() << QStringLiteral("[%1 s] ").arg(finding.seconds, 0, 'f', 2) << finding.oneLine() << "\n";
    }
    if (state->program.reduced && !m_reducedSaid) {
        m_reducedSaid = true;
        out() << "rank 0 of a job of world size " << state->program.worldSize
              << ", served reduced: its statistics are every rank's together\n";
    }
    if (state->windowSteps > 0 && !m_windowsSaid && !state->epochEnds.isEmpty()) {
        m_windowsSaid = true;
        out() << "the program ends no epochs itself: the probe closes one every " << state->windowSteps << " steps\n";
    }
    for (; m_epochsPrinted < state->epochEnds.size(); ++m_epochsPrinted) {
        const Snapshot& s = *state->snapshots[state->epochEnds[m_epochsPrinted]];
        QString line = QStringLiteral("epoch %1").arg(s.epoch + 1);
        for (const auto& name : {QStringLiteral("train_loss"), QStringLiteral("train_accuracy"), QStringLiteral("val_loss"),
                                 QStringLiteral("val_accuracy")})
            if (s.metrics.contains(name))
                line += QStringLiteral("  %1 %2").arg(name).arg(s.metrics.value(name), 0, 'g', 5);
        out() << line << "\n";
    }
    out().flush();

    if (m_options.maxEpochs > 0 && !m_stopSent && state->epochsSinceConnect() >= m_options.maxEpochs) {
        m_stopSent = true; // the session stops the trainer itself
        out() << "stopping after " << m_options.maxEpochs << " epochs (--max-epochs)\n";
    }
    if (ended(state->state))
        finish(*state);
}

namespace {

LiveChange resetOptimizer()
{
    LiveChange c;
    c.kind = LiveChange::Kind::ResetOptimizerState;
    c.text = QStringLiteral("reset_optimizer");
    return c;
}

} // namespace

void HeadlessRun::autoFix(const RunState& state)
{
    if (state.state != TrainerState::Held)
        return;
    if (!m_fixAsked) {
        const auto cause = std::find_if(state.findings.begin(), state.findings.end(), [](const Finding& f) { return f.isCause(); });
        if (cause == state.findings.end())
            return;
        m_fixAsked = true;
        m_fixedFinding = cause->key();
        if (const auto change = liveFixFor(*cause, state.model)) {
            QVector<LiveChange> changes {*change};
            // Every layer a finding says to re-initialise, and every one whose initial weights
            // the checker finds as far off: one poor_initialization names only the first.
            if (change->kind == LiveChange::Kind::Reinitialise) {
                QVector<LiveChange> more = reinitialisationsFor(state, m_options.session.thresholds);
                for (const auto& f : state.findings)
                    if (f.fixClass == FixClass::ChangeInitialization && state.model.layer(f.layer)
                        && state.model.layer(f.layer)->parameterCount() > 0)
                        if (const auto other = liveFixFor(f, state.model))
                            more.append(*other);
                for (const LiveChange& other : more)
                    if (std::none_of(changes.begin(), changes.end(), [&](const LiveChange& c) { return c.layer == other.layer; }))
                        changes.append(other);
                changes.append(resetOptimizer()); // moments of weights no longer there
            }
            // Every layer left out of the optimizer, not only the first.
            if (change->kind == LiveChange::Kind::AddToOptimizer)
                for (const auto& f : state.findings)
                    if (f.symptom == Symptom::NotInOptimizer && f.layer != cause->layer)
                        if (const auto other = liveFixFor(f, state.model))
                            changes.append(*other);
            // Steps far larger than the weights, or a rate whose steps already saturated, killed
            // or broke units, have wrecked the weights: start again from a fresh initialisation,
            // with the optimizer's moments forgotten.
            const bool wrecked = cause->value(QStringLiteral("first_update_ratio"), 0) > 1 || cause->symptom == Symptom::SaturatedActivation
                || cause->symptom == Symptom::DeadRelu || cause->symptom == Symptom::NumericalError;
            if ((change->kind == LiveChange::Kind::SetLearningRate || change->kind == LiveChange::Kind::ScaleLearningRate) && wrecked) {
                for (const Layer& layer : state.model.layers)
                    if (layer.leaf && layer.index >= 0 && layer.parameterCount() > 0)
                        changes.append(reinitialisationOf(state.model, layer.id));
                changes.append(resetOptimizer());
            }
            QStringList said;
            for (LiveChange& c : changes) {
                said.append(c.text);
                m_session.change(c);
            }
            m_fixText = said.join(QLatin1Char(' '));
            out() << "auto-fix: " << m_fixText << " for " << symptomName(cause->symptom) << " at " << cause->layerLabel() << "\n";
        } else {
            out() << "auto-fix: the fix for " << symptomName(cause->symptom) << " (" << fixClassName(cause->fixClass)
                  << ") needs the program's code; training goes on unchanged\n";
        }
    }
    m_session.send(Command::Continue); // the change is made at this boundary, as the trainer resumes
}

int HeadlessRun::countAfterChange(const RunState& state, AfterChange::Verdict verdict)
{
    return int(std::count_if(state.findings.begin(), state.findings.end(),
                             [verdict](const Finding& f) { return f.afterChange.verdict == verdict; }));
}

int HeadlessRun::faultsAfterFix(const RunState& state) const
{
    if (std::none_of(state.changes.begin(), state.changes.end(), [](const ChangeRecord& c) { return c.applied; }))
        return -1;
    // A fault from before the change stays one until an epoch ends after it without the
    // symptom (then it is a cleared warning); one seen again, or new, is a fault.
    return int(std::count_if(state.findings.begin(), state.findings.end(), [](const Finding& f) { return f.isFault(); }));
}

void HeadlessRun::interrupted(int signal)
{
    if (m_done)
        return;
    if (m_interruptedBy != 0) {
        err() << "traindx-cli: interrupted again: quitting without a report\n";
        err().flush();
        QCoreApplication::exit(128 + signal);
        return;
    }
    m_interruptedBy = signal;
    if (!m_options.attachTarget.isEmpty()) {
        out() << "interrupted: detaching, the trainer goes on\n";
        m_session.detach();
    } else if (!m_options.replayPath.isEmpty()) {
        out() << "interrupted\n";
        QCoreApplication::exit(128 + signal);
    } else {
        out() << "interrupted: stopping the trainer\n";
        m_session.send(Command::Stop);
    }
    out().flush();
}

void HeadlessRun::finish(const RunState& state)
{
    m_done = true;
    if (state.state == TrainerState::Failed) {
        err() << "traindx-cli: " << state.message << "\n";
        err().flush();
        QCoreApplication::exit(UsageError);
        return;
    }
    const Verdict verdict = verdictOf(state);
    out() << "\n";
    if (verdict.name == QLatin1String("not_diagnosed")) {
        out() << "not diagnosed: " << verdict.reason << "\n";
    } else if (verdict.name == QLatin1String("crashed") && state.findings.isEmpty()) {
        out() << "crashed: " << verdict.reason << "\n";
    } else if (state.findings.isEmpty()) {
        out() << "healthy: no symptom in " << state.epochEnds.size() << " epochs\n";
    } else {
        out() << (verdict.faults > 0 ? "faulty" : verdict.name == QLatin1String("crashed") ? "crashed, with warnings" : "healthy with warnings")
              << ": " << state.findings.size() << " finding" << (state.findings.size() == 1 ? "" : "s") << ", most important first\n";
        int rank = 0;
        for (const auto& finding : state.findings) {
            out() << "  " << ++rank << ". " << symptomName(finding.symptom) << " at " << finding.layerLabel() << ": " << finding.summary
                  << "\n";
            out() << "     fix (" << fixClassName(finding.fixClass) << "): " << finding.fixText << "\n";
            if (!finding.explainedBy.isEmpty())
                out() << "     follows from " << finding.causeLabel(state.findings) << "\n";
            if (const QString after = finding.afterChangeText(); !after.isEmpty())
                out() << "     [" << after << "]\n";
        }
    }
    if (state.state == TrainerState::Crashed && verdict.faults > 0)
        out() << "the trainer crashed: " << state.message << "\n";
    if (!state.runFile.isEmpty() && state.state != TrainerState::Replay)
        out() << "recorded in " << state.runFile << "\n";
    if (!state.recordingProblem.isEmpty() && !m_recordingProblemSaid)
        err() << "traindx-cli: recording: " << state.recordingProblem << "\n";
    out().flush();

    if (!m_options.jsonPath.isEmpty()) {
        QString error;
        if (!writeJson(state, &error)) {
            err() << "traindx-cli: " << error << "\n";
            err().flush();
            QCoreApplication::exit(UsageError);
            return;
        }
    }
    if (!m_options.reportPath.isEmpty()) {
        QString error;
        if (!exportReport(state, state.thresholds, m_options.reportPath, &error)) {
            err() << "traindx-cli: " << error << "\n";
            err().flush();
            QCoreApplication::exit(UsageError);
            return;
        }
        out() << "report written to " << m_options.reportPath << "\n";
        out().flush();
    }
    int code = verdict.faults > 0                                ? Findings
        : verdict.name == QLatin1String("crashed")               ? TrainerCrashed
        : verdict.name == QLatin1String("not_diagnosed")         ? NotDiagnosed
                                                                 : Healthy;
    if (m_options.autoFix && m_fixAsked) {
        // Judged on what followed the change: cleared, seen again, or new.
        const int after = faultsAfterFix(state);
        if (after < 0)
            out() << "auto-fix: no change was applied\n";
        else
            out() << "auto-fix: " << countAfterChange(state, AfterChange::Verdict::Cleared) << " finding(s) cleared after the change, "
                  << countAfterChange(state, AfterChange::Verdict::StillPresent) << " still present; "
                  << (after == 0 ? QStringLiteral("no fault left") : QStringLiteral("%1 fault(s) left").arg(after))
                  << "\n";
        code = after == 0 && verdict.name != QLatin1String("crashed") ? Healthy : Findings;
    }
    QMetaObject::invokeMethod(qApp, [code] { QCoreApplication::exit(code); }, Qt::QueuedConnection);
}

bool HeadlessRun::writeJson(const RunState& state, QString* error) const
{
    QJsonObject root;
    double first = -1;
    QJsonArray findings;
    for (const auto& finding : state.findings) {
        if (finding.seconds >= 0 && (first < 0 || finding.seconds < first))
            first = finding.seconds;
        findings.append(finding.toJson());
    }
    const Verdict verdict = verdictOf(state);
    root.insert(QStringLiteral("verdict"), verdict.name);
    if (!verdict.reason.isEmpty())
        root.insert(QStringLiteral("reason"), verdict.reason);
    QString program = state.program.program;
    if (!state.program.arguments.isEmpty())
        program += QLatin1Char(' ') + state.program.arguments.join(QLatin1Char(' '));
    root.insert(QStringLiteral("program"), program);
    root.insert(QStringLiteral("epochs_run"), state.epochEnds.size());
    root.insert(QStringLiteral("first_finding_s"), first >= 0 ? QJsonValue(first) : QJsonValue(QJsonValue::Null));
    root.insert(QStringLiteral("findings"), findings);
    QJsonArray changes;
    for (const ChangeRecord& c : state.changes)
        changes.append(QJsonObject {{QStringLiteral("step"), c.step},
                                    {QStringLiteral("when"), c.when()},
                                    {QStringLiteral("applied"), c.applied},
                                    {QStringLiteral("text"), c.text}});
    root.insert(QStringLiteral("changes"), changes);
    if (m_options.autoFix)
        root.insert(QStringLiteral("auto_fix"), QJsonObject {{QStringLiteral("finding"), m_fixedFinding},
                                                             {QStringLiteral("change"), m_fixText},
                                                             {QStringLiteral("faults_after_change"), faultsAfterFix(state)},
                                                             {QStringLiteral("cleared"), countAfterChange(state, AfterChange::Verdict::Cleared)},
                                                             {QStringLiteral("still_present"),
                                                              countAfterChange(state, AfterChange::Verdict::StillPresent)}});
    root.insert(QStringLiteral("trainer"), trainerStateName(state.state));
    if (state.state == TrainerState::Crashed)
        root.insert(QStringLiteral("crash"), state.message);
    if (m_interruptedBy != 0)
        root.insert(QStringLiteral("interrupted_by"), QString::fromLatin1(sigabbrev_np(m_interruptedBy)).prepend(QStringLiteral("SIG")));
    // What the verdict rests on: how much of the run TrainDx saw, and how the stream ended.
    QJsonObject coverage;
    coverage.insert(QStringLiteral("probe_connected"), !state.program.protocol.isEmpty());
    coverage.insert(QStringLiteral("epochs_seen"), state.epochEnds.size());
    if (state.windowSteps > 0)
        coverage.insert(QStringLiteral("epochs_closed_by_probe_every_steps"), state.windowSteps);
    coverage.insert(QStringLiteral("steps_seen"), state.points.size());
    coverage.insert(QStringLiteral("last_step"), state.points.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(state.points.last().step + 1));
    coverage.insert(QStringLiteral("snapshots_dropped_by_probe"), state.dropped);
    coverage.insert(QStringLiteral("stream_ended"), trainerStateName(state.state));
    if (!state.message.isEmpty())
        coverage.insert(QStringLiteral("message"), state.message);
    root.insert(QStringLiteral("coverage"), coverage);
    QJsonObject thresholds;
    const auto changed = m_options.session.thresholds.overridden();
    for (auto it = changed.begin(); it != changed.end(); ++it)
        thresholds.insert(it.key(), it.value());
    root.insert(QStringLiteral("thresholds_overridden"), thresholds);

    return writeJsonFile(m_options.jsonPath, root, error);
}

} // namespace traindx::cli
