// traindx-bench-zoo [--manifest FILE] [--only NAME]
// Runs every zoo scenario through traindx-cli and scores the diagnosis against the
// manifest's ground truth: detected (an expected symptom among the faults), localised
// (the top finding is at one of the faulty layers), right fix (the top finding's fix
// class). Healthy scenarios run once per seed; any fault there is a false alarm.
// Last line: detected A/N localised B/N fix C/N false_alarms D/H
#include "session_waiter.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <cstdio>

namespace {

struct Outcome {
    bool ran = false;
    QJsonObject report;
    double wallSeconds = 0;
};

Outcome diagnose(const QString& scenario, int seed, const QString& jsonPath, const QStringList& options = {})
{
    Outcome outcome;
    QProcess cli;
    QElapsedTimer timer;
    timer.start();
    cli.start(traindx::test::builtProgram(QStringLiteral("traindx-cli")),
              QStringList {QStringLiteral("run"), QStringLiteral("--json"), jsonPath} + options
                  + QStringList {QStringLiteral("--"), traindx::test::builtProgram(QStringLiteral("traindx-zoo")), scenario,
                                 QStringLiteral("--seed"), QString::number(seed)});
    if (!cli.waitForFinished(600000)) {
        cli.kill();
        cli.waitForFinished();
        return outcome;
    }
    outcome.wallSeconds = timer.elapsed() / 1000.0;
    QFile file(jsonPath);
    if (!file.open(QIODevice::ReadOnly))
        return outcome;
    outcome.report = QJsonDocument::fromJson(file.readAll()).object();
    outcome.ran = !outcome.report.isEmpty();
    return outcome;
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

QStringList strings(const QJsonValue& value)
{
    QStringList list;
    for (const auto& item : value.toArray())
        list.append(item.toString());
    return list;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QString manifestPath = QStringLiteral(TRAINDX_ZOO_MANIFEST);
    QString only;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--manifest"))
            manifestPath = args[i + 1];
        if (args[i] == QLatin1String("--only"))
            only = args[i + 1];
    }
    QFile manifestFile(manifestPath);
    if (!manifestFile.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "traindx-bench-zoo: cannot read %s\n", qPrintable(manifestPath));
        return 2;
    }
    const QJsonObject manifest = QJsonDocument::fromJson(manifestFile.readAll()).object();
    QList<int> seeds;
    for (const auto& seed : manifest.value(QStringLiteral("healthy_seeds")).toArray())
        seeds.append(seed.toInt());
    QTemporaryDir dir;

