#include "cli_job.h"

#include "cross_rank.h"
#include "rank_launch.h"
#include "report_pdf.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

namespace traindx::cli {

namespace {

bool over(TrainerState state)
{
    return state == TrainerState::Finished || state == TrainerState::Crashed || state == TrainerState::Failed
        || state == TrainerState::Detached;
}

bool endedBadly(const RunState& state)
{
    return state.state == TrainerState::Crashed || state.state == TrainerState::Failed;
}

} // namespace

HeadlessJob::HeadlessJob(Options options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    m_grace.setSingleShot(true);
    connect(&m_grace, &QTimer::timeout, this, [this] {
        out() << "the other ranks did not end within " << kGraceMs / 1000 << " s of it: stopping them\n";
        stopAll();
    });
    connect(&m_quitSignals, &QuitSignals::received, this, &HeadlessJob::interrupted);
}

void HeadlessJob::start()
{
    const bool attach = !m_options.rankAddresses.isEmpty();
    const int ranks = attach ? m_options.rankAddresses.size() : m_options.ranks;
    QVector<LaunchSpec> launches;
    m_states.resize(ranks);
    m_printed.resize(ranks);
    m_epochsPrinted = QVector<int>(ranks, 0);
    if (attach) {
        out() << "attaching to the " << ranks << " ranks of the job whose store is " << m_options.storeAddress << "\n";
    } else {
        launches = rankLaunches(m_options.launch, ranks);
        if (m_options.reduced)
            for (LaunchSpec& launch : launches)
                launch.environment << QStringLiteral("TRAINDX_REDUCE=1");
        out() << "launching " << ranks << " ranks of " << m_options.launch.program << " "
              << m_options.launch.arguments.join(QLatin1Char(' ')) << " (store on 127.0.0.1:" << storePort(launches) << ")"
              << (m_options.reduced ? ", served reduced through rank 0" : "") << "\n";
    }
    out().flush();
    for (int r = 0; r < ranks; ++r) {
        if (quiet(r)) {
            m_sessions.push_back(nullptr);
            startQuietRank(r, launches[r]);
            continue;
        }
        auto session = std::make_unique<Session>();
        SessionOptions options = m_options.session;
        options.breakOnSymptom = false; // a held rank would hold every other in its next all-reduce
        if (options.record && !options.recordPath.isEmpty() && !m_options.reduced) // reduced: one file, the job's
            options.recordPath = options.recordPath + QStringLiteral(".rank%1").arg(r);
        session->setOptions(options);
        connect(session.get(), &Session::stateChanged, this, [this, r](const RunStatePtr& state) { onState(r, state); });
        if (m_options.showOutput)
            connect(session.get(), &Session::consoleOutput, this, [r](const QString& text, bool) {
                err() << "[rank " << r << "] " << text;
                err().flush();
            });
        if (attach)
            session->attach(m_options.rankAddresses[r]);
        else
            session->launch(launches[r]);
        m_sessions.push_back(std::move(session));
    }
}

void HeadlessJob::startQuietRank(int rank, const LaunchSpec& spec)
{
    std::unique_ptr<QProcess> process = quietRankProcess(spec);
    QProcess* p = process.get();
    connect(p, &QProcess::readyRead, this, [this, p, rank] {
        const QString text = QString::fromLocal8Bit(p->readAll());
        if (m_options.showOutput) {
            err() << "[rank " << rank << "] " << text;
            err().flush();
        }
    });
    auto ended = [this, rank](TrainerState how, int code, int signal, const QString& message) {
        auto state = std::make_shared<RunState>();
        state->program.rank = rank;
        state->program.worldSize = m_states.size();
        state->state = how;
        state->exitCode = code;
        state->exitSignal = signal;
        state->message = message;
        state->step = m_states[0] ? m_states[0]->step : 0; // in step with rank 0, as far as anyone knows
        onState(rank, state);
    };
    connect(p, &QProcess::errorOccurred, this, [ended, p](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            ended(TrainerState::Failed, -1, 0, QStringLiteral("cannot start: %1").arg(p->errorString()));
    });
    connect(p, &QProcess::finished, this, [this, ended](int code, QProcess::ExitStatus status) {
        // A rank TrainDx stopped with the job ended as it was asked to.
        if (m_stopping)
            ended(TrainerState::Finished, 0, 0, QString());
        else if (status == QProcess::CrashExit)
            ended(TrainerState::Crashed, -1, code, QStringLiteral("ended by signal %1").arg(code));
        else
            ended(code == 0 ? TrainerState::Finished : TrainerState::Crashed, code, 0,
                  code == 0 ? QString() : QStringLiteral("exited with code %1").arg(code));
    });
    process->start(spec.program, spec.arguments);
    m_quietRanks.push_back(std::move(process));
}

void HeadlessJob::onState(int rank, const RunStatePtr& state)
{
    if (m_done)
        return;
    m_states[rank] = state;
    if (m_options.reduced && rank == 0 && over(state->state))
        QTimer::singleShot(kQuietGraceMs, this, [this] {
            for (const auto& process : m_quietRanks)
                if (process->state() != QProcess::NotRunning)
                    process->terminate();
        });
    for (const auto& finding : state->findings)
        if (!m_printed[rank].contains(finding.key())) {
            m_printed[rank].insert(finding.key());
            out() << "[rank " << rank << "] " << finding.oneLine() << "\n";
        }
    for (; m_epochsPrinted[rank] < state->epochEnds.size(); ++m_epochsPrinted[rank]) {
        const Snapshot& s = *state->snapshots[state->epochEnds[m_epochsPrinted[rank]]];
        out() << "[rank " << rank << "] epoch " << s.epoch + 1 << "  train_loss " << s.metrics.value(QStringLiteral("train_loss"))
              << "\n";
    }
    if (m_options.maxEpochs > 0 && !m_stopping && state->epochsSinceConnect() >= m_options.maxEpochs) {
        out() << "stopping the job after " << m_options.maxEpochs << " epochs (--max-epochs)\n";
        stopAll();
    }
    if (over(state->state) && endedBadly(*state) && !m_grace.isActive() && !m_stopping) {
        out() << "rank " << rank << " ended: " << (state->message.isEmpty() ? trainerStateName(state->state) : state->message)
              << "\n";
        m_grace.start(kGraceMs);
    }
    out().flush();
    if (std::all_of(m_states.begin(), m_states.end(), [](const RunStatePtr& s) { return s && over(s->state); }))
        finish();
}

void HeadlessJob::stopAll()
{
    m_stopping = true;
    for (int r = 0; r < int(m_sessions.size()); ++r)
        if (m_sessions[std::size_t(r)] && (!m_states[r] || !over(m_states[r]->state)))
            m_sessions[std::size_t(r)]->send(Command::Stop);
    // The quiet ranks of a job served reduced stop with rank 0: they fail in their next
    // all-reduce once it is gone (onState ends any that linger).
}

void HeadlessJob::interrupted(int signal)
{
    if (m_interruptedBy != 0) {
        QCoreApplication::exit(128 + signal);
        return;
    }
    m_interruptedBy = signal;
    out() << "interrupted: stopping every rank\n";
    out().flush();
    stopAll();
}

QVector<Finding> HeadlessJob::jobFindings() const
{
    QVector<Finding> job = diagnoseJob(m_states);
    // Served reduced, rank 0's stream found how the ranks differ.
    if (m_options.reduced || (m_states.value(0) && m_states[0]->program.reduced))
        for (const Finding& f : m_states[0]->findings)
            if (isJobSymptom(f.symptom))
                job.append(f);
    return job;
}

Verdict HeadlessJob::rankVerdict(int rank) const
{
    const RunState& state = *m_states[rank];
    if (!quiet(rank))
        return verdictOf(state);
    Verdict v;
    const bool crashed = state.state == TrainerState::Crashed || state.state == TrainerState::Failed;
    v.name = crashed ? QStringLiteral("crashed") : QStringLiteral("reduced");
    v.reason = crashed ? state.message : QStringLiteral("its statistics are in rank 0's");
    return v;
}

void HeadlessJob::finish()
{
    m_done = true;
    m_grace.stop();
    const QVector<Finding> job = jobFindings();
    int faults = 0;
    bool crashed = false, notDiagnosed = false;
    out() << "\n";
    for (int r = 0; r < m_states.size(); ++r) {
        const Verdict verdict = rankVerdict(r);
        faults += verdict.faults;
        crashed = crashed || verdict.name == QLatin1String("crashed");
        notDiagnosed = notDiagnosed || verdict.name == QLatin1String("not_diagnosed");
        out() << "rank " << r << ": " << verdict.name << ", " << m_states[r]->epochEnds.size() << " epochs, "
              << m_states[r]->findings.size() << " finding(s)" << (verdict.reason.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(verdict.reason))
              << "\n";
    }
    if (job.isEmpty()) {
        out() << "across the ranks: nothing\n";
    } else {
        out() << "across the ranks: " << job.size() << " finding(s)\n";
        for (const Finding& f : job) {
            out() << "  " << symptomName(f.symptom) << (f.rank >= 0 ? QStringLiteral(" on rank %1").arg(f.rank) : QString())
                  << (f.layer >= 0 ? QStringLiteral(" at ") + f.layerLabel() : QString()) << ": " << f.summary << "\n";
            out() << "     " << (f.fixClass == FixClass::None ? QStringLiteral("what to do") : QStringLiteral("fix (%1)").arg(fixClassName(f.fixClass)))
                  << ": " << f.fixText << "\n";
        }
    }
    faults += int(std::count_if(job.begin(), job.end(), [](const Finding& f) { return f.isFault(); }));
    if (!m_options.jsonPath.isEmpty()) {
        QString error;
        if (!writeJson(job, &error)) {
            err() << "traindx-cli: " << error << "\n";
            err().flush();
            QMetaObject::invokeMethod(qApp, [] { QCoreApplication::exit(UsageError); }, Qt::QueuedConnection);
            return;
        }
    }
    if (!m_options.reportPath.isEmpty()) {
        QString error;
        if (!exportJobReport(m_states, job, m_states.first()->thresholds, m_options.reportPath, &error)) {
            err() << "traindx-cli: " << error << "\n";
            err().flush();
            QMetaObject::invokeMethod(qApp, [] { QCoreApplication::exit(UsageError); }, Qt::QueuedConnection);
            return;
        }
        out() << "report written to " << m_options.reportPath << "\n";
    }
    out().flush();
    const int code = faults > 0 ? Findings : crashed ? TrainerCrashed : notDiagnosed ? NotDiagnosed : Healthy;
    QMetaObject::invokeMethod(qApp, [code] { QCoreApplication::exit(code); }, Qt::QueuedConnection);
}

bool HeadlessJob::writeJson(const QVector<Finding>& job, QString* error) const
{
    QJsonArray findings, ranks;
    int faults = 0;
    for (const Finding& f : job) {
        findings.append(f.toJson());
        faults += f.isFault();
    }
    for (int r = 0; r < m_states.size(); ++r) {
        const RunState& state = *m_states[r];
        const Verdict verdict = rankVerdict(r);
        faults += verdict.faults;
        QJsonArray own;
        for (Finding f : state.findings) {
            if (isJobSymptom(f.symptom))
                continue; // a reduced job's: among the job's findings
            f.rank = state.program.reduced ? -1 : r; // a reduced job's stream is every rank's
            own.append(f.toJson());
            findings.append(f.toJson());
        }
        ranks.append(QJsonObject {{QStringLiteral("rank"), r},
                                  {QStringLiteral("verdict"), verdict.name},
                                  {QStringLiteral("trainer"), trainerStateName(state.state)},
                                  {QStringLiteral("exit_code"), state.exitCode},
                                  {QStringLiteral("exit_signal"), state.exitSignal},
                                  {QStringLiteral("epochs_run"), state.epochEnds.size()},
                                  {QStringLiteral("steps"), state.step},
                                  {QStringLiteral("findings"), own}});
    }
    const QString program = m_options.launch.program.isEmpty()
        ? QStringLiteral("the job whose store is %1").arg(m_options.storeAddress)
        : (QStringList {m_options.launch.program} + m_options.launch.arguments).join(QLatin1Char(' '));
    QJsonObject root {{QStringLiteral("verdict"), faults > 0 ? QStringLiteral("faulty") : QStringLiteral("healthy")},
                      {QStringLiteral("program"), program},
                      {QStringLiteral("world_size"), m_states.size()},
                      {QStringLiteral("ranks"), ranks},
                      {QStringLiteral("findings"), findings}};
    return writeJsonFile(m_options.jsonPath, root, error);
}

} // namespace traindx::cli
