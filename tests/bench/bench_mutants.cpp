// traindx-bench-mutants [--only-base NAME] [--only-operator NAME] [--jobs N] [--subset] [--keep DIR] [--no-auto-fix]
//                       [--resume] [--timeout SECONDS]
// Scores the diagnosis on the mutation benchmark (traindx-mutants --list): healthy base
// training programs, and mutants that inject one training bug each, with ground truth
// written from the operator.
//
// 1. With the probe off (TRAINDX=off), each base runs with every healthy seed and must
//    learn (its own criterion, the "result:" line); a base that does not is excluded.
// 2. With the probe off, each mutant runs with seed 1. It is *equivalent* when it learns
//    and its quality is at least the base's seed-1 quality minus a margin, the larger of
//    0.02 and the spread (max - min) of the base's quality over the healthy seeds:
//    it behaves like the base and is left out of the score. frozen_layer is a healthy
//    control: when it learns it runs with every healthy seed on the healthy side.
// 3. Under traindx-cli, every non-equivalent mutant (seed 1) and every healthy run.
//    detected: an expected symptom among the faults; localised: the top fault's layer
//    path is among the expected layers ("*" accepts any, none means the model as a
//    whole); fix: the top fault's fix class; false alarm: a fault, or no report, on a
//    healthy run. A run that exceeds the timeout counts as not detected. A run that ends
//    without its result (a trainer killed from outside, traindx-cli without a report, or a
//    report with no data from a trainer that completes epochs) runs again, up to three times.
//
// 4. Unless --no-auto-fix: the scored mutants whose expected fix can be made live (a learning
//    rate, an initialisation, parameters left out of the optimizer) run again under
//    traindx-cli --auto-fix; cured when no fault is left after the change.
//
// Prints one row per run, a per-operator table,
//   detected A/N localised B/N fix C/N false_alarms D/H
// and last the auto-fix rows and "auto_fix cured A/N".
// --keep DIR keeps the JSON reports and the probe-off outputs; with --resume, a run whose
// complete result is already in DIR is not run again (for a bench that was interrupted).
#include "session_waiter.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QPointer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

