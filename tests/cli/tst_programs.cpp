// Training programs written the way people write them (examples/programs), each run through
// the real traindx-cli: as written they must come out healthy; each planted bug must be
// found, at the right layer where the bug is in one, with the right fix ranked first.
#include "session_waiter.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using traindx::test::builtProgram;

namespace {

struct Outcome {
    int exitCode = -1; // -1: traindx-cli crashed or timed out
    QJsonObject report;
    QString output;
};

Outcome diagnose(const QTemporaryDir& dir, const QString& program, const QStringList& arguments)
{
    const QString json = dir.filePath(program + arguments.join(QLatin1Char('_')) + QStringLiteral(".json"));
    QProcess cli;
    cli.setProcessChannelMode(QProcess::MergedChannels);
    cli.start(builtProgram(QStringLiteral("traindx-cli")),
              QStringList {QStringLiteral("run"), QStringLiteral("--no-record"), QStringLiteral("--json"), json,
                           QStringLiteral("--"), builtProgram(program)}
                  + arguments);
    Outcome outcome;
    if (!cli.waitForFinished(300000)) {
        cli.kill();
        cli.waitForFinished();
        return outcome;
    }
    outcome.output = QString::fromLocal8Bit(cli.readAll());
    outcome.exitCode = cli.exitStatus() == QProcess::NormalExit ? cli.exitCode() : -1;
    QFile file(json);
    if (file.open(QIODevice::ReadOnly))
        outcome.report = QJsonDocument::fromJson(file.readAll()).object();
    return outcome;
}

QString layerPath(const QJsonObject& finding)
{
    const QJsonValue layer = finding.value(QStringLiteral("layer"));
    return layer.isObject() ? layer.toObject().value(QStringLiteral("path")).toString() : QString();
}

} // namespace

class TestPrograms : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void asWrittenIsHealthy_data()
    {
        QTest::addColumn<QString>("program");
        QTest::newRow("cnn") << QStringLiteral("traindx-example-cnn");
        QTest::newRow("regression") << QStringLiteral("traindx-example-regression");
        QTest::newRow("gan") << QStringLiteral("traindx-example-gan");
    }

    void asWrittenIsHealthy()
    {
        QFETCH(QString, program);
        const Outcome outcome = diagnose(m_dir, program, {});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.output));
        QCOMPARE(outcome.report.value(QStringLiteral("verdict")).toString(), QStringLiteral("healthy"));
        QVERIFY(outcome.report.value(QStringLiteral("epochs_run")).toInt() >= 2);
        QVERIFY(outcome.report.value(QStringLiteral("findings")).toArray().isEmpty());
    }

    void plantedBugIsFound_data()
    {
        QTest::addColumn<QString>("program");
        QTest::addColumn<QString>("bug");
        QTest::addColumn<QString>("fix");
        QTest::addColumn<QString>("layer"); // empty: the bug is in no single layer
        QTest::addColumn<QString>("optimizer"); // of several, the one the finding names; empty: not checked
        QTest::newRow("cnn lr_x100") << QStringLiteral("traindx-example-cnn") << QStringLiteral("lr_x100")
                                     << QStringLiteral("change_learning_rate") << QString() << QString();
        QTest::newRow("regression relu_output") << QStringLiteral("traindx-example-regression")
                                                << QStringLiteral("relu_output") << QStringLiteral("change_activation")
                                                << QStringLiteral("fc3") << QString();
        QTest::newRow("gan d_lr_x1000") << QStringLiteral("traindx-example-gan") << QStringLiteral("d_lr_x1000")
                                        << QStringLiteral("change_learning_rate") << QString()
                                        << QStringLiteral("discriminator");
        QTest::newRow("gan no_g_zero_grad") << QStringLiteral("traindx-example-gan") << QStringLiteral("no_g_zero_grad")
                                            << QStringLiteral("change_training_loop") << QString()
                                            << QStringLiteral("generator");
    }

    void plantedBugIsFound()
    {
        QFETCH(QString, program);
        QFETCH(QString, bug);
        QFETCH(QString, fix);
        QFETCH(QString, layer);
        QFETCH(QString, optimizer);
        const Outcome outcome = diagnose(m_dir, program, {QStringLiteral("--bug"), bug});
        QVERIFY2(outcome.exitCode == 1, qPrintable(outcome.output));
        const QJsonArray findings = outcome.report.value(QStringLiteral("findings")).toArray();
        QVERIFY2(!findings.isEmpty(), qPrintable(outcome.output));
        const QJsonObject first = findings.first().toObject();
        QCOMPARE(first.value(QStringLiteral("fix")).toObject().value(QStringLiteral("class")).toString(), fix);
        if (!layer.isEmpty())
            QCOMPARE(layerPath(first), layer);
        if (!optimizer.isEmpty()) {
            const QJsonObject evidence = first.value(QStringLiteral("evidence")).toObject();
            QCOMPARE(evidence.value(QStringLiteral("optimizer_of")).toString(), optimizer);
            QVERIFY2(first.value(QStringLiteral("fix")).toObject().value(QStringLiteral("text")).toString().contains(optimizer),
                     qPrintable(outcome.output));
        }
    }
};

QTEST_GUILESS_MAIN(TestPrograms)
#include "tst_programs.moc"
