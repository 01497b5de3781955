// traindx-cli run --ranks N end to end: the example job traindx-ddp as real processes that
// all-reduce over Gloo on loopback, each rank behind its own probe and session, then the
// ranks compared. Every planted bug sits on rank 1; the finding must name it.
#include "rank_launch.h"
#include "session_waiter.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using traindx::LaunchSpec;
using traindx::test::builtProgram;

namespace {

struct Result {
    int exitCode = -1;
    QString out;
    QJsonObject json;
    double seconds = 0;
};

Result job(int ranks, const QString& jsonPath, const QStringList& programArguments, const QStringList& options = {})
{
    Result result;
    QElapsedTimer timer;
    timer.start();
    QProcess process;
    process.start(builtProgram(QStringLiteral("traindx-cli")),
                  QStringList {QStringLiteral("run"), QStringLiteral("--no-record"), QStringLiteral("--ranks"), QString::number(ranks),
                               QStringLiteral("--json"), jsonPath}
                      + options + QStringList {QStringLiteral("--"), builtProgram(QStringLiteral("traindx-ddp"))} + programArguments);
    if (!process.waitForFinished(240000)) {
        process.kill();
        process.waitForFinished();
    }
    result.seconds = timer.elapsed() / 1000.0;
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromLocal8Bit(process.readAllStandardOutput() + process.readAllStandardError());
    QFile file(jsonPath);
    if (file.open(QIODevice::ReadOnly))
        result.json = QJsonDocument::fromJson(file.readAll()).object();
    return result;
}

// The cross-rank findings: those of no rank's own stream (symptoms of the job).
QJsonArray jobFindings(const QJsonObject& json)
{
    static const QStringList job {QStringLiteral("ranks_out_of_sync"), QStringLiteral("first_nonfinite_rank"),
                                  QStringLiteral("straggler_rank"), QStringLiteral("rank_lost")};
    QJsonArray found;
    for (const auto& value : json.value(QStringLiteral("findings")).toArray())
        if (job.contains(value.toObject().value(QStringLiteral("symptom")).toString()))
            found.append(value);
    return found;
}

} // namespace