    int buggy = 0, detected = 0, localised = 0, rightFix = 0, healthyRuns = 0, falseAlarms = 0;
    std::printf("%-32s %-40s %-44s %3s %3s %3s %6s %7s\n", "scenario", "expected", "found (top fault)", "det", "loc",
                "fix", "epoch", "first_s");
    for (const auto& entry : manifest.value(QStringLiteral("scenarios")).toArray()) {
        const QJsonObject scenario = entry.toObject();
        const QString name = scenario.value(QStringLiteral("name")).toString();
        if (!only.isEmpty() && name != only)
            continue;
        const bool healthy = scenario.value(QStringLiteral("healthy")).toBool();
        const QList<int> runSeeds = healthy ? seeds : QList<int> {1};
        for (int seed : runSeeds) {
            const Outcome outcome = diagnose(name, seed, dir.filePath(name + QString::number(seed) + QStringLiteral(".json")));
            const QJsonArray found = faults(outcome.report);
            const QJsonObject top = found.isEmpty() ? QJsonObject() : found.first().toObject();
            const QString topText = top.isEmpty() ? QStringLiteral("-")
                                                  : top.value(QStringLiteral("symptom")).toString() + QLatin1Char('@')
                    + (layerPath(top).isEmpty() ? QStringLiteral("model") : layerPath(top)) + QLatin1Char(' ')
                    + top.value(QStringLiteral("fix")).toObject().value(QStringLiteral("class")).toString();
            double firstSeconds = -1;
            int firstEpoch = 0;
            for (const auto& value : found) {
                const QJsonObject f = value.toObject();
                const double s = f.value(QStringLiteral("seconds")).toDouble(-1);
                if (s >= 0 && (firstSeconds < 0 || s < firstSeconds)) {
                    firstSeconds = s;
                    firstEpoch = f.value(QStringLiteral("epoch")).toInt();
                }
            }
            const QString label = healthy ? QStringLiteral("%1 (seed %2)").arg(name).arg(seed) : name;
            if (healthy) {
                ++healthyRuns;
                const bool alarm = !outcome.ran || !found.isEmpty();
                falseAlarms += alarm;
                std::printf("%-32s %-40s %-44s %3s %3s %3s %6s %7s\n", qPrintable(label), "healthy",
                            qPrintable(outcome.ran ? topText : QStringLiteral("(no report)")), alarm ? "FA" : "ok", "", "",
                            alarm && firstEpoch ? qPrintable(QString::number(firstEpoch)) : "",
                            firstSeconds >= 0 ? qPrintable(QString::number(firstSeconds, 'f', 2)) : "");
                continue;
            }
            ++buggy;
            const QStringList symptoms = strings(scenario.value(QStringLiteral("symptoms")));
            const QStringList layers = strings(scenario.value(QStringLiteral("layers")));
            const QString fix = scenario.value(QStringLiteral("fix")).toString();
            bool isDetected = false;
            for (const auto& value : found)
                isDetected = isDetected || symptoms.contains(value.toObject().value(QStringLiteral("symptom")).toString());
            const bool isLocalised = !top.isEmpty()
                && (layers.isEmpty() ? layerPath(top).isEmpty() : layers.contains(layerPath(top)));
            const bool isRightFix = !top.isEmpty() && top.value(QStringLiteral("fix")).toObject().value(QStringLiteral("class")).toString() == fix;
            detected += isDetected;
            localised += isLocalised;
            rightFix += isRightFix;
            std::printf("%-32s %-40s %-44s %3s %3s %3s %6s %7s\n", qPrintable(label),
                        qPrintable(symptoms.value(0) + QLatin1Char(' ') + fix), qPrintable(topText),
                        isDetected ? "yes" : "no", isLocalised ? "yes" : "no", isRightFix ? "yes" : "no",
                        firstSeconds >= 0 ? qPrintable(QString::number(firstEpoch)) : "-",
                        firstSeconds >= 0 ? qPrintable(QString::number(firstSeconds, 'f', 2)) : "-");
            std::fflush(stdout);
        }
    }
    std::printf("detected %d/%d localised %d/%d fix %d/%d false_alarms %d/%d\n", detected, buggy, localised, buggy,
                rightFix, buggy, falseAlarms, healthyRuns);

    // The buggy programs whose fix can be made live: does --auto-fix cure them?
    int live = 0, cured = 0;
    std::printf("\n%-32s %-60s %7s %7s %s\n", "auto-fix", "change", "cleared", "present", "faults left");
    for (const auto& entry : manifest.value(QStringLiteral("scenarios")).toArray()) {
        const QJsonObject scenario = entry.toObject();
        const QString name = scenario.value(QStringLiteral("name")).toString();
        const QString fix = scenario.value(QStringLiteral("fix")).toString();
        const bool liveFix = fix == QLatin1String("change_learning_rate") || fix == QLatin1String("change_initialization")
            || scenario.value(QStringLiteral("symptoms")).toArray().contains(QStringLiteral("not_in_optimizer"));
        if (scenario.value(QStringLiteral("healthy")).toBool() || (!only.isEmpty() && name != only) || !liveFix)
            continue;
        ++live;
        const Outcome outcome = diagnose(name, 1, dir.filePath(name + QStringLiteral("-auto-fix.json")), {QStringLiteral("--auto-fix")});
        const QJsonObject autoFix = outcome.report.value(QStringLiteral("auto_fix")).toObject();
        const int after = autoFix.value(QStringLiteral("faults_after_change")).toInt(-1);
        cured += after == 0;
        std::printf("%-32s %-60s %7d %7d %d\n", qPrintable(name), qPrintable(autoFix.value(QStringLiteral("change")).toString().left(60)),
                    autoFix.value(QStringLiteral("cleared")).toInt(), autoFix.value(QStringLiteral("still_present")).toInt(), after);
        std::fflush(stdout);
    }
    std::printf("auto_fix cured %d/%d\n", cured, live);
    return 0;
}
