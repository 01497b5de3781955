// traindx-bench-memory [--epochs N] [--window]
// A long run through the client: traindx-fashion-mnist's tiny model (16 and 8 hidden units,
// batches of 8, 1000 steps an epoch) for N epochs (1000: a million steps), diagnosed and
// recorded by traindx-cli, or with --window shown live in the window (offscreen). Samples
// the client's resident memory and CPU share every second and prints them per tenth of
// the run: memory should stay bounded and the CPU share flat however long the run.
// Last line: peak_rss_mb=M cpu_first_tenth=A cpu_last_tenth=B
#include "session_waiter.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace {

struct Sample {
    double seconds = 0;
    double rssMb = 0;
    double cpuSeconds = 0;
};

double residentMb(qint64 pid)
{
    QFile file(QStringLiteral("/proc/%1/status").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray& line : file.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toDouble() / 1024.0;
    return 0;
}

double cpuSeconds(qint64 pid)
{
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray stat = file.readAll();
    // Fields after the command's closing parenthesis: state is the 3rd, utime the 14th.
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return 0;
    return (fields[11].toDouble() + fields[12].toDouble()) / double(::sysconf(_SC_CLK_TCK));
}

// A child of `parent` whose command line names `program`: the trainer the window launched.
bool hasChild(qint64 parent, const QString& program)
{
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString& entry : entries) {
        bool number = false;
        entry.toLongLong(&number);
        if (!number)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(entry));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray text = stat.readAll();
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields[1].toLongLong() == parent && text.contains(program.toLocal8Bit().left(15)))
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments().mid(1);
    int epochs = 1000;
    bool window = false;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QStringLiteral("--epochs") && i + 1 < args.size())
            epochs = args[++i].toInt();
        else if (args[i] == QStringLiteral("--window"))
            window = true;
    }
    QTemporaryDir home;
    const QString trainer = traindx::test::builtProgram(QStringLiteral("traindx-fashion-mnist"));
    const QStringList trainerArguments {trainer,
                                        QStringLiteral("--hidden"), QStringLiteral("16"),
                                        QStringLiteral("--batch-size"), QStringLiteral("8"),
                                        QStringLiteral("--train-limit"), QStringLiteral("8000"),
                                        QStringLiteral("--epochs"), QString::number(epochs)};
    QProcess client;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), home.filePath(QStringLiteral("runtime")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), home.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral("config")));
    QDir().mkpath(home.filePath(QStringLiteral("runtime")));
    if (window) {
        // A hold would stall the run: the window does not break on symptoms here.
        QDir().mkpath(home.filePath(QStringLiteral("config/TrainDx")));
        QFile settings(home.filePath(QStringLiteral("config/TrainDx/TrainDx.conf")));
        if (settings.open(QIODevice::WriteOnly))
            settings.write("[run]\nbreakOnSymptom=false\n");
        settings.close();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        client.setProcessEnvironment(env);
        client.start(traindx::test::builtProgram(QStringLiteral("traindx")), QStringList {QStringLiteral("--launch")} + trainerArguments);
    } else {
        client.setProcessEnvironment(env);
        client.start(traindx::test::builtProgram(QStringLiteral("traindx-cli")),
                     QStringList {QStringLiteral("run"), QStringLiteral("--json"), home.filePath(QStringLiteral("run.json")),
                                  QStringLiteral("--")}
                         + trainerArguments);
    }
    if (!client.waitForStarted()) {
        std::fprintf(stderr, "traindx-bench-memory: could not start the client\n");
        return 1;
    }
    const qint64 pid = client.processId();
    QVector<Sample> samples;
    QElapsedTimer timer;
    timer.start();
    bool trainerSeen = false;
    while (client.state() == QProcess::Running) {
        client.waitForFinished(1000);
        client.readAll();
        if (client.state() != QProcess::Running)
            break;
        samples.append({timer.elapsed() / 1000.0, residentMb(pid), cpuSeconds(pid)});
        if (window) {
            // The window stays open after the run: the run is over when its trainer is.
            const bool running = hasChild(pid, QStringLiteral("traindx-fashion-mnist"));
            trainerSeen = trainerSeen || running;
            if (trainerSeen && !running) {
                QThread::sleep(2);
                samples.append({timer.elapsed() / 1000.0, residentMb(pid), cpuSeconds(pid)});
                client.terminate();
                client.waitForFinished(10000);
            }
        }
    }
    if (samples.size() < 10) {
        std::fprintf(stderr, "traindx-bench-memory: the run lasted %zu s, too short to judge\n", std::size_t(samples.size()));
        return 1;
    }
    std::printf("%s over %d epochs of 1000 steps, %.0f s\n", window ? "the window" : "traindx-cli", epochs,
                samples.last().seconds);
    std::printf("%-8s %10s %10s %10s\n", "tenth", "until_s", "rss_mb", "cpu_%");
    double peak = 0;
    QVector<double> shares;
    const int n = samples.size();
    for (int tenth = 0; tenth < 10; ++tenth) {
        const int from = tenth * (n - 1) / 10, to = (tenth + 1) * (n - 1) / 10;
        const double wall = samples[to].seconds - samples[from].seconds;
        const double share = wall > 0 ? 100 * (samples[to].cpuSeconds - samples[from].cpuSeconds) / wall : 0;
        double rss = 0;
        for (int i = from; i <= to; ++i)
            rss = std::max(rss, samples[i].rssMb);
        peak = std::max(peak, rss);
        shares.append(share);
        std::printf("%-8d %10.0f %10.1f %10.1f\n", tenth + 1, samples[to].seconds, rss, share);
    }
    std::printf("peak_rss_mb=%.1f cpu_first_tenth=%.1f cpu_last_tenth=%.1f\n", peak, shares.first(), shares.last());
    return 0;
}
