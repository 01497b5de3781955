// traindx-bench-ranks [--epochs N] [--rounds N]
// A job of traindx-ddp ranks on this machine (Gloo over a TCPStore on loopback), served the
// two ways traindx-cli run --ranks serves one: per rank (each rank's probe with its own
// session) and reduced (--reduced: the probes combine their statistics, rank 0's session
// alone receives them):
//  - for 2, 4 and 8 ranks, the bytes arriving at the client per second of the job and per
//    training step (the probes' frames as on the wire);
//  - at 4 ranks, the probe's overhead in each mode: the job's wall time served over its wall
//    time with TRAINDX=off, the median of the rounds' ratios.
// Last lines: overhead_ratio_4_ranks=R (per rank), overhead_ratio_4_ranks_reduced=R.
#include "rank_launch.h"
#include "session.h"
#include "session_waiter.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

using namespace traindx;

namespace {

LaunchSpec ddp(int epochs)
{
    LaunchSpec spec;
    spec.program = test::builtProgram(QStringLiteral("traindx-ddp"));
    spec.arguments = {QStringLiteral("--epochs"), QString::number(epochs)};
    return spec;
}

// The job with the probes off, as plain processes: its wall time.
double plainJob(int ranks, int epochs)
{
    QElapsedTimer timer;
    timer.start();
    std::vector<std::unique_ptr<QProcess>> processes;
    for (const LaunchSpec& rank : rankLaunches(ddp(epochs), ranks))
        processes.push_back(test::startPlain(rank, {QStringLiteral("TRAINDX=off")}));
    for (auto& process : processes)
        process->waitForFinished(600000);
    return timer.elapsed() / 1000.0;
}

struct Served {
    double seconds = 0;
    qint64 bytes = 0;
    qint64 steps = 0;
    bool healthy = true;
};

// The job served per rank (a session on every rank) or reduced (a session on rank 0, the
// others plain processes): its wall time and the bytes that reached the sessions.
Served servedJob(int ranks, int epochs, bool reduced)
{
    QElapsedTimer timer;
    timer.start();
    std::vector<std::unique_ptr<Session>> sessions;
    std::vector<std::unique_ptr<QProcess>> quiet;
    SessionOptions options;
    options.record = false;
    for (LaunchSpec rank : rankLaunches(ddp(epochs), ranks)) {
        if (reduced)
            rank.environment << QStringLiteral("TRAINDX_REDUCE=1");
        if (reduced && !sessions.empty()) {
            quiet.push_back(test::startPlain(rank));
            continue;
        }
        auto session = std::make_unique<Session>();
        session->setOptions(options);
        session->launch(rank);
        sessions.push_back(std::move(session));
    }
    auto over = [](const Session& s) {
        const RunStatePtr state = s.state();
        return state && (state->state == TrainerState::Finished || state->state == TrainerState::Crashed
                         || state->state == TrainerState::Failed);
    };
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (std::all_of(sessions.begin(), sessions.end(), [&](const auto& s) { return over(*s); }) || timer.elapsed() > 600000)
            loop.quit();
    });
    poll.start(20);
    loop.exec();
    Served served;
    served.seconds = timer.elapsed() / 1000.0;
    QTest::qWait(2 * Session::kPublishIntervalMs); // the last frames published
    for (const auto& session : sessions) {
        served.bytes += session->state()->bytesReceived;
        served.steps = session->state()->step;
        served.healthy = served.healthy && session->state()->state == TrainerState::Finished;
    }
    for (auto& process : quiet) {
        if (process->state() != QProcess::NotRunning)
            process->waitForFinished(60000);
        served.healthy = served.healthy && process->exitStatus() == QProcess::NormalExit && process->exitCode() == 0;
    }
    return served;
}

double median(QVector<double> values)
{
    std::sort(values.begin(), values.end());
    return values.isEmpty() ? 0 : values[values.size() / 2];
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    int epochs = 10, rounds = 3;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--epochs"))
            epochs = std::max(1, args[++i].toInt());
        else if (args[i] == QLatin1String("--rounds"))
            rounds = std::max(1, args[++i].toInt());
    }
    std::printf("%-9s %-6s %10s %12s %10s %12s\n", "mode", "ranks", "seconds", "bytes", "KB/s", "bytes/step");
    for (const bool reduced : {false, true})
        for (int ranks : {2, 4, 8}) {
            const Served served = servedJob(ranks, epochs, reduced);
            std::printf("%-9s %-6d %10.2f %12lld %10.1f %12.0f%s\n", reduced ? "reduced" : "per-rank", ranks, served.seconds,
                        static_cast<long long>(served.bytes), served.bytes / served.seconds / 1024,
                        served.steps > 0 ? double(served.bytes) / double(served.steps) : 0.0,
                        served.healthy ? "" : "  (a rank did not finish)");
            std::fflush(stdout);
        }
    QVector<double> ratios, reducedRatios;
    for (int round = 0; round < rounds; ++round) {
        const double off = plainJob(4, epochs);
        const double on = servedJob(4, epochs, false).seconds;
        const double onReduced = servedJob(4, epochs, true).seconds;
        ratios.append(on / off);
        reducedRatios.append(onReduced / off);
        std::printf("round %d at 4 ranks: probe off %.2f s, served per rank %.2f s (%.3f), reduced %.2f s (%.3f)\n", round + 1,
                    off, on, on / off, onReduced, onReduced / off);
        std::fflush(stdout);
    }
    std::printf("overhead_ratio_4_ranks=%.3f\n", median(ratios));
    std::printf("overhead_ratio_4_ranks_reduced=%.3f\n", median(reducedRatios));
    return 0;
}