namespace {

using traindx::test::builtProgram;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// The mutants the test suite runs with --subset: quick ones, several operator families.
const char* const kSubset[][2] = {
    {"regression", "relu_regression_output"}, {"binary", "softmax_one_unit"},
    {"custom_untapped", "lr_x1000"},          {"deep_mlp", "init_zero"},
    {"deep_mlp", "heavy_dropout"},            {"custom_untapped", "large_bias"},
    {"regression", "lr_zero"},                {"binary", "missing_zero_grad"},
};
const char* const kSubsetHealthy[] = {"regression", "binary"};

struct Mutant {
    QString base;
    QString op;
    bool healthy = false;
    QStringList symptoms;
    QStringList layers;
    QString fix;
};

// What a trainer run with the probe off printed on its "result:" line.
struct Plain {
    bool ran = false;
    bool timedOut = false;
    double quality = kNaN;
    bool learned = false;
    int epochs = 0;
    QString error;
    double seconds = 0;
};

struct Command {
    QString program;
    QStringList arguments;
    bool probeOff = false;
};

struct Finished {
    bool timedOut = false;
    bool started = false;
    int exitCode = -1;
    QByteArray output;
    double seconds = 0;
};

// Runs commands, at most `jobs` at a time, each within the timeout. `done` is called on the
// event loop as each one ends; when it returns false the command runs again, up to
// `attempts` times in all. Returns when all have ended.
void runAll(const QList<Command>& commands, int jobs, int timeoutMs, int attempts,
            const std::function<bool(int, const Finished&, bool lastAttempt)>& done)
{
    if (commands.isEmpty())
        return;
    QEventLoop loop;
    QList<int> pending;
    for (int i = 0; i < commands.size(); ++i)
        pending.append(i);
    QList<int> tries(commands.size(), 0);
    int running = 0, ended = 0;
    std::function<void()> startMore;
    startMore = [&] {
        while (running < jobs && !pending.isEmpty()) {
            const int index = pending.takeFirst();
            ++tries[index];
            const Command& command = commands[index];
            auto* process = new QProcess(&loop);
            QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
            if (command.probeOff)
                environment.insert(QStringLiteral("TRAINDX"), QStringLiteral("off"));
            else
                environment.remove(QStringLiteral("TRAINDX"));
            process->setProcessEnvironment(environment);
            process->setStandardErrorFile(QProcess::nullDevice());
            if (!command.probeOff) // traindx-cli's report goes to the JSON file
                process->setStandardOutputFile(QProcess::nullDevice());
            auto result = std::make_shared<Finished>();
            auto timer = std::make_shared<QElapsedTimer>();
            timer->start();
            QPointer<QProcess> guard(process);
            QTimer::singleShot(timeoutMs, process, [guard, result] {
                if (!guard || guard->state() == QProcess::NotRunning)
                    return;
                result->timedOut = true;
                guard->terminate();
                QTimer::singleShot(5000, guard, [guard] {
                    if (guard && guard->state() != QProcess::NotRunning)
                        guard->kill();
                });
            });
            auto finish = [&, index, process, timer, result, probeOff = command.probeOff](bool started) {
                result->started = started;
                result->exitCode = started ? process->exitCode() : -1;
                if (probeOff)
                    result->output = process->readAllStandardOutput();
                result->seconds = timer->elapsed() / 1000.0;
                process->deleteLater();
                --running;
                if (done(index, *result, tries[index] >= attempts) || tries[index] >= attempts)
                    ++ended;
                else
                    pending.prepend(index);
                if (ended == commands.size())
                    loop.quit();
                else
                    startMore();
            };
            QObject::connect(process, &QProcess::finished, &loop, [finish] { finish(true); });
            QObject::connect(process, &QProcess::errorOccurred, &loop, [finish, process](QProcess::ProcessError error) {
                if (error == QProcess::FailedToStart) {
                    process->disconnect();
                    finish(false);
                }
            });
            ++running;
            process->start(command.program, command.arguments);
        }
    };
    startMore();
    loop.exec();
}

Plain parsePlain(const Finished& finished)
{
    Plain plain;
    plain.timedOut = finished.timedOut;
    plain.seconds = finished.seconds;
    const QList<QByteArray> lines = finished.output.split('\n');
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        const QString line = QString::fromUtf8(*it).trimmed();
        if (!line.startsWith(QLatin1String("result:")))
            continue;
        plain.ran = true;
        const int errorAt = line.indexOf(QLatin1String(" error="));
        if (errorAt >= 0)
            plain.error = line.mid(errorAt + 7);
        for (const QString& field : line.left(errorAt >= 0 ? errorAt : line.size()).split(QLatin1Char(' '))) {
            if (field.startsWith(QLatin1String("quality="))) {
                bool ok = false;
                const double value = field.mid(8).toDouble(&ok);
                plain.quality = ok && std::isfinite(value) ? value : kNaN;
            } else if (field == QLatin1String("learned=yes")) {
                plain.learned = true;
            } else if (field.startsWith(QLatin1String("epochs="))) {
                plain.epochs = field.mid(7).toInt();
            }
        }
        break;
    }
    if (plain.timedOut)
        plain.learned = false;
    return plain;
}

QStringList strings(const QJsonValue& value)
{
    QStringList list;
    for (const auto& item : value.toArray())
        list.append(item.toString());
    return list;
}

QJsonArray faults(const QJsonObject& report)
{
    QJsonArray list;
    for (const auto& value : report.value(QStringLiteral("findings")).toArray())
        if (value.toObject().value(QStringLiteral("severity")).toString() == QLatin1String("fault"))
            list.append(value);
    return list;
}

QString layerPath(const QJsonObject& finding)
{
    const QJsonValue layer = finding.value(QStringLiteral("layer"));
    return layer.isObject() ? layer.toObject().value(QStringLiteral("path")).toString() : QString();
}

QString describe(const QJsonObject& finding)
{
    if (finding.isEmpty())
        return QStringLiteral("-");
    const QString path = layerPath(finding);
    return finding.value(QStringLiteral("symptom")).toString() + QLatin1Char('@')
        + (path.isEmpty() ? QStringLiteral("model") : path) + QLatin1Char(' ')
        + finding.value(QStringLiteral("fix")).toObject().value(QStringLiteral("class")).toString();
}

