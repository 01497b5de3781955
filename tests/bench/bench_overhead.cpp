// traindx-bench-overhead [--rounds N] [--epochs N] [--tiny] [--anomaly] [-- extra trainer arguments]
// Runs traindx-fashion-mnist alternately with the probe off (TRAINDX=off) and with the
// probe on and TrainDx attached, and compares the epoch times the trainer reports.
// Each round runs both, back to back, and takes the ratio of their median epoch times;
// the result is the median of the rounds' ratios, so a burst of noise from the machine
// spoils one round, not the figure.
//   --tiny     a model of 16 and 8 hidden units in batches of 8: steps of tens of
//              microseconds, where a fixed cost per step shows
//   --anomaly  also runs the loop under LibTorch's own NaN aid (DetectAnomalyGuard, probe
//              off) each round, and reports its ratio beside the probe's
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
    bool tiny = false, anomaly = false;
    QStringList extra;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QStringLiteral("--rounds") && i + 1 < args.size())
            rounds = args[++i].toInt();
        else if (args[i] == QStringLiteral("--epochs") && i + 1 < args.size())
            epochs = args[++i].toInt();
        else if (args[i] == QStringLiteral("--tiny"))
            tiny = true;
        else if (args[i] == QStringLiteral("--anomaly"))
            anomaly = true;
        else if (args[i] == QStringLiteral("--")) {
            extra = args.mid(i + 1);
            break;
        }
    }
    const QString program = test::builtProgram(QStringLiteral("traindx-fashion-mnist"));
    QStringList arguments = QStringList {QStringLiteral("--epochs"), QString::number(epochs)};
    if (tiny)
        arguments << QStringLiteral("--hidden") << QStringLiteral("16") << QStringLiteral("--batch-size")
                  << QStringLiteral("8") << QStringLiteral("--train-limit") << QStringLiteral("8000");
    arguments += extra;

    QVector<double> probed, unprobed, selfReported, ratios, anomalyRatios;
    std::printf("%-6s %-9s %s\n", "round", "probe", "epoch seconds");
    for (int round = 1; round <= rounds; ++round) {
        const QVector<double> off = runUnprobed(program, arguments);
        double overhead = 0;
        const QVector<double> on = runProbed(program, arguments, &overhead);
        const QVector<double> underAnomaly
            = anomaly ? runUnprobed(program, arguments + QStringList {QStringLiteral("--detect-anomaly")}) : QVector<double>();
        for (const auto& [name, times] : {std::pair {"off", off}, std::pair {"on", on}, std::pair {"anomaly", underAnomaly}}) {
            if (times.isEmpty() && !anomaly)
                continue;
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
        if (!underAnomaly.isEmpty() && !off.isEmpty())
            anomalyRatios.append(median(underAnomaly) / median(off));
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
    if (anomaly)
        std::printf("LibTorch anomaly mode instead (DetectAnomalyGuard, probe off): anomaly_ratio=%.3f\n",
                    median(anomalyRatios));
    std::printf("overhead_ratio=%.4f\n", ratio);
    return 0;
}
