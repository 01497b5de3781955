// Run files: what is recorded replays to the same diagnosis, survives a killed trainer or
// a killed recorder, refuses a newer schema; and the PDF report made from a run.
#include "run_file.h"
#include "session.h"
#include "session_waiter.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/resource.h>

using namespace traindx;
using test::builtProgram;
using test::describe;
using test::waitForState;

namespace {

bool ended(const RunState& s)
{
    return s.state == TrainerState::Finished || s.state == TrainerState::Crashed || s.state == TrainerState::Failed
        || s.state == TrainerState::Replay;
}

QStringList signature(const QVector<Finding>& findings)
{
    QStringList list;
    for (const auto& f : findings)
        list.append(QStringLiteral("%1 %2 e%3 b%4 %5").arg(f.key(), f.layerPath).arg(f.epoch).arg(f.batch).arg(fixClassName(f.fixClass)));
    return list;
}

RunStatePtr replay(const QString& path)
{
    Session session;
    session.replay(path);
    return waitForState(session, ended, 30000);
}

int epochEndsInFile(const QString& path)
{
    RecordedRun run;
    QString error;
    if (!readRunFile(path, &run, &error))
        return -1;
    const auto state = replay(path);
    return state ? state->epochEnds.size() : -1;
}

QString runCommand(const QString& program, const QStringList& arguments, int* exitCode = nullptr)
{
    QProcess process;
    process.start(program, arguments);
    process.waitForFinished(300000);
    if (exitCode)
        *exitCode = process.exitCode();
    return QString::fromLocal8Bit(process.readAllStandardOutput());
}

} // namespace