// A run under traindx-cli that got no data at all from a trainer that, with the probe off,
// completes epochs: the connection failed, not the diagnosis.
bool receivedNothing(const QString& reportPath, const Plain& plain)
{
    QFile file(reportPath);
    if (plain.epochs == 0 || !file.open(QIODevice::ReadOnly))
        return false;
    const QJsonObject report = QJsonDocument::fromJson(file.readAll()).object();
    return !report.isEmpty() && report.value(QStringLiteral("epochs_run")).toInt() == 0
        && report.value(QStringLiteral("findings")).toArray().isEmpty();
}

// A report that a resumed bench can take as it is: the trainer ran to its end and the
// probe's data reached traindx-cli.
bool reusableReport(const QString& reportPath, const Plain& plain)
{
    QFile file(reportPath);
    if (!file.open(QIODevice::ReadOnly))
        return false;
    const QJsonObject report = QJsonDocument::fromJson(file.readAll()).object();
    return report.value(QStringLiteral("trainer")).toString() == QLatin1String("finished")
        && !receivedNothing(reportPath, plain);
}

// The file name of a run: base, operator, seed.
QString runName(const QString& base, const QString& op, int seed)
{
    return base + (op.isEmpty() ? QString() : QLatin1Char('-') + op) + QStringLiteral("-seed") + QString::number(seed);
}

QString key(const QString& base, const QString& op, int seed)
{
    return base + QLatin1Char('|') + op + QLatin1Char('|') + QString::number(seed);
}

QStringList trainerArguments(const QString& base, const QString& op, int seed)
{
    QStringList arguments {base};
    if (!op.isEmpty())
        arguments << QStringLiteral("--mutate") << op;
    arguments << QStringLiteral("--seed") << QString::number(seed);
    return arguments;
}

QString quality(double value)
{
    return std::isfinite(value) ? QString::number(value, 'f', 4) : QStringLiteral("nan");
}

// One line of the output, in the order the rows are printed.
struct Row {
    enum Kind { Scored, Equivalent, Excluded, Healthy } kind = Scored;
    int mutant = -1; // index into the mutants, or -1 for a base's healthy run
    QString base;
    QString op;
    int seed = 1;
    double quality = kNaN;
    QString note;
    int command = -1; // index of its traindx-cli run
    QString report;   // where its JSON report is
    bool reused = false;
    bool ready = false;
    QString text;
};

struct OperatorCount {
    int mutants = 0, equivalent = 0, excluded = 0, scored = 0, detected = 0, localised = 0, fix = 0;
    int healthyRuns = 0, falseAlarms = 0;
};

} // namespace

