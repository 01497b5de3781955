// traindx-cli end to end: real trainers from the zoo, the real command line, its JSON
// and its exit codes.
#include "session_waiter.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using traindx::test::builtProgram;

namespace {

struct Result {
    int exitCode = -1;
    QString out;
    QString err;
    QJsonObject json;
};

Result cli(const QStringList& arguments, const QString& jsonPath = QString())
{
    Result result;
    QProcess process;
    process.start(builtProgram(QStringLiteral("traindx-cli")), arguments);
    if (!process.waitForFinished(300000)) {
        process.kill();
        process.waitForFinished();
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromLocal8Bit(process.readAllStandardOutput());
    result.err = QString::fromLocal8Bit(process.readAllStandardError());
    QFile file(jsonPath);
    if (!jsonPath.isEmpty() && file.open(QIODevice::ReadOnly))
        result.json = QJsonDocument::fromJson(file.readAll()).object();
    return result;
}

QStringList zoo(const QString& json, const QStringList& scenario, const QStringList& options = {})
{
    return QStringList {QStringLiteral("run"), QStringLiteral("--json"), json} + options
        + QStringList {QStringLiteral("--"), builtProgram(QStringLiteral("traindx-zoo"))} + scenario;
}

// The process whose command line holds `marker` as one argument, or -1.
qint64 findProcess(const QString& marker)
{
    for (const QString& entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        bool number = false;
        const qint64 pid = entry.toLongLong(&number);
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(entry));
        if (!number || !cmdline.open(QIODevice::ReadOnly))
            continue;
        const QList<QByteArray> arguments = cmdline.readAll().split('\0');
        if (arguments.contains(marker.toUtf8()) && arguments.first().endsWith("traindx-zoo"))
            return pid;
    }
    return -1;
}

// Alive and not a zombie.
bool running(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = stat.readAll();
    const int close = text.lastIndexOf(')');
    return close > 0 && close + 2 < text.size() && text.at(close + 2) != 'Z';
}

QJsonObject firstFinding(const QJsonObject& report)
{
    return report.value(QStringLiteral("findings")).toArray().first().toObject();
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString json(const QString& name) { return m_dir.filePath(name + QStringLiteral(".json")); }

private Q_SLOTS:
    void attackerMadeDiscoveryDirectoryIsRefused_data()
    {
        QTest::addColumn<bool>("symlink");
        QTest::newRow("a symbolic link to one of the user's directories") << true;
        QTest::newRow("a file where the directory should be") << false;
    }
    void attackerMadeDiscoveryDirectoryIsRefused()
    {
        QFETCH(bool, symlink);
        QTemporaryDir runtime;
        QVERIFY(runtime.isValid());
        // The user's own directory, open to the group, with a file in it: nothing may change.
        const QString victim = runtime.filePath(QStringLiteral("victim"));
        QVERIFY(QDir().mkdir(victim));
        QVERIFY(QFile::setPermissions(victim, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup
                                                  | QFile::ExeGroup));
        QFile kept(victim + QStringLiteral("/1.sock"));
        QVERIFY(kept.open(QIODevice::WriteOnly));
        kept.close();
        const QString planted = runtime.filePath(QStringLiteral("traindx"));
        if (symlink)
            QVERIFY(QFile::link(victim, planted));
        else {
            QFile file(planted);
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime.path());
        process.setProcessEnvironment(environment);
        process.start(builtProgram(QStringLiteral("traindx-cli")),
                      {QStringLiteral("run"), QStringLiteral("--no-record"), QStringLiteral("--"),
                       builtProgram(QStringLiteral("traindx-zoo")), QStringLiteral("so31880720")});
        QVERIFY(process.waitForFinished(60000));
        const QString err = QString::fromLocal8Bit(process.readAllStandardError());
        QCOMPARE(process.exitCode(), 2);
        QVERIFY2(err.contains(QStringLiteral("refused")) && err.contains(QStringLiteral("not a directory")),
                 qPrintable(err));
        QVERIFY(QFile::exists(victim + QStringLiteral("/1.sock")));
        QCOMPARE(QFileInfo(victim).permissions() & QFile::ReadGroup, QFile::ReadGroup);
    }

    void trainerOutlivesAKilledCli()
    {
        // A trainer that prints at every epoch, for long; the CLI that launched it is killed.
        const QString marker = QStringLiteral("918273");
        QProcess cliProcess;
        cliProcess.start(builtProgram(QStringLiteral("traindx-cli")),
                         {QStringLiteral("run"), QStringLiteral("--no-record"), QStringLiteral("--"),
                          builtProgram(QStringLiteral("traindx-zoo")), QStringLiteral("healthy_regression"),
                          QStringLiteral("--epochs"), QStringLiteral("100000"), QStringLiteral("--seed"), marker});
        QVERIFY(cliProcess.waitForStarted());
        QByteArray output;
        QTRY_VERIFY_WITH_TIMEOUT((output += cliProcess.readAllStandardOutput()).contains("epoch 2"), 60000);
        const qint64 trainer = findProcess(marker);
        QVERIFY2(trainer > 0, "no trainer process found");
        ::kill(pid_t(cliProcess.processId()), SIGKILL);
        QVERIFY(cliProcess.waitForFinished());
        // It used to die of SIGPIPE at its next line of output, 40-200 ms later.
        QTest::qWait(2000);
        const bool alive = running(trainer);
        ::kill(pid_t(trainer), SIGKILL);
        QVERIFY2(alive, "the trainer died with the CLI that launched it");
    }

    void motivatingExampleIsDiagnosedInTheFirstEpoch()
    {
        const Result r = cli(zoo(json(QStringLiteral("so")), {QStringLiteral("so31880720")}), json(QStringLiteral("so")));
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.json.value(QStringLiteral("verdict")).toString(), QStringLiteral("faulty"));
        const QJsonObject first = firstFinding(r.json);
        const QString symptom = first.value(QStringLiteral("symptom")).toString();
        QVERIFY2(symptom == QLatin1String("out_of_range") || symptom == QLatin1String("zero_signal"), qPrintable(symptom));
        const QJsonObject layer = first.value(QStringLiteral("layer")).toObject();
        QCOMPARE(layer.value(QStringLiteral("path")).toString(), QStringLiteral("7"));
        QCOMPARE(layer.value(QStringLiteral("type")).toString(), QStringLiteral("Softmax"));
        QCOMPARE(layer.value(QStringLiteral("index")).toInt(), 7);
        QCOMPARE(first.value(QStringLiteral("epoch")).toInt(), 1);
        QCOMPARE(first.value(QStringLiteral("fix")).toObject().value(QStringLiteral("class")).toString(),
                 QStringLiteral("change_activation"));
        QVERIFY(first.value(QStringLiteral("fix")).toObject().value(QStringLiteral("text")).toString().contains(
            QStringLiteral("Sigmoid")));
        QVERIFY(r.json.value(QStringLiteral("first_finding_s")).toDouble() > 0);
        QCOMPARE(r.json.value(QStringLiteral("epochs_run")).toInt(), 20);
        // One readable line per finding as it arrives, and a summary.
        // Seen in the weights and outputs before training, said so.
        QVERIFY2(r.out.contains(QStringLiteral("out_of_range at layer 7 Softmax, before the first step")), qPrintable(r.out));
        QVERIFY(r.out.contains(QStringLiteral("faulty: ")));
        // The JSON says "when" as the terminal does; an epoch-end finding is at the end of its epoch.
        QVERIFY(r.out.contains(first.value(QStringLiteral("when")).toString()));
        for (const QJsonValue& value : r.json.value(QStringLiteral("findings")).toArray()) {
            const QJsonObject finding = value.toObject();
            if (finding.value(QStringLiteral("at_epoch_end")).toBool())
                QCOMPARE(finding.value(QStringLiteral("when")).toString(),
                         QStringLiteral("end of epoch %1").arg(finding.value(QStringLiteral("epoch")).toInt()));
        }
    }