class TestRunFile : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void replayGivesTheLiveFindings_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::newRow("softmax over one unit") << "so31880720";
        QTest::newRow("NaN from a high learning rate") << "high_lr_nan";
        QTest::newRow("dead ReLUs") << "dead_relu_negative_bias";
        QTest::newRow("healthy") << "healthy_bn_dropout";
    }

    void replayGivesTheLiveFindings()
    {
        QFETCH(QString, scenario);
        const QString path = m_dir.filePath(scenario + QStringLiteral(".traindx"));
        SessionOptions options;
        options.recordPath = path;
        Session live;
        live.setOptions(options);
        live.launch({builtProgram(QStringLiteral("traindx-zoo")), {scenario}, {}, {}});
        const RunStatePtr recorded = waitForState(live, ended, 120000);
        QVERIFY2(recorded && recorded->state == TrainerState::Finished, qPrintable(describe(*live.state())));
        QCOMPARE(recorded->runFile, path);

        const RunStatePtr replayed = replay(path);
        QVERIFY(replayed);
        QCOMPARE(replayed->state, TrainerState::Replay);
        QCOMPARE(signature(replayed->findings), signature(recorded->findings));
        QCOMPARE(replayed->epochEnds.size(), recorded->epochEnds.size());
        QCOMPARE(replayed->points.size(), recorded->points.size());
        QCOMPARE(replayed->model.layers.size(), recorded->model.layers.size());
        QCOMPARE(replayed->program.program, recorded->program.program);

        // The decoded tables hold every layer's statistics with their histograms.
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), scenario);
        db.setDatabaseName(path);
        QVERIFY(db.open());
        QSqlQuery query(db);
        QVERIFY(query.exec(QStringLiteral("SELECT count(*), sum(length(bins)) FROM layer_stats WHERE tensor = 'weight' AND length(bins) > 0")) && query.next());
        const int weightRows = query.value(0).toInt(), binBytes = query.value(1).toInt();
        QVERIFY(query.exec(QStringLiteral("SELECT (SELECT count(*) FROM snapshots), (SELECT count(*) FROM layer_stats), "
                                          "(SELECT count(*) FROM frames WHERE kind = 'snapshot')")) && query.next());
        QVERIFY2(weightRows > 0, qPrintable(QStringLiteral("%1 snapshots, %2 statistics rows, %3 snapshot frames")
                                                .arg(query.value(0).toInt()).arg(query.value(1).toInt()).arg(query.value(2).toInt())));
        QCOMPARE(binBytes, weightRows * 64 * 4);
        QVERIFY(query.exec(QStringLiteral("SELECT count(*), sum(length(bins)) FROM layer_stats WHERE tensor = 'weight' AND length(bins) > 0")) && query.next());
        QVERIFY(query.exec(QStringLiteral("SELECT count(*) FROM findings")) && query.next());
        QCOMPARE(query.value(0).toInt(), recorded->findings.size());
        QVERIFY(query.exec(QStringLiteral("SELECT count(*) FROM console")) && query.next());
        QVERIFY(query.value(0).toInt() > 0);
        QVERIFY(query.exec(QStringLiteral("SELECT value FROM meta WHERE key = 'final_state'")) && query.next());
        QCOMPARE(query.value(0).toString(), QStringLiteral("finished"));
        query.finish();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(scenario);
    }

    void cliReplayMatchesTheLiveJson()
    {
        const QString record = m_dir.filePath(QStringLiteral("cli.traindx"));
        const QString live = m_dir.filePath(QStringLiteral("live.json")), replayed = m_dir.filePath(QStringLiteral("replay.json"));
        int code = 0;
        runCommand(builtProgram(QStringLiteral("traindx-cli")),
                   {QStringLiteral("run"), QStringLiteral("--record"), record, QStringLiteral("--json"), live, QStringLiteral("--"),
                    builtProgram(QStringLiteral("traindx-zoo")), QStringLiteral("so31880720")},
                   &code);
        QCOMPARE(code, 1);
        runCommand(builtProgram(QStringLiteral("traindx-cli")), {QStringLiteral("replay"), record, QStringLiteral("--json"), replayed}, &code);
        QCOMPARE(code, 1);
        auto load = [](const QString& path) {
            QFile file(path);
            file.open(QIODevice::ReadOnly);
            QJsonObject report = QJsonDocument::fromJson(file.readAll()).object();
            QJsonArray findings;
            for (const auto& f : report.value(QStringLiteral("findings")).toArray()) {
                QJsonObject o = f.toObject();
                o.remove(QStringLiteral("seconds")); // wall time differs by the replay's own startup
                findings.append(o);
            }
            report.insert(QStringLiteral("findings"), findings);
            report.remove(QStringLiteral("trainer"));
            report.remove(QStringLiteral("first_finding_s"));
            // How the stream ended differs (live, replay); how much of it there was may not.
            QJsonObject coverage = report.value(QStringLiteral("coverage")).toObject();
            coverage.remove(QStringLiteral("stream_ended"));
            coverage.remove(QStringLiteral("message"));
            report.insert(QStringLiteral("coverage"), coverage);
            return report;
        };
        QCOMPARE(load(replayed), load(live));
    }

    void killedTrainerLeavesAReadableFile()
    {
        const QString path = m_dir.filePath(QStringLiteral("killed-trainer.traindx"));
        SessionOptions options;
        options.recordPath = path;
        Session session;
        session.setOptions(options);
        session.launch({builtProgram(QStringLiteral("traindx-zoo")), {QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("400")}, {}, {}});
        const RunStatePtr running = waitForState(session, [](const RunState& s) { return s.epochEnds.size() >= 3; });
        QVERIFY(running);
        ::kill(pid_t(running->program.pid), SIGKILL);
        const RunStatePtr crashed = waitForState(session, ended, 10000);
        QVERIFY(crashed);
        QCOMPARE(crashed->state, TrainerState::Crashed);
        QCOMPARE(epochEndsInFile(path), crashed->epochEnds.size());
    }

    void killedRecorderLeavesAReadableFile()
    {
        const QString path = m_dir.filePath(QStringLiteral("killed-recorder.traindx"));
        QProcess cli;
        cli.start(builtProgram(QStringLiteral("traindx-cli")),
                  {QStringLiteral("run"), QStringLiteral("--record"), path, QStringLiteral("--"), builtProgram(QStringLiteral("traindx-zoo")),
                   QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("400")});
        QVERIFY(cli.waitForStarted());
        QByteArray output;
        int printedEpochs = 0;
        while (printedEpochs < 4 && cli.state() == QProcess::Running) {
            cli.waitForReadyRead(100);
            output += cli.readAllStandardOutput();
            printedEpochs = output.count("\nepoch ");
        }
        ::kill(pid_t(cli.processId()), SIGKILL);
        cli.waitForFinished();

        RecordedRun run;
        QString error;
        QVERIFY2(readRunFile(path, &run, &error), qPrintable(error));
        // The orphaned trainer runs on without its client; end it.
        const RunStatePtr state = replay(path);
        QVERIFY(state);
        if (state->program.pid > 0)
            ::kill(pid_t(state->program.pid), SIGKILL);
        // Every epoch the recorder printed had been committed before it.
        QVERIFY2(state->epochEnds.size() >= printedEpochs, qPrintable(QStringLiteral("%1 in the file, %2 printed").arg(state->epochEnds.size()).arg(printedEpochs)));
        QVERIFY(!state->findings.isEmpty());
    }

    void recordingsArePrivate()
    {
        const QString directory = m_dir.filePath(QStringLiteral("private/runs"));
        const QString path = directory + QStringLiteral("/run.traindx");
        RunRecorder recorder;
        QString error;
        QVERIFY2(recorder.open(path, &error), qPrintable(error));
        recorder.setMeta(QStringLiteral("program"), QStringLiteral("train --token secret"));
        const QFile::Permissions others = QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup | QFile::ReadOther
            | QFile::WriteOther | QFile::ExeOther;
        for (const QString& file : {path, path + QStringLiteral("-wal"), directory})
            if (QFileInfo::exists(file))
                QVERIFY2((QFileInfo(file).permissions() & others) == 0, qPrintable(file));
        QVERIFY(QFileInfo::exists(path));
    }

    void newerSchemaIsRefusedNamingBothVersions()
    {
        const QString path = m_dir.filePath(QStringLiteral("future.traindx"));
        {
            RunRecorder recorder;
            QString error;
            QVERIFY(recorder.open(path, &error));
        }
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("future"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery(db).exec(QStringLiteral("PRAGMA user_version = 99"));
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("future"));
        RecordedRun run;
        QString error;
        QVERIFY(!readRunFile(path, &run, &error));
        QVERIFY2(error.contains(QStringLiteral("schema version 99")) && error.contains(QStringLiteral("up to %1").arg(kRunFileSchemaVersion)),
                 qPrintable(error));
        Session session;
        session.replay(path);
        const RunStatePtr state = waitForState(session, [](const RunState& s) { return s.state == TrainerState::Failed; }, 5000);
        QVERIFY(state);
        QVERIFY(state->message.contains(QStringLiteral("schema version 99")));

        QVERIFY(!readRunFile(m_dir.filePath(QStringLiteral("missing.traindx")), &run, &error));
        QVERIFY(error.contains(QStringLiteral("does not exist")));
    }

    void damagedFilesAreReadAsFarAsTheyAreWholeAndNeverHealthy_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::newRow("a page of zeros in the middle") << "zeroed";
        QTest::newRow("cut to 60 %") << "truncated";
    }
    void damagedFilesAreReadAsFarAsTheyAreWholeAndNeverHealthy()
    {
        QFETCH(QString, damage);
        const QString sound = m_dir.filePath(QStringLiteral("sound.traindx"));
        if (!QFileInfo::exists(sound)) {
            int code = -1;
            runCommand(builtProgram(QStringLiteral("traindx-cli")),
                       {QStringLiteral("run"), QStringLiteral("--record"), sound, QStringLiteral("--"),
                        builtProgram(QStringLiteral("traindx-zoo")), QStringLiteral("healthy_bn_dropout")},
                       &code);
            QCOMPARE(code, 0);
        }
        RecordedRun whole;
        QString error;
        QVERIFY2(readRunFile(sound, &whole, &error), qPrintable(error));
        QVERIFY(whole.damage.isEmpty());

        const QString path = m_dir.filePath(damage + QStringLiteral(".traindx"));
        QFile::remove(path);
        QVERIFY(QFile::copy(sound, path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadWrite));
        const qint64 size = file.size();
        QVERIFY(size > 64 * 4096);
        if (damage == QLatin1String("zeroed")) {
            file.seek((size / 2) / 4096 * 4096);
            file.write(QByteArray(4096, '\0'));
        } else {
            file.resize(size * 6 / 10);
        }
        file.close();

        RecordedRun run;
        QVERIFY2(readRunFile(path, &run, &error), qPrintable(error));
        QVERIFY2(run.damage.contains(QStringLiteral("damaged")), qPrintable(run.damage));
        if (damage == QLatin1String("truncated"))
            QVERIFY2(run.damage.contains(QStringLiteral("cut short")), qPrintable(run.damage));
        QVERIFY(!run.meta.isEmpty()); // the first pages hold the run's details
        QVERIFY(run.frames.size() <= whole.frames.size());

        const QString json = m_dir.filePath(damage + QStringLiteral(".json"));
        int code = -1;
        const QString out = runCommand(builtProgram(QStringLiteral("traindx-cli")),
                                       {QStringLiteral("replay"), path, QStringLiteral("--json"), json}, &code);
        QCOMPARE(code, 4);
        QVERIFY2(out.contains(QStringLiteral("not diagnosed: the run file is damaged")), qPrintable(out));
        QFile report(json);
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(report.readAll()).object();
        QCOMPARE(o.value(QStringLiteral("verdict")).toString(), QStringLiteral("not_diagnosed"));
    }

    void aRecordingThatCannotBeWrittenSaysSoAtOnce()
    {
        // A file-size limit stands in for a full disk: SQLite's writes fail past 192 KiB.
        const QString path = m_dir.filePath(QStringLiteral("full.traindx"));
        const QString json = m_dir.filePath(QStringLiteral("full.json"));
        QProcess process;
        process.setChildProcessModifier([] {
            ::signal(SIGXFSZ, SIG_IGN);
            const rlimit limit {192 * 1024, 192 * 1024};
            ::setrlimit(RLIMIT_FSIZE, &limit);
        });
        process.start(builtProgram(QStringLiteral("traindx-cli")),
                      {QStringLiteral("run"), QStringLiteral("--record"), path, QStringLiteral("--json"), json, QStringLiteral("--"),
                       builtProgram(QStringLiteral("traindx-zoo")), QStringLiteral("healthy_bn_dropout")});
        QVERIFY(process.waitForFinished(300000));
        const QString err = QString::fromLocal8Bit(process.readAllStandardError());
        const QString out = QString::fromLocal8Bit(process.readAllStandardOutput());
        QCOMPARE(process.exitCode(), 4);
        QVERIFY2(err.contains(QStringLiteral("recording: the run file")) && err.contains(QStringLiteral("could not be written")),
                 qPrintable(err));
        QVERIFY2(out.contains(QStringLiteral("not diagnosed")), qPrintable(out));
    }

    void reportNamesTheFaultyLayerAndTheFixOnPageOne()
    {
        const QString pdf = m_dir.filePath(QStringLiteral("r.pdf"));
        int code = 0;
        const QString out = runCommand(builtProgram(QStringLiteral("traindx-cli")),
                                       {QStringLiteral("run"), QStringLiteral("--no-record"), QStringLiteral("--report"), pdf,
                                        QStringLiteral("--"), builtProgram(QStringLiteral("traindx-zoo")), QStringLiteral("so31880720")},
                                       &code);
        QCOMPARE(code, 1);
        QVERIFY2(out.contains(QStringLiteral("report written to")), qPrintable(out));
        const QString firstPage = runCommand(QStringLiteral("pdftotext"), {QStringLiteral("-f"), QStringLiteral("1"), QStringLiteral("-l"),
                                                                           QStringLiteral("1"), pdf, QStringLiteral("-")});
        QVERIFY2(firstPage.contains(QStringLiteral("Verdict: Faulty")), qPrintable(firstPage));
        QVERIFY(firstPage.contains(QStringLiteral("layer 7, Softmax(dim=1)")));
        QVERIFY(firstPage.contains(QStringLiteral("Recommended fix: change_activation")));
        QVERIFY(firstPage.simplified().contains(QStringLiteral("use torch::nn::Sigmoid with BCELoss")));
        const QString info = runCommand(QStringLiteral("pdfinfo"), {pdf});
        QVERIFY2(info.contains(QStringLiteral("A4")), qPrintable(info));
        const QString everything = runCommand(QStringLiteral("pdftotext"), {pdf, QStringLiteral("-")});
        for (const char* section : {"Network", "Symptom timeline", "Training curves", "Distributions of", "Per-layer statistics", "Thresholds"})
            QVERIFY2(everything.contains(QString::fromLatin1(section)), section);
        QVERIFY(everything.contains(QStringLiteral("page 1 of")));
        // The pages render.
        const QString prefix = m_dir.filePath(QStringLiteral("page"));
        runCommand(QStringLiteral("pdftoppm"), {QStringLiteral("-r"), QStringLiteral("40"), QStringLiteral("-png"), pdf, prefix}, &code);
        QCOMPARE(code, 0);
        QVERIFY(QFileInfo(prefix + QStringLiteral("-1.png")).size() > 1000);
    }

    // A change made to the live training is on the report's timeline, where it was made.
    void reportTimelineHasTheChangesMade()
    {
        const QString pdf = m_dir.filePath(QStringLiteral("change.pdf"));
        int code = 0;
        runCommand(builtProgram(QStringLiteral("traindx-cli")),
                   {QStringLiteral("run"), QStringLiteral("--no-record"), QStringLiteral("--apply"), QStringLiteral("reinit=0@epoch:1"),
                    QStringLiteral("--report"), pdf, QStringLiteral("--"), builtProgram(QStringLiteral("traindx-zoo")),
                    QStringLiteral("dead_relu_negative_bias")},
                   &code);
        const QString text = runCommand(QStringLiteral("pdftotext"), {pdf, QStringLiteral("-")}).simplified();
        // pdftotext reads a table's columns in its own order: the row's cells are checked apart.
        QVERIFY2(text.contains(QStringLiteral("end of epoch 1 change")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("layer 0 (Linear) re-initialised (kaiming_normal, seed 1)")), qPrintable(text));
    }
};

QTEST_GUILESS_MAIN(TestRunFile)
#include "tst_run_file.moc"
