// Every buggy zoo scenario has a fixed twin: the same program with exactly its bug
// corrected. Each twin runs through the real traindx-cli and must come out healthy; a
// fault on a twin is a false alarm.
#include "session_waiter.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <functional>
#include <memory>

using traindx::test::builtProgram;

namespace {

// One run at a time: on two cores, two at a time took longer in all, and more launches lost
// the probe's handshake (see initTestCase()).
constexpr int kConcurrentRuns = 1;
constexpr int kAttempts = 3;
constexpr int kRunTimeoutMs = 300000;

struct Outcome {
    int exitCode = -1; // -1: traindx-cli crashed or timed out
    QJsonObject report;
    QString output;
    double seconds = 0;
};

QJsonObject manifest()
{
    QFile file(QStringLiteral(TRAINDX_SOURCE_DIR "/examples/zoo/manifest.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

QJsonArray scenarios()
{
    return manifest().value(QStringLiteral("scenarios")).toArray();
}

// The twins the manifest lists, in its order.
QStringList twins()
{
    QStringList names;
    for (const auto& value : scenarios()) {
        const QJsonObject scenario = value.toObject();
        if (scenario.contains(QStringLiteral("twin_of")))
            names.append(scenario.value(QStringLiteral("name")).toString());
    }
    return names;
}

// "symptom@layer fix_class (severity, epoch N)", as traindx-bench-zoo names a finding.
QString describe(const QJsonObject& finding)
{
    const QJsonValue layer = finding.value(QStringLiteral("layer"));
    const QString where =
        layer.isObject() ? layer.toObject().value(QStringLiteral("path")).toString() : QStringLiteral("model");
    return QStringLiteral("%1@%2 %3 (%4, epoch %5)")
        .arg(finding.value(QStringLiteral("symptom")).toString(), where,
             finding.value(QStringLiteral("fix")).toObject().value(QStringLiteral("class")).toString(),
             finding.value(QStringLiteral("severity")).toString())
        .arg(finding.value(QStringLiteral("epoch")).toInt());
}

int epochsRun(const Outcome& outcome)
{
    return outcome.report.value(QStringLiteral("epochs_run")).toInt();
}

// Runs `traindx-cli run --no-record --json FILE -- traindx-zoo NAME --seed 1` for every
// name, at most kConcurrentRuns at a time, and returns what each run left.
QHash<QString, Outcome> runAll(const QStringList& names, const QTemporaryDir& dir)
{
    QHash<QString, Outcome> outcomes;
    QEventLoop loop;
    int next = 0, running = 0;
    std::function<void()> startNext = [&] {
        while (running < kConcurrentRuns && next < names.size()) {
            const QString name = names[next++];
            const QString json = dir.filePath(name + QStringLiteral(".json"));
            QFile::remove(json); // left by an earlier attempt
            auto* process = new QProcess(&loop);
            process->setProcessChannelMode(QProcess::MergedChannels);
            auto timer = std::make_shared<QElapsedTimer>();
            auto* timeout = new QTimer(process);
            timeout->setSingleShot(true);
            QObject::connect(timeout, &QTimer::timeout, process, &QProcess::kill);
            auto finish = [&, name, json, process, timer] {
                Outcome& outcome = outcomes[name];
                outcome.seconds = timer->elapsed() / 1000.0;
                outcome.exitCode = process->exitStatus() == QProcess::NormalExit ? process->exitCode() : -1;
                outcome.output = QString::fromLocal8Bit(process->readAll());
                QFile file(json);
                if (file.open(QIODevice::ReadOnly))
                    outcome.report = QJsonDocument::fromJson(file.readAll()).object();
                process->deleteLater();
                --running;
                startNext();
                if (running == 0 && next == names.size())
                    loop.quit();
            };
            QObject::connect(process, &QProcess::finished, &loop, finish);
            QObject::connect(process, &QProcess::errorOccurred, &loop, [process, finish](QProcess::ProcessError error) {
                if (error == QProcess::FailedToStart)
                    finish();
            });
            ++running;
            timer->start();
            timeout->start(kRunTimeoutMs);
            process->start(builtProgram(QStringLiteral("traindx-cli")),
                           {QStringLiteral("run"), QStringLiteral("--no-record"), QStringLiteral("--json"), json,
                            QStringLiteral("--"), builtProgram(QStringLiteral("traindx-zoo")), name,
                            QStringLiteral("--seed"), QStringLiteral("1")});
        }
    };
    startNext();
    if (running > 0)
        loop.exec();
    return outcomes;
}

} // namespace

class TestTwins : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QHash<QString, Outcome> m_outcomes;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QStringList names = twins();
        QVERIFY2(!names.isEmpty(), "the manifest lists no twin");
        QElapsedTimer timer;
        timer.start();
        m_outcomes = runAll(names, m_dir);
        // A run that received no epoch says nothing about the diagnosis (now and then the
        // launch loses the probe's handshake, and traindx-cli reports 0 epochs): run it again,
        // and say so.
        for (int attempt = 1; attempt < kAttempts; ++attempt) {
            QStringList empty;
            for (const QString& name : names)
                if (epochsRun(m_outcomes[name]) == 0)
                    empty.append(name);
            if (empty.isEmpty())
                break;
            qWarning("no epoch reached traindx-cli for %s; running again",
                     qPrintable(empty.join(QStringLiteral(", "))));
            const QHash<QString, Outcome> again = runAll(empty, m_dir);
            for (auto it = again.begin(); it != again.end(); ++it)
                m_outcomes[it.key()] = it.value();
        }
        for (const QString& name : names)
            qInfo("%s: exit %d in %.1f s", qPrintable(name), m_outcomes[name].exitCode, m_outcomes[name].seconds);
        qInfo("%lld twins in %.1f s", qlonglong(names.size()), timer.elapsed() / 1000.0);
    }

    // The manifest pairs every buggy scenario with its twin, and the zoo knows each twin.
    void everyBuggyScenarioHasATwin()
    {
        QProcess list;
        list.start(builtProgram(QStringLiteral("traindx-zoo")), {QStringLiteral("--list")});
        QVERIFY(list.waitForFinished(60000));
        const QString listed = QString::fromLocal8Bit(list.readAllStandardOutput());

        QHash<QString, QJsonObject> byName;
        for (const auto& value : scenarios())
            byName.insert(value.toObject().value(QStringLiteral("name")).toString(), value.toObject());
        int buggy = 0;
        for (const auto& scenario : std::as_const(byName)) {
            if (scenario.value(QStringLiteral("healthy")).toBool())
                continue;
            ++buggy;
            const QString name = scenario.value(QStringLiteral("name")).toString();
            const QString twin = name + QStringLiteral("_fixed");
            QVERIFY2(byName.contains(twin), qPrintable(name + QStringLiteral(" has no twin in the manifest")));
            QVERIFY2(byName[twin].value(QStringLiteral("healthy")).toBool(), qPrintable(twin));
            QCOMPARE(byName[twin].value(QStringLiteral("twin_of")).toString(), name);
            const QString line = QStringLiteral("  %1  fixed twin of %2:").arg(twin, name);
            QVERIFY2(listed.contains(line), qPrintable(twin + QStringLiteral(" is not in traindx-zoo --list")));
        }
        QVERIFY(buggy > 0);
        QCOMPARE(twins().size(), buggy);
    }

    void twinIsHealthy_data()
    {
        QTest::addColumn<QString>("twin");
        for (const QString& name : twins())
            QTest::newRow(qPrintable(name)) << name;
    }

    void twinIsHealthy()
    {
        QFETCH(QString, twin);
        QVERIFY2(m_outcomes.contains(twin), "not run");
        const Outcome& outcome = m_outcomes[twin];
        QStringList findings;
        int faults = 0;
        for (const auto& value : outcome.report.value(QStringLiteral("findings")).toArray()) {
            const QJsonObject finding = value.toObject();
            findings.append(describe(finding));
            faults += finding.value(QStringLiteral("severity")).toString() == QLatin1String("fault");
            // The whole sentence here: a failure message is cut at about a thousand characters.
            qInfo("%s: %s: %s", qPrintable(twin), qPrintable(findings.last()),
                  qPrintable(finding.value(QStringLiteral("summary")).toString()));
        }
        const QString what = findings.isEmpty()
            ? QStringLiteral("no findings; traindx-cli said:\n") + outcome.output.right(2000)
            : QStringLiteral("findings:\n  ") + findings.join(QStringLiteral("\n  "));
        QVERIFY2(!outcome.report.isEmpty(), qPrintable(QStringLiteral("no JSON report; ") + what));
        QVERIFY2(epochsRun(outcome) > 0, qPrintable(QStringLiteral("no epoch reached traindx-cli; ") + what));
        QVERIFY2(faults == 0, qPrintable(QStringLiteral("%1 fault(s) on %2, ").arg(faults).arg(twin) + what));
        const QString verdict = outcome.report.value(QStringLiteral("verdict")).toString();
        QVERIFY2(verdict == QLatin1String("healthy"), qPrintable(QStringLiteral("verdict %1, ").arg(verdict) + what));
        QVERIFY2(outcome.exitCode == 0, qPrintable(QStringLiteral("exit code %1, ").arg(outcome.exitCode) + what));
    }
};

QTEST_GUILESS_MAIN(TestTwins)
#include "tst_twins.moc"