class TestJob : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void healthyJobsStayHealthy_data()
    {
        QTest::addColumn<int>("ranks");
        QTest::newRow("2 ranks") << 2;
        QTest::newRow("4 ranks") << 4;
    }

    void healthyJobsStayHealthy()
    {
        QFETCH(int, ranks);
        const QString path = m_dir.filePath(QStringLiteral("healthy-%1.json").arg(ranks));
        const Result r = job(ranks, path, {QStringLiteral("--epochs"), QStringLiteral("3")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.out));
        QCOMPARE(r.json.value(QStringLiteral("world_size")).toInt(), ranks);
        QCOMPARE(r.json.value(QStringLiteral("findings")).toArray().size(), 0);
        const QJsonArray each = r.json.value(QStringLiteral("ranks")).toArray();
        QCOMPARE(each.size(), ranks);
        for (const auto& value : each) {
            QCOMPARE(value.toObject().value(QStringLiteral("verdict")).toString(), QStringLiteral("healthy"));
            QCOMPARE(value.toObject().value(QStringLiteral("epochs_run")).toInt(), 3);
        }
        QVERIFY2(r.out.contains(QStringLiteral("across the ranks: nothing")), qPrintable(r.out));
    }

    void plantedBugsNameTheirRank_data()
    {
        QTest::addColumn<int>("ranks");
        QTest::addColumn<QString>("plant");
        QTest::addColumn<QString>("symptom");
        QTest::addColumn<bool>("layer");
        QTest::newRow("2 ranks, one steps on its own gradients") << 2 << "desync" << "ranks_out_of_sync" << true;
        QTest::newRow("4 ranks, one steps on its own gradients") << 4 << "desync" << "ranks_out_of_sync" << true;
        QTest::newRow("2 ranks, one reads a NaN") << 2 << "nan" << "first_nonfinite_rank" << false;
        QTest::newRow("4 ranks, one reads a NaN") << 4 << "nan" << "first_nonfinite_rank" << false;
        QTest::newRow("4 ranks, one sleeps") << 4 << "straggler" << "straggler_rank" << false;
    }

    void plantedBugsNameTheirRank()
    {
        QFETCH(int, ranks);
        QFETCH(QString, plant);
        QFETCH(QString, symptom);
        QFETCH(bool, layer);
        const QString path = m_dir.filePath(QStringLiteral("%1-%2.json").arg(plant).arg(ranks));
        const Result r = job(ranks, path, {QStringLiteral("--epochs"), QStringLiteral("3"), QStringLiteral("--plant"), plant});
        QVERIFY2(r.exitCode == 1, qPrintable(r.out));
        const QJsonArray found = jobFindings(r.json);
        QVERIFY2(!found.isEmpty(), qPrintable(r.out));
        const QJsonObject first = found.first().toObject();
        QVERIFY2(first.value(QStringLiteral("symptom")).toString() == symptom, qPrintable(r.out));
        QCOMPARE(first.value(QStringLiteral("rank")).toInt(-1), 1);
        if (layer)
            QVERIFY2(first.value(QStringLiteral("layer")).isObject(), qPrintable(r.out));
        QVERIFY(!first.value(QStringLiteral("fix")).toObject().value(QStringLiteral("text")).toString().isEmpty());
    }

    // The report of a job: its ranks, what comparing them found, then the named rank's report.
    void theReportHasTheRanks()
    {
        const QString path = m_dir.filePath(QStringLiteral("report.json"));
        const QString pdf = m_dir.filePath(QStringLiteral("job.pdf"));
        const Result r = job(4, path, {QStringLiteral("--epochs"), QStringLiteral("2"), QStringLiteral("--plant"), QStringLiteral("desync")},
                             {QStringLiteral("--report"), pdf});
        QVERIFY2(r.exitCode == 1, qPrintable(r.out));
        QProcess text;
        text.start(QStringLiteral("pdftotext"), {pdf, QStringLiteral("-")});
        QVERIFY(text.waitForFinished(60000));
        const QString all = QString::fromUtf8(text.readAllStandardOutput()).simplified();
        QVERIFY2(all.contains(QStringLiteral("a job of 4 ranks")), qPrintable(all.left(400)));
        QVERIFY2(all.contains(QStringLiteral("Ranks")) && all.contains(QStringLiteral("1 (this report)")), qPrintable(all.left(1200)));
        QVERIFY2(all.contains(QStringLiteral("ranks_out_of_sync on rank 1")), qPrintable(all.left(1200)));
    }

    // Rank 1 killed mid-run: the others fail in their next all-reduce, and the job ends
    // with the lost rank named, well within the collectives' 20 s timeout and the grace period.
    void aKilledRankEndsTheJob()
    {
        const QString path = m_dir.filePath(QStringLiteral("killed.json"));
        const Result r = job(3, path, {QStringLiteral("--epochs"), QStringLiteral("20"), QStringLiteral("--plant"), QStringLiteral("killed")});
        QVERIFY2(r.exitCode == 1, qPrintable(r.out));
        QVERIFY2(r.seconds < 120, qPrintable(QString::number(r.seconds)));
        const QJsonArray found = jobFindings(r.json);
        QVERIFY2(!found.isEmpty(), qPrintable(r.out));
        const QJsonObject lost = found.first().toObject();
        QCOMPARE(lost.value(QStringLiteral("symptom")).toString(), QStringLiteral("rank_lost"));
        QCOMPARE(lost.value(QStringLiteral("rank")).toInt(-1), 1);
        QVERIFY2(lost.value(QStringLiteral("summary")).toString().contains(QStringLiteral("signal 9")), qPrintable(r.out));
        for (const auto& value : r.json.value(QStringLiteral("ranks")).toArray())
            QVERIFY(value.toObject().value(QStringLiteral("trainer")).toString() != QLatin1String("running"));
    }

    // --reduced: rank 0's probe serves the job's statistics combined over every rank; the
    // other ranks serve nobody. The same bugs must be found, naming the same rank.
    void reducedJobsNameTheirRank_data()
    {
        QTest::addColumn<int>("ranks");
        QTest::addColumn<QString>("plant");
        QTest::addColumn<QString>("symptom");
        QTest::addColumn<bool>("layer");
        QTest::newRow("4 ranks, healthy") << 4 << "" << "" << false;
        QTest::newRow("2 ranks, one steps on its own gradients") << 2 << "desync" << "ranks_out_of_sync" << true;
        QTest::newRow("4 ranks, one steps on its own gradients") << 4 << "desync" << "ranks_out_of_sync" << true;
        QTest::newRow("4 ranks, one reads a NaN") << 4 << "nan" << "first_nonfinite_rank" << false;
        QTest::newRow("4 ranks, one sleeps") << 4 << "straggler" << "straggler_rank" << false;
        QTest::newRow("3 ranks, one killed") << 3 << "killed" << "rank_lost" << false;
    }

    void reducedJobsNameTheirRank()
    {
        QFETCH(int, ranks);
        QFETCH(QString, plant);
        QFETCH(QString, symptom);
        QFETCH(bool, layer);
        const QString path = m_dir.filePath(QStringLiteral("reduced-%1-%2.json").arg(plant).arg(ranks));
        QStringList arguments {QStringLiteral("--epochs"), plant == QLatin1String("killed") ? QStringLiteral("20") : QStringLiteral("3")};
        if (!plant.isEmpty())
            arguments << QStringLiteral("--plant") << plant;
        const Result r = job(ranks, path, arguments, {QStringLiteral("--reduced")});
        QVERIFY2(r.out.contains(QStringLiteral("served reduced through rank 0")), qPrintable(r.out));
        const QJsonArray each = r.json.value(QStringLiteral("ranks")).toArray();
        QCOMPARE(each.size(), ranks);
        QCOMPARE(each[1].toObject().value(QStringLiteral("verdict")).toString(),
                 plant == QLatin1String("killed") ? QStringLiteral("crashed") : QStringLiteral("reduced"));
        if (symptom.isEmpty()) {
            QVERIFY2(r.exitCode == 0, qPrintable(r.out));
            QCOMPARE(r.json.value(QStringLiteral("findings")).toArray().size(), 0);
            QCOMPARE(each[0].toObject().value(QStringLiteral("epochs_run")).toInt(), 3);
            return;
        }
        QVERIFY2(r.exitCode == 1, qPrintable(r.out));
        QVERIFY2(r.seconds < 120, qPrintable(QString::number(r.seconds)));
        const QJsonArray found = jobFindings(r.json);
        QVERIFY2(!found.isEmpty(), qPrintable(r.out));
        const QJsonObject first = found.first().toObject();
        QVERIFY2(first.value(QStringLiteral("symptom")).toString() == symptom, qPrintable(r.out));
        QVERIFY2(first.value(QStringLiteral("rank")).toInt(-1) == 1, qPrintable(r.out));
        if (layer)
            QVERIFY2(first.value(QStringLiteral("layer")).isObject(), qPrintable(r.out));
    }

    // Served reduced, the job is one run file: its replay finds what the live run found.
    void aReducedJobIsOneRunFile()
    {
        const QString file = m_dir.filePath(QStringLiteral("reduced.traindx"));
        QProcess run;
        run.start(builtProgram(QStringLiteral("traindx-cli")),
                  {QStringLiteral("run"), QStringLiteral("--ranks"), QStringLiteral("4"), QStringLiteral("--reduced"), QStringLiteral("--record"), file,
                   QStringLiteral("--"), builtProgram(QStringLiteral("traindx-ddp")), QStringLiteral("--epochs"), QStringLiteral("2"),
                   QStringLiteral("--plant"), QStringLiteral("desync")});
        QVERIFY(run.waitForFinished(180000));
        QCOMPARE(run.exitCode(), 1);
        QVERIFY2(QFile::exists(file), qPrintable(QString::fromLocal8Bit(run.readAll())));
        const QString json = m_dir.filePath(QStringLiteral("replayed.json"));
        QProcess replay;
        const QString pdf = m_dir.filePath(QStringLiteral("reduced.pdf"));
        replay.start(builtProgram(QStringLiteral("traindx-cli")),
                     {QStringLiteral("replay"), file, QStringLiteral("--json"), json, QStringLiteral("--report"), pdf});
        QVERIFY(replay.waitForFinished(60000));
        const QString out = QString::fromLocal8Bit(replay.readAllStandardOutput());
        QCOMPARE(replay.exitCode(), 1);
        QVERIFY2(out.contains(QStringLiteral("world size 4, served reduced")), qPrintable(out));
        QFile result(json);
        QVERIFY(result.open(QIODevice::ReadOnly));
        const QJsonArray found = jobFindings(QJsonDocument::fromJson(result.readAll()).object());
        QVERIFY2(!found.isEmpty(), qPrintable(out));
        QCOMPARE(found.first().toObject().value(QStringLiteral("symptom")).toString(), QStringLiteral("ranks_out_of_sync"));
        QCOMPARE(found.first().toObject().value(QStringLiteral("rank")).toInt(-1), 1);
        // The report is the job's, with what sets its ranks apart.
        QProcess text;
        text.start(QStringLiteral("pdftotext"), {pdf, QStringLiteral("-")});
        QVERIFY(text.waitForFinished(60000));
        const QString all = QString::fromUtf8(text.readAllStandardOutput()).simplified();
        QVERIFY2(all.contains(QStringLiteral("a job of 4 ranks, served reduced")), qPrintable(all.left(400)));
        QVERIFY2(all.contains(QStringLiteral("weights farthest apart 1")), qPrintable(all.left(1200)));
        QVERIFY2(all.contains(QStringLiteral("ranks_out_of_sync on rank 1")), qPrintable(all.left(1200)));
    }

    // A job started without TrainDx: its probes publish their addresses in the job's own
    // store, and attach --store finds every rank there (or rank 0 alone, served reduced).
    void attachByTheJobsStore_data()
    {
        QTest::addColumn<bool>("reduced");
        QTest::newRow("per rank") << false;
        QTest::newRow("reduced") << true;
    }

    void attachByTheJobsStore()
    {
        QFETCH(bool, reduced);
        const int ranks = 2;
        const QVector<LaunchSpec> launches = traindx::rankLaunches({builtProgram(QStringLiteral("traindx-ddp")), {QStringLiteral("--epochs"), QStringLiteral("40")}, {}, {}}, ranks);
        std::vector<std::unique_ptr<QProcess>> processes;
        for (const LaunchSpec& launch : launches) {
            processes.push_back(traindx::test::startPlain(launch, reduced ? QStringList {QStringLiteral("TRAINDX_REDUCE=1")} : QStringList {}));
            QVERIFY(processes.back()->waitForStarted());
        }
        const QString path = m_dir.filePath(QStringLiteral("attached-%1.json").arg(reduced));
        QProcess cli;
        cli.start(builtProgram(QStringLiteral("traindx-cli")),
                  {QStringLiteral("attach"), QStringLiteral("--store"), QStringLiteral("127.0.0.1:") + traindx::storePort(launches),
                   QStringLiteral("--no-record"), QStringLiteral("--max-epochs"), QStringLiteral("2"), QStringLiteral("--json"), path});
        const bool ended = cli.waitForFinished(180000);
        const QString out = QString::fromLocal8Bit(cli.readAllStandardOutput() + cli.readAllStandardError());
        for (auto& process : processes)
            if (!process->waitForFinished(60000))
                process->kill();
        QVERIFY2(ended, qPrintable(out));
        QVERIFY2(cli.exitCode() == 0, qPrintable(out));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
        if (reduced) {
            QVERIFY2(out.contains(QStringLiteral("world size 2, served reduced")), qPrintable(out));
        } else {
            QVERIFY2(out.contains(QStringLiteral("attaching to the 2 ranks")), qPrintable(out));
            QCOMPARE(json.value(QStringLiteral("ranks")).toArray().size(), ranks);
        }
        QCOMPARE(json.value(QStringLiteral("verdict")).toString(), QStringLiteral("healthy"));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestJob)
#include "tst_job.moc"