    void healthyFashionMnistExitsZero()
    {
        const QString path = json(QStringLiteral("fmnist"));
        const Result r = cli({QStringLiteral("run"), QStringLiteral("--json"), path, QStringLiteral("--"),
                              builtProgram(QStringLiteral("traindx-fashion-mnist")), QStringLiteral("--epochs"),
                              QStringLiteral("2"), QStringLiteral("--train-limit"), QStringLiteral("20000")},
                             path);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.json.value(QStringLiteral("verdict")).toString(), QStringLiteral("healthy"));
        QVERIFY(r.json.value(QStringLiteral("findings")).toArray().isEmpty());
        QVERIFY(r.json.value(QStringLiteral("first_finding_s")).isNull());
        QVERIFY(r.out.contains(QStringLiteral("healthy: no symptom in 2 epochs")));
    }

    void zooScenariosAreDiagnosed_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<QString>("symptom");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("fix");
        // Judged from the first step, before the loss overflows at step 3: the model as a whole.
        QTest::newRow("high learning rate") << "high_lr_nan" << "invalid_learning_rate" << "" << "change_learning_rate";
        // The biases of layer 0 start at -3: that cause ranks before the dead ReLU it produces.
        QTest::newRow("dead ReLU") << "dead_relu_negative_bias" << "poor_initialization" << "0" << "change_initialization";
        QTest::newRow("vanishing") << "deep_relu_vanishing" << "vanishing_gradient" << "0" << "change_layer_count";
        QTest::newRow("BCE on counts") << "bce_on_counts" << "out_of_range" << "5" << "change_loss";
    }

    void zooScenariosAreDiagnosed()
    {
        QFETCH(QString, scenario);
        QFETCH(QString, symptom);
        QFETCH(QString, path);
        QFETCH(QString, fix);
        const Result r = cli(zoo(json(scenario), {scenario}), json(scenario));
        QCOMPARE(r.exitCode, 1);
        const QJsonObject first = firstFinding(r.json);
        QCOMPARE(first.value(QStringLiteral("symptom")).toString(), symptom);
        QCOMPARE(first.value(QStringLiteral("layer")).toObject().value(QStringLiteral("path")).toString(), path);
        QCOMPARE(first.value(QStringLiteral("fix")).toObject().value(QStringLiteral("class")).toString(), fix);
        QVERIFY(!first.value(QStringLiteral("evidence")).toObject().isEmpty());
    }

    void healthyZooScenarioExitsZero()
    {
        const Result r = cli(zoo(json(QStringLiteral("h")), {QStringLiteral("healthy_bn_dropout")}), json(QStringLiteral("h")));
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.json.value(QStringLiteral("verdict")).toString(), QStringLiteral("healthy"));
    }

    void maxEpochsAndStopOnSymptomEndTheRunEarly()
    {
        const Result limited = cli(zoo(json(QStringLiteral("max")), {QStringLiteral("healthy_bn_dropout"), QStringLiteral("--epochs"), QStringLiteral("100")},
                                       {QStringLiteral("--max-epochs"), QStringLiteral("2")}),
                                   json(QStringLiteral("max")));
        QCOMPARE(limited.exitCode, 0);
        QVERIFY(limited.json.value(QStringLiteral("epochs_run")).toInt() >= 2);
        QVERIFY(limited.json.value(QStringLiteral("epochs_run")).toInt() <= 3);

        const Result stopped = cli(zoo(json(QStringLiteral("stop")), {QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("500")},
                                       {QStringLiteral("--stop-on-symptom")}),
                                   json(QStringLiteral("stop")));
        QCOMPARE(stopped.exitCode, 1);
        QVERIFY(stopped.json.value(QStringLiteral("epochs_run")).toInt() < 50);
    }

    void watchingNothingIsNeverHealthy_data()
    {
        QTest::addColumn<QStringList>("program");
        QTest::newRow("probe switched off") << QStringList {QStringLiteral("/usr/bin/env"), QStringLiteral("TRAINDX=off"),
                                                            traindx::test::builtProgram(QStringLiteral("traindx-zoo")),
                                                            QStringLiteral("so31880720"), QStringLiteral("--epochs"),
                                                            QStringLiteral("2")};
        QTest::newRow("no probe at all") << QStringList {QStringLiteral("/bin/true")};
    }
    void watchingNothingIsNeverHealthy()
    {
        QFETCH(QStringList, program);
        const QString path = json(QStringLiteral("nothing"));
        QProcess process;
        process.start(traindx::test::builtProgram(QStringLiteral("traindx-cli")),
                      QStringList {QStringLiteral("run"), QStringLiteral("--no-record"), QStringLiteral("--json"), path,
                                   QStringLiteral("--")}
                          + program);
        QVERIFY(process.waitForFinished(120000));
        const QString out = QString::fromLocal8Bit(process.readAllStandardOutput());
        QCOMPARE(process.exitCode(), 4);
        QVERIFY2(out.contains(QStringLiteral("not diagnosed: no TrainDx probe answered")), qPrintable(out));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(file.readAll()).object();
        QCOMPARE(report.value(QStringLiteral("verdict")).toString(), QStringLiteral("not_diagnosed"));
        QVERIFY(!report.value(QStringLiteral("reason")).toString().isEmpty());
    }

    void crashedTrainerExitsThree()
    {
        const Result r = cli(zoo(json(QStringLiteral("crash")), {QStringLiteral("healthy_bn_dropout"), QStringLiteral("--abort-after-epochs"), QStringLiteral("2")}),
                             json(QStringLiteral("crash")));
        QCOMPARE(r.exitCode, 3);
        QCOMPARE(r.json.value(QStringLiteral("trainer")).toString(), QStringLiteral("crashed"));
        QVERIFY2(r.json.value(QStringLiteral("crash")).toString().contains(QStringLiteral("SIGABRT")), qPrintable(r.out));
        // The trainer aborts right after its second end_epoch(): that epoch's snapshot may still
        // have been in the probe's queue, never the first one.
        const int epochs = r.json.value(QStringLiteral("epochs_run")).toInt();
        QVERIFY2(epochs == 1 || epochs == 2, qPrintable(QString::number(epochs)));
        // A crash with no fault seen is not a healthy run, whatever was seen before it.
        QCOMPARE(r.json.value(QStringLiteral("verdict")).toString(), QStringLiteral("crashed"));
        const QJsonObject coverage = r.json.value(QStringLiteral("coverage")).toObject();
        QCOMPARE(coverage.value(QStringLiteral("stream_ended")).toString(), QStringLiteral("crashed"));
        QCOMPARE(coverage.value(QStringLiteral("epochs_seen")).toInt(), epochs);
        QVERIFY(coverage.value(QStringLiteral("steps_seen")).toInt() > 0);
    }

    void interruptingTheCliStillReports_data()
    {
        QTest::addColumn<bool>("attach");
        QTest::addColumn<int>("signal");
        QTest::newRow("Ctrl-C on attach: detaches, the trainer goes on") << true << int(SIGINT);
        QTest::newRow("SIGTERM on run: stops the trainer it launched") << false << int(SIGTERM);
    }
    void interruptingTheCliStillReports()
    {
        QFETCH(bool, attach);
        QFETCH(int, signal);
        const QString marker = QStringLiteral("%1").arg(700000 + signal + (attach ? 1 : 0) * 1000);
        const QStringList trainerCommand {builtProgram(QStringLiteral("traindx-zoo")), QStringLiteral("healthy_regression"),
                                          QStringLiteral("--epochs"), QStringLiteral("100000"), QStringLiteral("--seed"), marker};
        QProcess trainer;
        if (attach) {
            trainer.start(trainerCommand.first(), trainerCommand.mid(1));
            QVERIFY(trainer.waitForStarted());
            QByteArray trainerOutput;
            QTRY_VERIFY_WITH_TIMEOUT((trainerOutput += trainer.readAllStandardOutput()).contains("epoch 1/"), 60000);
        }
        const QString path = json(QStringLiteral("interrupted"));
        QFile::remove(path);
        QProcess cliProcess;
        cliProcess.start(builtProgram(QStringLiteral("traindx-cli")),
                         attach ? QStringList {QStringLiteral("attach"), QString::number(trainer.processId()), QStringLiteral("--json"), path}
                                : QStringList {QStringLiteral("run"), QStringLiteral("--no-record"), QStringLiteral("--json"), path,
                                               QStringLiteral("--")} + trainerCommand);
        QVERIFY(cliProcess.waitForStarted());
        QByteArray output;
        QTRY_VERIFY_WITH_TIMEOUT((output += cliProcess.readAllStandardOutput()).contains("epoch 2"), 60000);
        const qint64 trainerPid = attach ? trainer.processId() : findProcess(marker);
        QVERIFY(trainerPid > 0);
        ::kill(pid_t(cliProcess.processId()), signal);
        QVERIFY(cliProcess.waitForFinished(30000));
        QCOMPARE(cliProcess.exitStatus(), QProcess::NormalExit);
        output += cliProcess.readAllStandardOutput();
        QFile file(path);
        QVERIFY2(file.open(QIODevice::ReadOnly), output.constData());
        const QJsonObject report = QJsonDocument::fromJson(file.readAll()).object();
        QCOMPARE(report.value(QStringLiteral("interrupted_by")).toString(),
                 signal == SIGINT ? QStringLiteral("SIGINT") : QStringLiteral("SIGTERM"));
        QVERIFY(report.value(QStringLiteral("coverage")).toObject().value(QStringLiteral("epochs_seen")).toInt() >= 2);
        QTest::qWait(500);
        const bool alive = running(trainerPid);
        ::kill(pid_t(trainerPid), SIGKILL);
        trainer.waitForFinished();
        if (attach) {
            QVERIFY2(alive, "an attached trainer must outlive the CLI's interruption");
            QCOMPARE(report.value(QStringLiteral("trainer")).toString(), QStringLiteral("detached"));
        } else {
            QVERIFY2(!alive, "a launched trainer must be stopped with the CLI");
            QCOMPARE(report.value(QStringLiteral("trainer")).toString(), QStringLiteral("finished"));
            QVERIFY2(report.value(QStringLiteral("coverage")).toObject().value(QStringLiteral("message")).toString().contains(
                         QStringLiteral("stopped by TrainDx")),
                     QJsonDocument(report).toJson().constData());
        }
    }

    void usageAndLaunchErrorsExitTwo()
    {
        QCOMPARE(cli({}).exitCode, 2);
        QCOMPARE(cli({QStringLiteral("run")}).exitCode, 2);
        const Result badThreshold = cli({QStringLiteral("run"), QStringLiteral("--threshold"), QStringLiteral("nonsense=1"),
                                         QStringLiteral("--"), QStringLiteral("true")});
        QCOMPARE(badThreshold.exitCode, 2);
        QVERIFY(badThreshold.err.contains(QStringLiteral("unknown threshold 'nonsense'")));
        const Result missing = cli({QStringLiteral("run"), QStringLiteral("--"), QStringLiteral("/no/such/trainer")});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains(QStringLiteral("does not exist")), qPrintable(missing.err));
        const Result nobody = cli({QStringLiteral("attach"), QStringLiteral("999999")});
        QCOMPARE(nobody.exitCode, 2);
        QVERIFY(nobody.err.contains(QStringLiteral("no TrainDx probe")));
    }

    void attachByProcessId()
    {
        QProcess trainer;
        trainer.start(builtProgram(QStringLiteral("traindx-zoo")), {QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("200")});
        QVERIFY(trainer.waitForStarted());
        QByteArray output;
        while (!output.contains("epoch 2/") && trainer.state() == QProcess::Running) {
            trainer.waitForReadyRead(100);
            output += trainer.readAllStandardOutput();
        }
        const QString path = json(QStringLiteral("attach"));
        const Result r = cli({QStringLiteral("attach"), QString::number(trainer.processId()), QStringLiteral("--json"), path}, path);
        QVERIFY(trainer.waitForFinished(120000));
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(firstFinding(r.json).value(QStringLiteral("symptom")).toString(), QStringLiteral("out_of_range"));
    }

    void theWindowToldToQuitStopsTheTrainerItLaunched()
    {
        // SIGTERM (a logout, `kill`) closes the window as its menu would: its trainer goes too.
        const QString marker = QStringLiteral("551177");
        QTemporaryDir config;
        QProcess window;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        environment.insert(QStringLiteral("XDG_CONFIG_HOME"), config.path());
        window.setProcessEnvironment(environment);
        window.start(builtProgram(QStringLiteral("traindx")),
                     {QStringLiteral("--launch"), builtProgram(QStringLiteral("traindx-zoo")), QStringLiteral("healthy_regression"),
                      QStringLiteral("--epochs"), QStringLiteral("100000"), QStringLiteral("--seed"), marker});
        QVERIFY(window.waitForStarted());
        qint64 trainer = -1;
        QTRY_VERIFY_WITH_TIMEOUT((trainer = findProcess(marker)) > 0, 30000);
        QTest::qWait(1000);
        ::kill(pid_t(window.processId()), SIGTERM);
        QVERIFY(window.waitForFinished(15000));
        QCOMPARE(window.exitStatus(), QProcess::NormalExit);
        QTRY_VERIFY_WITH_TIMEOUT(!running(trainer), 10000);
    }

    void attachOverTcpNeedsTheProbesToken()
    {
        // A probe listening on TCP prints where and the token it made; without the token a
        // client learns nothing of the program and is told why; with it, the run is diagnosed.
        QProcess trainer;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("TRAINDX_LISTEN"), QStringLiteral("tcp://127.0.0.1:0"));
        environment.remove(QStringLiteral("TRAINDX_TOKEN"));
        trainer.setProcessEnvironment(environment);
        trainer.start(builtProgram(QStringLiteral("traindx-zoo")),
                      {QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("100000")});
        QVERIFY(trainer.waitForStarted());
        static const QRegularExpression listening(QStringLiteral("attach with: traindx-cli attach (tcp://127\\.0\\.0\\.1:\\d+) --token ([0-9a-f]{32})"));
        QString said;
        QRegularExpressionMatch where;
        while (!(where = listening.match(said)).hasMatch() && trainer.state() == QProcess::Running) {
            trainer.waitForReadyRead(100);
            said += QString::fromLocal8Bit(trainer.readAllStandardError());
        }
        QVERIFY2(where.hasMatch(), qPrintable(said));
        const QString address = where.captured(1), token = where.captured(2);

        const Result stranger = cli({QStringLiteral("attach"), address, QStringLiteral("--token"), QString(32, QLatin1Char('0')),
                                     QStringLiteral("--no-record")});
        QCOMPARE(stranger.exitCode, 2);
        QVERIFY2(stranger.err.contains(QStringLiteral("did not present this probe's token")), qPrintable(stranger.err));
        QVERIFY(!stranger.out.contains(QStringLiteral("so31880720")));

        const QString path = json(QStringLiteral("attach-tcp"));
        const Result r = cli({QStringLiteral("attach"), address, QStringLiteral("--token"), token, QStringLiteral("--no-record"),
                              QStringLiteral("--max-epochs"), QStringLiteral("2"), QStringLiteral("--json"), path},
                             path);
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(firstFinding(r.json).value(QStringLiteral("symptom")).toString(), QStringLiteral("out_of_range"));
        QVERIFY(trainer.waitForFinished(60000));
    }

    void attachMaxEpochsCountsFromTheAttach()
    {
        QProcess trainer;
        trainer.start(builtProgram(QStringLiteral("traindx-zoo")),
                      {QStringLiteral("healthy_regression"), QStringLiteral("--epochs"), QStringLiteral("100000")});
        QVERIFY(trainer.waitForStarted());
        QByteArray output;
        while (!output.contains("epoch 4/") && trainer.state() == QProcess::Running) {
            trainer.waitForReadyRead(100);
            output += trainer.readAllStandardOutput();
        }
        const QString path = json(QStringLiteral("attach-max"));
        const Result r = cli({QStringLiteral("attach"), QString::number(trainer.processId()), QStringLiteral("--max-epochs"),
                              QStringLiteral("2"), QStringLiteral("--json"), path},
                             path);
        QVERIFY(trainer.waitForFinished(60000));
        output += trainer.readAllStandardOutput();
        // The trainer had run 4 or more epochs before the attach; it ran 2 more, not 0.
        const int before = r.json.value(QStringLiteral("epochs_run")).toInt();
        static const QRegularExpression epochLine(QStringLiteral("epoch (\\d+)/"));
        int last = 0;
        for (auto it = epochLine.globalMatch(QString::fromLocal8Bit(output)); it.hasNext();)
            last = std::max(last, it.next().captured(1).toInt());
        QVERIFY2(r.out.contains(QStringLiteral("stopping after 2 epochs")), qPrintable(r.out));
        QVERIFY2(last >= 6, qPrintable(QStringLiteral("the trainer stopped after epoch %1").arg(last)));
        QVERIFY(before >= 2);
    }

    // Changes to the live training, asked for on the command line: the fix applied before
    // the first step turns each buggy program healthy; a change the probe cannot apply is
    // refused with the reason and training goes on.
    void liveChangesAreAppliedOrRefused_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<QString>("change");
        QTest::addColumn<bool>("applied");
        QTest::addColumn<QString>("said");
        QTest::addColumn<int>("exitCode");
        QTest::newRow("tiny learning rate raised") << "tiny_learning_rate" << "lr=0.05" << true << "learning rate 1e-09 -> 0.05" << 0;
        QTest::newRow("high learning rate lowered") << "high_lr_nan" << "lr*0.0002" << true << "learning rate 0.5 -> 0.0001" << 0;
        QTest::newRow("dead ReLU's biases re-initialised") << "dead_relu_negative_bias" << "reinit=0" << true << "bias mean -3 -> 0" << 0;
        QTest::newRow("unknown layer refused") << "healthy_regression" << "reinit=fc9" << false << "there is no layer \"fc9\"" << 0;
        QTest::newRow("left-out layer given to the optimizer") << "layer_not_in_optimizer" << "optimize=2" << true
                                                               << "layer 2 (Linear)'s weight, bias given to the optimizer" << 1;
        QTest::newRow("a layer the optimizer has refused") << "healthy_regression" << "optimize=0" << false
                                                           << "is already given to an optimizer" << 0;
        QTest::newRow("gradients clipped") << "healthy_regression" << "clip=5" << true << "gradients clipped to global norm 5" << 0;
    }

    void liveChangesAreAppliedOrRefused()
    {
        QFETCH(QString, scenario);
        QFETCH(QString, change);
        QFETCH(bool, applied);
        QFETCH(QString, said);
        QFETCH(int, exitCode);
        const QString path = json(QStringLiteral("change-") + scenario);
        const Result r = cli(zoo(path, {scenario}, {QStringLiteral("--no-record"), QStringLiteral("--apply"), change}), path);
        QVERIFY2(r.exitCode == exitCode, qPrintable(r.out + r.err));
        const QJsonArray changes = r.json.value(QStringLiteral("changes")).toArray();
        QCOMPARE(changes.size(), 1);
        const QJsonObject first = changes.first().toObject();
        QCOMPARE(first.value(QStringLiteral("applied")).toBool(), applied);
        QVERIFY2(first.value(QStringLiteral("text")).toString().contains(said), qPrintable(first.value(QStringLiteral("text")).toString()));
        QCOMPARE(first.value(QStringLiteral("when")).toString(), QStringLiteral("before the first step"));
        QVERIFY2(r.out.contains(applied ? QStringLiteral("changed before the first step: ") : QStringLiteral("change refused before the first step: ")),
                 qPrintable(r.out));
        QCOMPARE(r.json.value(QStringLiteral("verdict")).toString(), exitCode == 0 ? QStringLiteral("healthy") : QStringLiteral("faulty"));
        QVERIFY(r.json.value(QStringLiteral("epochs_run")).toInt() >= 3); // training went on
    }

    // --auto-fix holds at the first fault, applies its fix live where one can be, and judges
    // the run by what follows the change.
    void autoFixAppliesWhatCanBeAppliedLive()
    {
        const QString path = json(QStringLiteral("auto-fix"));
        const Result fixed = cli(zoo(path, {QStringLiteral("dead_relu_negative_bias")}, {QStringLiteral("--no-record"), QStringLiteral("--auto-fix")}), path);
        QVERIFY2(fixed.exitCode == 0, qPrintable(fixed.out));
        const QJsonObject autoFix = fixed.json.value(QStringLiteral("auto_fix")).toObject();
        QCOMPARE(autoFix.value(QStringLiteral("change")).toString(), QStringLiteral("reinit=0:kaiming_normal reset_optimizer"));
        QCOMPARE(autoFix.value(QStringLiteral("faults_after_change")).toInt(), 0);
        QVERIFY(fixed.json.value(QStringLiteral("changes")).toArray().first().toObject().value(QStringLiteral("applied")).toBool());
        QVERIFY2(fixed.out.contains(QStringLiteral("; no fault left")), qPrintable(fixed.out));
        // The dead units the change answered are judged again from it: cleared, now a warning.
        QVERIFY(autoFix.value(QStringLiteral("cleared")).toInt() >= 1);
        QCOMPARE(autoFix.value(QStringLiteral("still_present")).toInt(), 0);
        bool deadCleared = false;
        for (const auto& value : fixed.json.value(QStringLiteral("findings")).toArray()) {
            const QJsonObject f = value.toObject();
            if (f.value(QStringLiteral("symptom")).toString() != QLatin1String("dead_relu"))
                continue;
            const QJsonObject after = f.value(QStringLiteral("after_change")).toObject();
            deadCleared = after.value(QStringLiteral("verdict")).toString() == QLatin1String("cleared")
                && after.value(QStringLiteral("was_fault")).toBool() && f.value(QStringLiteral("severity")).toString() == QLatin1String("warning");
        }
        QVERIFY2(deadCleared, qPrintable(fixed.out));
        QCOMPARE(fixed.json.value(QStringLiteral("verdict")).toString(), QStringLiteral("healthy"));

        // A layer left out of the optimizer is given to it, and its weights then move.
        const QString left = json(QStringLiteral("auto-fix-optimizer"));
        const Result given = cli(zoo(left, {QStringLiteral("layer_not_in_optimizer")}, {QStringLiteral("--no-record"), QStringLiteral("--auto-fix")}), left);
        QVERIFY2(given.exitCode == 0, qPrintable(given.out));
        QCOMPARE(given.json.value(QStringLiteral("auto_fix")).toObject().value(QStringLiteral("change")).toString(), QStringLiteral("optimize=0 optimize=2"));

        const QString other = json(QStringLiteral("auto-fix-code"));
        const Result code = cli(zoo(other, {QStringLiteral("so31880720")}, {QStringLiteral("--no-record"), QStringLiteral("--auto-fix")}), other);
        QCOMPARE(code.exitCode, 1);
        QVERIFY2(code.out.contains(QStringLiteral("needs the program's code")), qPrintable(code.out));
        QVERIFY(code.json.value(QStringLiteral("changes")).toArray().isEmpty());
    }

    // A change that does not answer the cause: the symptoms it was made for come back, and
    // the findings say so instead of being reported twice.
    void aChangeThatDoesNotHelpLeavesTheSymptomPresent()
    {
        const QString path = json(QStringLiteral("change-useless"));
        const Result r = cli(zoo(path, {QStringLiteral("dead_relu_negative_bias")},
                                 {QStringLiteral("--no-record"), QStringLiteral("--apply"), QStringLiteral("lr*1@epoch:2")}),
                             path);
        QCOMPARE(r.exitCode, 1);
        int dead = 0;
        for (const auto& value : r.json.value(QStringLiteral("findings")).toArray()) {
            const QJsonObject f = value.toObject();
            if (f.value(QStringLiteral("symptom")).toString() != QLatin1String("dead_relu"))
                continue;
            ++dead;
            const QJsonObject after = f.value(QStringLiteral("after_change")).toObject();
            QCOMPARE(after.value(QStringLiteral("verdict")).toString(), QStringLiteral("still_present"));
            QVERIFY(after.value(QStringLiteral("seen_again_step")).toInteger() > after.value(QStringLiteral("change_step")).toInteger());
            QCOMPARE(f.value(QStringLiteral("severity")).toString(), QStringLiteral("fault"));
        }
        QCOMPARE(dead, 1);
        QVERIFY2(r.out.contains(QStringLiteral("[still present after the change at step")), qPrintable(r.out));
    }

    void aChangeAtAStepWaitsForIt()
    {
        const QString path = json(QStringLiteral("change-later"));
        const Result r = cli(zoo(path, {QStringLiteral("healthy_regression"), QStringLiteral("--epochs"), QStringLiteral("40")},
                                 {QStringLiteral("--no-record"), QStringLiteral("--apply"), QStringLiteral("lr*2@epoch:2")}),
                             path);
        QCOMPARE(r.exitCode, 0);
        const QJsonObject change = r.json.value(QStringLiteral("changes")).toArray().first().toObject();
        QVERIFY(change.value(QStringLiteral("applied")).toBool());
        // At the first boundary after the second epoch ended, made by the probe: exactly there.
        QCOMPARE(change.value(QStringLiteral("when")).toString(), QStringLiteral("end of epoch 2"));
        const Result bad = cli({QStringLiteral("run"), QStringLiteral("--apply"), QStringLiteral("lr=fast"), QStringLiteral("--"),
                                builtProgram(QStringLiteral("traindx-zoo")), QStringLiteral("healthy_regression")});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains(QStringLiteral("cannot read the change \"lr=fast\"")), qPrintable(bad.err));
    }

    // A buggy zoo program and its fixed twin, recorded, then compared both ways round.
    void compareNamesWhatTheFixedTwinFixed()
    {
        const QString buggy = m_dir.filePath(QStringLiteral("bce.traindx"));
        const QString fixed = m_dir.filePath(QStringLiteral("bce_fixed.traindx"));
        QCOMPARE(cli(zoo(json(QStringLiteral("bce")), {QStringLiteral("bce_on_counts")}, {QStringLiteral("--record"), buggy})).exitCode, 1);
        QCOMPARE(cli(zoo(json(QStringLiteral("bce_fixed")), {QStringLiteral("bce_on_counts_fixed")}, {QStringLiteral("--record"), fixed}))
                     .exitCode,
                 0);

        const Result better = cli({QStringLiteral("compare"), buggy, fixed});
        QVERIFY2(better.exitCode == 0, qPrintable(better.out + better.err));
        QVERIFY2(better.out.contains(QRegularExpression(QStringLiteral("fixed in B: out_of_range at layer 5 "))), qPrintable(better.out));
        QVERIFY2(!better.out.contains(QStringLiteral("new in B:")), qPrintable(better.out));
        QVERIFY2(better.out.contains(QStringLiteral("bce_on_counts_fixed")), qPrintable(better.out));

        const Result worse = cli({QStringLiteral("compare"), fixed, buggy});
        QCOMPARE(worse.exitCode, 1);
        QVERIFY2(worse.out.contains(QStringLiteral("new in B:   out_of_range at layer 5 ")), qPrintable(worse.out));

        const Result same = cli({QStringLiteral("compare"), buggy, buggy});
        QCOMPARE(same.exitCode, 0);
        QVERIFY2(same.out.contains(QStringLiteral("0 fixed, 0 new, ")), qPrintable(same.out));

        const Result missing = cli({QStringLiteral("compare"), buggy, m_dir.filePath(QStringLiteral("none.traindx"))});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains(QStringLiteral("no such run file")), qPrintable(missing.err));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