// The scored mutants whose expected fix can be made in the running process (a learning
// rate, an initialisation, parameters given to the optimizer), run again under
// traindx-cli --auto-fix: cured when no fault is left after the change.
void runAutoFix(const QList<Row>& rows, const QList<Mutant>& mutants, const QString& cliProgram,
                const QString& mutantsProgram, const QString& reportDir, int jobs, int timeoutSeconds)
{
    QList<Command> commands;
    QStringList names, paths;
    for (const Row& row : rows) {
        if (row.kind != Row::Scored || row.mutant < 0)
            continue;
        const Mutant& m = mutants[row.mutant];
        const bool live = m.fix == QLatin1String("change_learning_rate") || m.fix == QLatin1String("change_initialization")
            || m.symptoms.contains(QStringLiteral("not_in_optimizer"));
        if (!live)
            continue;
        const QString path = reportDir + QLatin1Char('/') + runName(row.base, row.op, row.seed) + QStringLiteral("-auto-fix.json");
        QFile::remove(path);
        names.append(runName(row.base, row.op, row.seed));
        paths.append(path);
        commands.append({cliProgram,
                         QStringList {QStringLiteral("run"), QStringLiteral("--no-record"), QStringLiteral("--auto-fix"),
                                      QStringLiteral("--json"), path, QStringLiteral("--")}
                             + QStringList {mutantsProgram} + trainerArguments(row.base, row.op, row.seed),
                         false});
    }
    std::fprintf(stderr, "traindx-bench-mutants: %lld runs under traindx-cli --auto-fix\n", static_cast<long long>(commands.size()));
    QVector<QString> lines(commands.size());
    int cured = 0, changed = 0;
    runAll(commands, jobs, timeoutSeconds * 1000, 1, [&](int index, const Finished& finished, bool) {
        QFile file(paths[index]);
        const QJsonObject report = file.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(file.readAll()).object() : QJsonObject();
        const QJsonObject fix = report.value(QStringLiteral("auto_fix")).toObject();
        const int left = fix.value(QStringLiteral("faults_after_change")).toInt(-1);
        cured += left == 0;
        changed += left >= 0;
        lines[index] = QString::asprintf("%-46s %-56s %7d %7d %5s%s", qPrintable(names[index]),
                                         qPrintable(fix.value(QStringLiteral("change")).toString().left(56)),
                                         fix.value(QStringLiteral("cleared")).toInt(), fix.value(QStringLiteral("still_present")).toInt(),
                                         left < 0 ? "-" : qPrintable(QString::number(left)), finished.timedOut ? " (timeout)" : "");
        return true;
    });
    std::printf("\n%-46s %-56s %7s %7s %5s\n", "auto-fix", "change", "cleared", "present", "left");
    for (const QString& line : std::as_const(lines))
        std::printf("%s\n", qPrintable(line));
    std::printf("auto_fix cured %d/%d (a change was made in %d)\n", cured, int(commands.size()), changed);
}

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QString onlyBase, onlyOperator, keepDir;
    int jobs = 1;
    int timeoutSeconds = 120;
    bool subset = false, resume = false, autoFix = true;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString& a = args[i];
        const bool hasValue = i + 1 < args.size();
        if (a == QLatin1String("--subset")) {
            subset = true;
        } else if (a == QLatin1String("--no-auto-fix")) {
            autoFix = false;
        } else if (a == QLatin1String("--resume")) {
            resume = true;
        } else if (a == QLatin1String("--only-base") && hasValue) {
            onlyBase = args[++i];
        } else if (a == QLatin1String("--only-operator") && hasValue) {
            onlyOperator = args[++i];
        } else if (a == QLatin1String("--jobs") && hasValue) {
            jobs = std::max(1, args[++i].toInt());
        } else if (a == QLatin1String("--keep") && hasValue) {
            keepDir = args[++i];
        } else if (a == QLatin1String("--timeout") && hasValue) {
            timeoutSeconds = std::max(1, args[++i].toInt());
        } else {
            std::fprintf(stderr,
                         "usage: traindx-bench-mutants [--only-base NAME] [--only-operator NAME] [--jobs N] [--subset] "
                         "[--keep DIR [--resume]] [--timeout SECONDS] [--no-auto-fix]\n");
            return 2;
        }
    }
    if (resume && keepDir.isEmpty()) {
        std::fprintf(stderr, "traindx-bench-mutants: --resume needs --keep DIR\n");
        return 2;
    }
    QElapsedTimer wall;
    wall.start();
    const QString mutantsProgram = builtProgram(QStringLiteral("traindx-mutants"));
    const QString cliProgram = builtProgram(QStringLiteral("traindx-cli"));

    // The catalogue.
    QProcess list;
    list.start(mutantsProgram, {QStringLiteral("--list")});
    if (!list.waitForFinished(60000) || list.exitStatus() != QProcess::NormalExit || list.exitCode() != 0) {
        std::fprintf(stderr, "traindx-bench-mutants: cannot run %s --list\n", qPrintable(mutantsProgram));
        return 2;
    }
    const QJsonObject catalogue = QJsonDocument::fromJson(list.readAllStandardOutput()).object();
    QList<int> seeds;
    for (const auto& seed : catalogue.value(QStringLiteral("healthy_seeds")).toArray())
        seeds.append(seed.toInt());
    if (subset)
        seeds = {1};
    if (seeds.isEmpty() || !seeds.contains(1)) {
        std::fprintf(stderr, "traindx-bench-mutants: the catalogue's healthy seeds must include 1\n");
        return 2;
    }

    QList<Mutant> mutants;
    for (const auto& value : catalogue.value(QStringLiteral("mutants")).toArray()) {
        const QJsonObject o = value.toObject();
        Mutant m;
        m.base = o.value(QStringLiteral("base")).toString();
        m.op = o.value(QStringLiteral("operator")).toString();
        m.healthy = o.value(QStringLiteral("healthy")).toBool();
        m.symptoms = strings(o.value(QStringLiteral("symptoms")));
        m.layers = strings(o.value(QStringLiteral("layers")));
        m.fix = o.value(QStringLiteral("fix")).toString();
        bool wanted = (onlyBase.isEmpty() || m.base == onlyBase) && (onlyOperator.isEmpty() || m.op == onlyOperator);
        if (subset) {
            wanted = false;
            for (const auto& pick : kSubset)
                wanted = wanted || (m.base == QLatin1String(pick[0]) && m.op == QLatin1String(pick[1]));
        }
        if (wanted)
            mutants.append(m);
    }
    // Bases whose healthy runs are scored; every base a mutant needs runs with the probe off anyway.
    QStringList healthyBases;
    for (const auto& value : catalogue.value(QStringLiteral("bases")).toArray()) {
        const QString base = value.toString();
        if (subset) {
            for (const char* pick : kSubsetHealthy)
                if (base == QLatin1String(pick))
                    healthyBases.append(base);
        } else if ((onlyBase.isEmpty() || base == onlyBase) && onlyOperator.isEmpty()) {
            healthyBases.append(base);
        }
    }
    QStringList neededBases = healthyBases;
    for (const auto& m : mutants)
        if (!neededBases.contains(m.base))
            neededBases.append(m.base);
    if (mutants.isEmpty() && healthyBases.isEmpty()) {
        std::fprintf(stderr, "traindx-bench-mutants: nothing matches the selection\n");
        return 2;
    }

    // 1 and 2: with the probe off, each program once (the results are shared by key).
    const QString plainDir = keepDir.isEmpty() ? QString() : keepDir + QStringLiteral("/probe-off");
    if (!plainDir.isEmpty())
        QDir().mkpath(plainDir);
    QMap<QString, Plain> plain;
    QList<Command> plainCommands;
    QStringList plainKeys, plainFiles;
    int plainRuns = 0, reused = 0, cliRuns = 0;
    auto wantPlain = [&](const QString& base, const QString& op, int seed) {
        const QString k = key(base, op, seed);
        if (plain.contains(k) || plainKeys.contains(k))
            return;
        ++plainRuns;
        const QString file = plainDir.isEmpty()
            ? QString()
            : plainDir + QLatin1Char('/') + runName(base, op, seed) + QStringLiteral(".txt");
        QFile kept(file);
        if (resume && kept.open(QIODevice::ReadOnly)) {
            Finished earlier;
            earlier.output = kept.readAll();
            const Plain p = parsePlain(earlier);
            if (p.ran) {
                plain[k] = p;
                ++reused;
                return;
            }
        }
        plainKeys.append(k);
        plainFiles.append(file);
        plainCommands.append({mutantsProgram, trainerArguments(base, op, seed), true});
    };
    for (const auto& base : neededBases)
        for (int seed : seeds)
            wantPlain(base, QString(), seed);
    for (const auto& m : mutants)
        for (int seed : m.healthy ? seeds : QList<int> {1})
            wantPlain(m.base, m.op, seed);
    std::fprintf(stderr, "traindx-bench-mutants: %lld programs with the probe off, %d at a time\n",
                 static_cast<long long>(plainCommands.size()), jobs);
    int plainDone = 0, repeated = 0;
    runAll(plainCommands, jobs, timeoutSeconds * 1000, 3, [&](int index, const Finished& finished, bool last) {
        const Plain p = parsePlain(finished);
        if (!p.ran && !finished.timedOut && !last) {
            // Killed from outside, or it never started: not what the program does.
            ++repeated;
            std::fprintf(stderr, "[off] %s ended without a result line; again\n", qPrintable(plainKeys[index]));
            return false;
        }
        plain[plainKeys[index]] = p;
        QFile kept(plainFiles[index]);
        if (!plainFiles[index].isEmpty() && !finished.timedOut && kept.open(QIODevice::WriteOnly | QIODevice::Truncate))
            kept.write(finished.output);
        std::fprintf(stderr, "[off %d/%lld] %s: quality %s learned %s%s (%.1f s)\n", ++plainDone,
                     static_cast<long long>(plainCommands.size()), qPrintable(plainKeys[index]),
                     qPrintable(quality(p.quality)), p.learned ? "yes" : "no",
                     p.timedOut          ? " TIMEOUT"
                         : p.error.isEmpty() ? ""
                                             : qPrintable(QStringLiteral(" error: ") + p.error),
                     p.seconds);
        return true;
    });

    // Which bases learn, and the margin of each.
    QMap<QString, double> reference, margin;
    QStringList excludedBases;
    for (const auto& base : neededBases) {
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        QStringList failed;
        for (int seed : seeds) {
            const Plain& p = plain[key(base, QString(), seed)];
            if (!p.learned)
                failed.append(QString::number(seed));
            lo = std::min(lo, p.quality);
            hi = std::max(hi, p.quality);
        }
        if (!failed.isEmpty()) {
            excludedBases.append(base);
            std::printf("base %s does not learn with the probe off (seed %s): excluded\n", qPrintable(base),
                        qPrintable(failed.join(QLatin1Char(','))));
            continue;
        }
        reference[base] = plain[key(base, QString(), 1)].quality;
        margin[base] = std::max(0.02, hi - lo);
    }

    // 3: the runs under traindx-cli, and the rows in the order they are printed.
    QTemporaryDir temporary;
    const QString reportDir = keepDir.isEmpty() ? temporary.path() : keepDir;
    QDir().mkpath(reportDir);
    QList<Command> cliCommands;
    QStringList reportPaths;
    QList<Row> rows;
    auto addRun = [&](Row& row) {
        const QString path =
            reportDir + QLatin1Char('/') + runName(row.base, row.op, row.seed) + QStringLiteral(".json");
        row.report = path;
        ++cliRuns;
        if (resume && reusableReport(path, plain[key(row.base, row.op, row.seed)])) {
            row.reused = true;
            ++reused;
            return;
        }
        QFile::remove(path);
        row.command = int(cliCommands.size());
        reportPaths.append(path);
        cliCommands.append({cliProgram,
                            QStringList {QStringLiteral("run"), QStringLiteral("--no-record"), QStringLiteral("--json"),
                                         path, QStringLiteral("--")}
                                + QStringList {mutantsProgram} + trainerArguments(row.base, row.op, row.seed),
                            false});
    };
    for (int i = 0; i < mutants.size(); ++i) {
        const Mutant& m = mutants[i];
        if (m.healthy) {
            const Plain& first = plain[key(m.base, m.op, 1)];
            for (int seed : seeds) {
                Row row;
                row.mutant = i;
                row.base = m.base;
                row.op = m.op;
                row.seed = seed;
                const Plain& p = plain[key(m.base, m.op, seed)];
                row.quality = p.quality;
                if (excludedBases.contains(m.base)) {
                    row.kind = Row::Excluded;
                    row.note = QStringLiteral("base excluded");
                } else if (!first.learned || !p.learned) {
                    row.kind = Row::Excluded;
                    row.note = QStringLiteral("control does not learn: excluded");
                } else {
                    row.kind = Row::Healthy;
                    addRun(row);
                }
                rows.append(row);
                if (row.kind == Row::Excluded && seed == 1 && !first.learned)
                    break;
            }
            continue;
        }
        Row row;
        row.mutant = i;
        row.base = m.base;
        row.op = m.op;
        const Plain& p = plain[key(m.base, m.op, 1)];
        row.quality = p.quality;
        if (excludedBases.contains(m.base)) {
            row.kind = Row::Excluded;
            row.note = QStringLiteral("base excluded");
        } else if (p.learned && p.quality >= reference[m.base] - margin[m.base]) {
            row.kind = Row::Equivalent;
            row.note = QStringLiteral("equivalent (base %1, margin %2)")
                           .arg(quality(reference[m.base]), QString::number(margin[m.base], 'f', 3));
        } else {
            row.kind = Row::Scored;
            row.note = p.timedOut ? QStringLiteral("timed out with the probe off")
                : !p.error.isEmpty() ? QStringLiteral("error: ") + p.error
                : p.learned          ? QStringLiteral("learns less (base %1)").arg(quality(reference[m.base]))
                                     : QStringLiteral("does not learn");
            addRun(row);
        }
        rows.append(row);
    }
    for (const auto& base : healthyBases) {
        for (int seed : seeds) {
            Row row;
            row.base = base;
            row.seed = seed;
            row.quality = plain[key(base, QString(), seed)].quality;
            if (excludedBases.contains(base)) {
                row.kind = Row::Excluded;
                row.note = QStringLiteral("base excluded");
            } else {
                row.kind = Row::Healthy;
                addRun(row);
            }
            rows.append(row);
        }
    }

    // Scoring.
    QMap<QString, OperatorCount> perOperator;
    QStringList operatorOrder;
    for (const auto& value : catalogue.value(QStringLiteral("operators")).toArray())
        operatorOrder.append(value.toObject().value(QStringLiteral("name")).toString());
    operatorOrder.append(QString()); // the bases' own healthy runs
    int scored = 0, detected = 0, localised = 0, rightFix = 0, healthyRuns = 0, falseAlarms = 0;
    int buggy = 0, equivalent = 0, excluded = 0;
    for (const Row& row : rows) {
        OperatorCount& count = perOperator[row.op];
        if (row.mutant < 0) { // a base's healthy run
            count.excluded += row.kind == Row::Excluded;
            continue;
        }
        if (mutants[row.mutant].healthy) { // a control: one per base, run with every seed
            if (row.seed == 1) {
                ++count.mutants;
                count.excluded += row.kind == Row::Excluded;
            }
            continue;
        }
        ++buggy;
        ++count.mutants;
        if (row.kind == Row::Equivalent) {
            ++count.equivalent;
            ++equivalent;
        } else if (row.kind == Row::Excluded) {
            ++count.excluded;
            ++excluded;
        }
    }

    auto textFor = [&](Row& row, const Finished* finished) {
        const QString name = row.base + (row.op.isEmpty() ? QString() : QLatin1Char('/') + row.op)
            + (row.kind == Row::Healthy ? QStringLiteral(" (seed %1)").arg(row.seed) : QString());
        if (row.kind == Row::Equivalent || row.kind == Row::Excluded) {
            const QString expected = row.mutant >= 0 && !mutants[row.mutant].healthy
                ? mutants[row.mutant].symptoms.value(0) + QLatin1Char(' ') + mutants[row.mutant].fix
                : QStringLiteral("healthy");
            row.text = QString::asprintf("%-46s %-42s %-46s %3s %3s %3s %8s  %s", qPrintable(name),
                                         qPrintable(expected), "-", "", "", "", qPrintable(quality(row.quality)),
                                         qPrintable(row.note));
            return;
        }
        QJsonObject report;
        if (finished && !finished->timedOut) {
            QFile file(row.report);
            if (file.open(QIODevice::ReadOnly))
                report = QJsonDocument::fromJson(file.readAll()).object();
        }
        const bool ran = !report.isEmpty();
        const QJsonArray found = faults(report);
        const QJsonObject top = found.isEmpty() ? QJsonObject() : found.first().toObject();
        const QString topText = finished && finished->timedOut ? QStringLiteral("(timeout)")
            : ran                                              ? describe(top)
                                                               : QStringLiteral("(no report)");
        OperatorCount& count = perOperator[row.op];
        if (row.kind == Row::Healthy) {
            const bool alarm = !ran || !found.isEmpty();
            ++healthyRuns;
            ++count.healthyRuns;
            falseAlarms += alarm;
            count.falseAlarms += alarm;
            row.text = QString::asprintf("%-46s %-42s %-46s %3s %3s %3s %8s  %s", qPrintable(name), "healthy",
                                         qPrintable(topText), alarm ? "FA" : "ok", "", "",
                                         qPrintable(quality(row.quality)), qPrintable(row.note));
            return;
        }
        const Mutant& m = mutants[row.mutant];
        bool isDetected = false;
        for (const auto& value : found)
            isDetected =
                isDetected || m.symptoms.contains(value.toObject().value(QStringLiteral("symptom")).toString());
        const QString path = layerPath(top);
        const bool isLocalised = !top.isEmpty()
            && (m.layers.contains(QStringLiteral("*"))
                || (m.layers.isEmpty() ? path.isEmpty() : m.layers.contains(path)));
        const bool isRightFix = !top.isEmpty()
            && top.value(QStringLiteral("fix")).toObject().value(QStringLiteral("class")).toString() == m.fix;
        ++scored;
        ++count.scored;
        detected += isDetected;
        localised += isLocalised;
        rightFix += isRightFix;
        count.detected += isDetected;
        count.localised += isLocalised;
        count.fix += isRightFix;
        row.text = QString::asprintf("%-46s %-42s %-46s %3s %3s %3s %8s  %s", qPrintable(name),
                                     qPrintable(m.symptoms.value(0) + QLatin1Char(' ') + m.fix), qPrintable(topText),
                                     isDetected ? "yes" : "no", isLocalised ? "yes" : "no", isRightFix ? "yes" : "no",
                                     qPrintable(quality(row.quality)), qPrintable(row.note));
    };

    std::printf("%-46s %-42s %-46s %3s %3s %3s %8s  %s\n", "run", "expected", "found (top fault)", "det", "loc", "fix",
                "quality", "probe off");
    int printed = 0;
    auto printReady = [&] {
        while (printed < rows.size() && rows[printed].ready)
            std::printf("%s\n", qPrintable(rows[printed++].text));
        std::fflush(stdout);
    };
    QMap<int, int> rowOfCommand;
    for (int i = 0; i < rows.size(); ++i) {
        if (rows[i].command >= 0) {
            rowOfCommand[rows[i].command] = i;
        } else {
            const Finished earlier;
            textFor(rows[i], rows[i].reused ? &earlier : nullptr);
            rows[i].ready = true;
        }
    }
    printReady();
    std::fprintf(stderr, "traindx-bench-mutants: %lld runs under traindx-cli, %d at a time\n",
                 static_cast<long long>(cliCommands.size()), jobs);
    int cliDone = 0;
    runAll(cliCommands, jobs, timeoutSeconds * 1000, 3, [&](int index, const Finished& finished, bool last) {
        Row& row = rows[rowOfCommand[index]];
        if (!last && !finished.timedOut) {
            const bool noReport = !QFileInfo(reportPaths[index]).isFile();
            if (noReport || receivedNothing(reportPaths[index], plain[key(row.base, row.op, row.seed)])) {
                ++repeated;
                std::fprintf(stderr, "[cli] %s %s seed %d: %s; again\n", qPrintable(row.base), qPrintable(row.op),
                             row.seed,
                             noReport ? "traindx-cli wrote no report" : "traindx-cli received nothing from the probe");
                return false;
            }
        }
        textFor(row, &finished);
        row.ready = true;
        std::fprintf(stderr, "[cli %d/%lld] %s %s seed %d (%.1f s)%s\n", ++cliDone,
                     static_cast<long long>(cliCommands.size()), qPrintable(row.base), qPrintable(row.op), row.seed,
                     finished.seconds, finished.timedOut ? " TIMEOUT" : "");
        printReady();
        return true;
    });
    printReady();

    std::printf("\n%-32s %7s %6s %8s %6s %8s %9s %5s %8s %6s\n", "operator", "mutants", "equiv", "excluded", "scored",
                "detected", "localised", "fix", "healthy", "alarms");
    for (const QString& op : operatorOrder) {
        if (!perOperator.contains(op))
            continue;
        const OperatorCount& c = perOperator[op];
        std::printf("%-32s %7d %6d %8d %6d %8d %9d %5d %8d %6d\n",
                    qPrintable(op.isEmpty() ? QStringLiteral("(base, healthy)") : op), c.mutants, c.equivalent,
                    c.excluded, c.scored, c.detected, c.localised, c.fix, c.healthyRuns, c.falseAlarms);
    }
    std::printf("\nmutants %d: %d equivalent, %d excluded, %d scored; %d healthy runs; %d runs with the probe off, "
                "%d under traindx-cli; %d repeated (no result line, no report, or no data from the probe)%s; %.0f s\n",
                buggy, equivalent, excluded, scored, healthyRuns, plainRuns,
                cliRuns, repeated,
                resume ? qPrintable(QStringLiteral("; %1 results taken from %2").arg(reused).arg(keepDir)) : "",
                wall.elapsed() / 1000.0);
    std::printf("detected %d/%d localised %d/%d fix %d/%d false_alarms %d/%d\n", detected, scored, localised, scored,
                rightFix, scored, falseAlarms, healthyRuns);
    if (autoFix)
        runAutoFix(rows, mutants, cliProgram, mutantsProgram, reportDir, jobs, timeoutSeconds);
    return 0;
}
