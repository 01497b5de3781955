// traindx-bench-ranks [--epochs N] [--rounds N]
// A job of traindx-ddp ranks on this machine (Gloo over a TCPStore on loopback), each rank
// behind its own probe with its own session, as traindx-cli run --ranks serves a job:
//  - for 2, 4 and 8 ranks, the bytes arriving at the client per second of the job (the
//    probes' frames as on the wire), in all and per rank;
//  - at 4 ranks, the probe's overhead: the job's wall time with every probe attached over
//    its wall time with TRAINDX=off, the median of the rounds' ratios.
// Last line: overhead_ratio_4_ranks=R.
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
    for (const LaunchSpec& rank : rankLaunches(ddp(epochs), ranks)) {
        auto process = std::make_unique<QProcess>();
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        for (const QString& entry : rank.environment)
            environment.insert(entry.section(QLatin1Char('='), 0, 0), entry.section(QLatin1Char('='), 1));
        environment.insert(QStringLiteral("TRAINDX"), QStringLiteral("off"));
        process->setProcessEnvironment(environment);
        process->setStandardOutputFile(QProcess::nullDevice());
        process->start(rank.program, rank.arguments);
        processes.push_back(std::move(process));
    }
    for (auto& process : processes)
        process->waitForFinished(600000);
    return timer.elapsed() / 1000.0;
}

struct Served {
    double seconds = 0;
    qint64 bytes = 0;
    bool healthy = true;
};

// The job with a session on every rank: its wall time and the bytes that reached them.
Served servedJob(int ranks, int epochs)
{
    QElapsedTimer timer;
    timer.start();
    std::vector<std::unique_ptr<Session>> sessions;
    SessionOptions options;
    options.record = false;
    for (const LaunchSpec& rank : rankLaunches(ddp(epochs), ranks)) {
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
        served.healthy = served.healthy && session->state()->state == TrainerState::Finished;
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
    std::printf("%-6s %10s %12s %12s %14s\n", "ranks", "seconds", "bytes", "KB/s", "KB/s per rank");
    for (int ranks : {2, 4, 8}) {
        const Served served = servedJob(ranks, epochs);
        const double rate = served.bytes / served.seconds / 1024;
        std::printf("%-6d %10.2f %12lld %12.1f %14.1f%s\n", ranks, served.seconds, static_cast<long long>(served.bytes), rate,
                    rate / ranks, served.healthy ? "" : "  (a rank did not finish)");
        std::fflush(stdout);
    }
    QVector<double> ratios;
    for (int round = 0; round < rounds; ++round) {
        const double off = plainJob(4, epochs);
        const double on = servedJob(4, epochs).seconds;
        ratios.append(on / off);
        std::printf("round %d at 4 ranks: probe off %.2f s, probes served %.2f s, ratio %.3f\n", round + 1, off, on, on / off);
        std::fflush(stdout);
    }
    std::printf("overhead_ratio_4_ranks=%.3f\n", median(ratios));
    return 0;
}
