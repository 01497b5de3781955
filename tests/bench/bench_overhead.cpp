// traindx-bench-overhead [--rounds N] [--epochs N] [-- extra trainer arguments]
// Runs traindx-fashion-mnist alternately with the probe off (TRAINDX=off) and with the
// probe on and TrainDx attached, and compares the epoch times the trainer reports.
// Each round runs both, back to back, and takes the ratio of their median epoch times;
// the result is the median of the rounds' ratios, so a burst of noise from the machine
// spoils one round, not the figure.
// Last line: overhead_ratio=R.
#include "session.h"
#include "session_waiter.h"

#include <QCoreApplication>
#include <QProcess>
#include <QRegularExpression>

#include <algorithm>
#include <cstdio>

using namespace traindx;

namespace {

QVector<double> epochTimes(const QString& output)
{
    QVector<double> times;
    static const QRegularExpression pattern(QStringLiteral("time ([0-9.]+) s"));
    for (auto it = pattern.globalMatch(output); it.hasNext();)
        times.append(it.next().captured(1).toDouble());
    return times;
}

double median(QVector<double> values)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    const int n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

QVector<double> runUnprobed(const QString& program, const QStringList& arguments)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("TRAINDX"), QStringLiteral("off"));
    process.setProcessEnvironment(env);
    process.start(program, arguments);
    process.waitForFinished(-1);
    return epochTimes(QString::fromLocal8Bit(process.readAllStandardOutput()));
}

QVector<double> runProbed(const QString& program, const QStringList& arguments, double* overhead)
{
    Session session;
    QString output;
    QObject::connect(&session, &Session::consoleOutput, [&output](const QString& text, bool standardError) {
        if (!standardError)
            output += text;
    });
    session.launch({program, arguments, {}, {}});
    const RunStatePtr state = test::waitForState(session, [](const RunState& s) {
        return s.state == TrainerState::Finished || s.state == TrainerState::Crashed || s.state == TrainerState::Failed;
    }, 3600 * 1000);
    QCoreApplication::processEvents();
    *overhead = state ? state->overhead() : 0;
    return epochTimes(output);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    int rounds = 7;
    int epochs = 2;
    QStringList extra;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QStringLiteral("--rounds") && i + 1 < args.size())
            rounds = args[++i].toInt();
        else if (args[i] == QStringLiteral("--epochs") && i + 1 < args.size())
            epochs = args[++i].toInt();
        else if (args[i] == QStringLiteral("--")) {
            extra = args.mid(i + 1);
            break;
        }
    }
    const QString program = test::builtProgram(QStringLiteral("traindx-fashion-mnist"));
    const QStringList arguments = QStringList {QStringLiteral("--epochs"), QString::number(epochs)} + extra;

    QVector<double> probed, unprobed, selfReported, ratios;
    std::printf("%-6s %-9s %s\n", "round", "probe", "epoch seconds");
    for (int round = 1; round <= rounds; ++round) {
        const QVector<double> off = runUnprobed(program, arguments);
        double overhead = 0;
        const QVector<double> on = runProbed(program, arguments, &overhead);
        for (const auto& [name, times] : {std::pair {"off", off}, std::pair {"on", on}}) {
            QStringList text;
            for (double t : times)
                text.append(QString::number(t, 'f', 3));
            std::printf("%-6d %-9s %s\n", round, name, qPrintable(text.join(QLatin1Char(' '))));
        }
        unprobed += off;
        probed += on;
        selfReported.append(overhead);
        if (!on.isEmpty() && !off.isEmpty())
            ratios.append(median(on) / median(off));
    }
    if (probed.isEmpty() || unprobed.isEmpty()) {
        std::fprintf(stderr, "traindx-bench-overhead: the trainer reported no epoch times\n");
        return 1;
    }
    const double ratio = median(ratios);
    std::printf("median epoch: probe off %.3f s, probe on %.3f s (%d epochs each)\n", median(unprobed), median(probed),
                int(probed.size()));
    QStringList perRound;
    for (double r : ratios)
        perRound.append(QString::number(r, 'f', 3));
    std::printf("per-round ratios: %s\n", qPrintable(perRound.join(QLatin1Char(' '))));
    std::printf("probe's own time as a share of loop time (self-measured): %.2f %%\n", 100 * median(selfReported));
    std::printf("overhead_ratio=%.4f\n", ratio);
    return 0;
}
