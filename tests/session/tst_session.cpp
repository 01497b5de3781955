// The probe and the engine together: real trainers (traindx-zoo) launched or attached
// over real Unix sockets, and every way the conversation can go wrong.
#include "discovery.h"
#include "framing.h"
#include "session.h"
#include "session_waiter.h"

#include <QLocalServer>
#include <QLocalSocket>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

#include <csignal>

using namespace traindx;
using traindx::test::builtProgram;
using traindx::test::describe;
using traindx::test::waitForState;

namespace {

LaunchSpec zoo(const QString& scenario, const QStringList& extra = {})
{
    LaunchSpec spec;
    spec.program = builtProgram(QStringLiteral("traindx-zoo"));
    spec.arguments = QStringList {scenario} + extra;
    return spec;
}

bool ended(const RunState& s)
{
    return s.state == TrainerState::Finished || s.state == TrainerState::Crashed || s.state == TrainerState::Failed;
}

QStringList lossBits(const QString& output)
{
    QStringList bits;
    static const QRegularExpression pattern(QStringLiteral("loss_bits (\\S+)"));
    for (auto it = pattern.globalMatch(output); it.hasNext();)
        bits.append(it.next().captured(1));
    return bits;
}

// A client that speaks the wire by hand, to send what a real client never would.
struct RawClient {
    QLocalSocket socket;
    wire::FrameReader reader;

    bool connectTo(const QString& path)
    {
        for (int attempt = 0; attempt < 300; ++attempt) {
            socket.connectToServer(path);
            if (socket.waitForConnected(100))
                return true;
            QTest::qWait(50);
        }
        return false;
    }
    void write(const std::string& bytes)
    {
        socket.write(bytes.data(), qint64(bytes.size()));
        socket.flush();
    }
    // Reads frames until `accept` takes one or the connection closes.
    bool readUntil(const std::function<bool(const wire::Frame&)>& accept, int timeoutMs = 10000)
    {
        QElapsedTimer timer;
        timer.start();
        wire::Frame frame;
        while (timer.elapsed() < timeoutMs) {
            while (reader.next(frame) == wire::FrameReader::Status::Frame)
                if (accept(frame))
                    return true;
            if (socket.state() != QLocalSocket::ConnectedState && socket.bytesAvailable() == 0)
                return false;
            socket.waitForReadyRead(50);
            const QByteArray bytes = socket.readAll();
            reader.feed(bytes.constData(), std::size_t(bytes.size()));
        }
        return false;
    }
};

// A trainer started by hand, listening where the test says.
struct Trainer {
    QProcess process;

    void start(const QString& socketPath, const QStringList& arguments, bool wait)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TRAINDX_LISTEN"), socketPath);
        if (wait) {
            env.insert(QStringLiteral("TRAINDX_WAIT"), QStringLiteral("1"));
            env.insert(QStringLiteral("TRAINDX_WAIT_TIMEOUT"), QStringLiteral("60"));
        }
        process.setProcessEnvironment(env);
        process.start(builtProgram(QStringLiteral("traindx-zoo")), arguments);
        QVERIFY(process.waitForStarted());
    }
    ~Trainer()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished();
        }
    }
};

} // namespace

class TestSession : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(builtProgram(QStringLiteral("traindx-zoo"))), "traindx-zoo is not built");
    }

    void launchedTrainerStreamsLayersAndSnapshots()
    {
        Session session;
        session.launch(zoo(QStringLiteral("so31880720"), {QStringLiteral("--epochs"), QStringLiteral("3")}));
        const RunStatePtr state = waitForState(session, ended);
        QVERIFY2(state, qPrintable(describe(*session.state())));
        QCOMPARE(state->state, TrainerState::Finished);
        QCOMPARE(state->exitCode, 0);

        const QStringList expectedTypes {QStringLiteral("Sequential"), QStringLiteral("Linear"), QStringLiteral("ReLU"),
                                         QStringLiteral("Dropout"), QStringLiteral("Linear"), QStringLiteral("ReLU"),
                                         QStringLiteral("Dropout"), QStringLiteral("Linear"), QStringLiteral("Softmax")};
        QStringList types;
        for (const Layer& layer : state->model.layers)
            types.append(layer.type);
        QCOMPARE(types, expectedTypes);
        QCOMPARE(state->model.forwardOrder().size(), 8);
        QCOMPARE(state->model.layers[8].index, 7);
        QCOMPARE(lossKindName(state->model.loss), QStringLiteral("bce"));
        QCOMPARE(state->model.optimizer, QStringLiteral("RMSprop"));
        QCOMPARE(state->model.edges.size(), 7);

        QCOMPARE(state->epochEnds.size(), 3);
        QCOMPARE(state->points.size(), 3 * 125); // 4000 rows in batches of 32
        QCOMPARE(state->points.last().step, qint64(3 * 125 - 1));

        // Every histogram accounts for every element of its tensor.
        const Snapshot& last = *state->snapshots[state->epochEnds.last()];
        const Layer& first = state->model.layers[1];
        QCOMPARE(first.parameters[0].dims, (QVector<qint64> {50, 128}));
        const LayerSample* sample = last.layer(first.id);
        QVERIFY(sample);
        for (TensorKind kind : {TensorKind::Weight, TensorKind::WeightGrad, TensorKind::Bias, TensorKind::Activation}) {
            const TensorStats& stats = sample->stats(kind);
            QVERIFY2(stats.present, qPrintable(tensorKindName(kind)));
            QCOMPARE(stats.bins.size(), 64);
            const qint64 binned = std::accumulate(stats.bins.begin(), stats.bins.end(), qint64(0));
            QCOMPARE(binned, stats.count - stats.nonFinite());
        }
        QCOMPARE(sample->stats(TensorKind::Weight).count, qint64(50 * 128));
        QCOMPARE(sample->stats(TensorKind::WeightGrad).count, qint64(50 * 128));
        QCOMPARE(sample->stats(TensorKind::Bias).count, qint64(50));
        QCOMPARE(first.outputShape, (QVector<qint64> {256, 50}));
        QCOMPARE(sample->stats(TensorKind::Activation).count, qint64(256 * 50));

        // The softmax over one unit: every output is exactly 1, so every gradient is exactly 0.
        const LayerSample* softmax = last.layer(8);
        QVERIFY(softmax);
        QCOMPARE(softmax->stats(TensorKind::Activation).min, 1.0);
        QCOMPARE(softmax->stats(TensorKind::Activation).max, 1.0);
        const LayerSample* output = last.layer(7);
        QCOMPARE(output->stats(TensorKind::WeightGrad).zeros, output->stats(TensorKind::WeightGrad).count);

        // ReLU layers report per-unit activity.
        const LayerSample* relu = last.layer(2);
        QCOMPARE(relu->unitActive.size(), 50);
    }

    void pauseThenStepEpochAdvancesExactlyOneEpoch()
    {
        Session session;
        session.launch(zoo(QStringLiteral("so31880720"), {QStringLiteral("--epochs"), QStringLiteral("400")}));
        QVERIFY(waitForState(session, [](const RunState& s) { return s.connected && s.epoch >= 1; }));

        session.send(Command::Pause);
        RunStatePtr held = waitForState(session, [](const RunState& s) { return s.state == TrainerState::Held; });
        QVERIFY2(held, qPrintable(describe(*session.state())));
        const int start = held->epoch;

        // Held means held: nothing moves for a while.
        QTest::qWait(400);
        QCOMPARE(session.state()->step, held->step);
        QCOMPARE(session.state()->state, TrainerState::Held);

        for (int expected = start + 1; expected <= start + 2; ++expected) {
            const quint64 before = session.state()->revision;
            session.send(Command::StepEpoch);
            held = waitForState(session, [before](const RunState& s) {
                return s.revision > before && s.state == TrainerState::Held && s.heldAtEpochEnd;
            });
            QVERIFY2(held, qPrintable(describe(*session.state())));
            QCOMPARE(held->epoch, expected);
            QCOMPARE(held->epochEnds.size(), expected);
        }

        // Step batch: exactly one more batch.
        const qint64 step = held->step;
        session.send(Command::StepBatch);
        held = waitForState(session, [step](const RunState& s) { return s.state == TrainerState::Held && s.step > step; });
        QVERIFY2(held, qPrintable(describe(*session.state())));
        QCOMPARE(held->step, step + 1);
        QVERIFY(!held->heldAtEpochEnd);

        session.send(Command::Stop);
        const RunStatePtr done = waitForState(session, ended, 20000);
        QVERIFY2(done, qPrintable(describe(*session.state())));
        QCOMPARE(done->state, TrainerState::Finished);
        QVERIFY2(done->epoch < 50, "stop did not stop");
    }

    void breakHoldsInsideBackwardAtTheFirstNonFiniteGradient()
    {
        // high_lr_nan's loss becomes infinite within the first batches. With break on symptom
        // the probe holds inside backward at the first NaN or infinite gradient: the weights
        // are still the last finite ones, and the finding names that step and layer.
        Session session;
        SessionOptions options;
        options.breakOnSymptom = true;
        session.setOptions(options);
        session.launch(zoo(QStringLiteral("high_lr_nan"), {}));
        RunStatePtr held;
        for (int holds = 0; holds < 20; ++holds) {
            held = waitForState(session, [](const RunState& s) { return s.state == TrainerState::Held || ended(s); });
            QVERIFY2(held && held->state == TrainerState::Held, qPrintable(describe(*session.state())));
            if (held->heldInBackward)
                break;
            const quint64 before = held->revision;
            session.send(Command::Continue); // an earlier finding (the first step's size) held at a batch end
            QVERIFY(waitForState(session, [before](const RunState& s) {
                return s.revision > before && (s.state != TrainerState::Held || s.heldInBackward);
            }));
        }
        QVERIFY2(held->heldInBackward, qPrintable(describe(*held)));
        QVERIFY(held->nonFiniteGradient.present);
        const int layer = held->nonFiniteGradient.layer;
        QVERIFY(layer >= 0);
        QCOMPARE(held->step, held->nonFiniteGradient.step);

        // The weights at the hold, sent just before it: every one still finite.
        const SnapshotPtr last = held->snapshots.last();
        QCOMPARE(last->step, held->step);
        int weighted = 0;
        for (const LayerSample& sample : last->layers)
            if (sample.stats(TensorKind::Weight).present) {
                ++weighted;
                QCOMPARE(sample.stats(TensorKind::Weight).nonFinite(), qint64(0));
            }
        QVERIFY(weighted >= 2);

        // A loss can overflow while its gradients stay finite (huge); the diagnosis spoke
        // up at that step or earlier all the same.
        qint64 firstBadLoss = held->step;
        for (const BatchPoint& point : held->points)
            if (!std::isfinite(point.loss)) {
                firstBadLoss = point.step;
                break;
            }
        qint64 firstFinding = held->step;
        for (const Finding& f : held->findings)
            firstFinding = std::min(firstFinding, f.step);
        QVERIFY2(firstFinding <= firstBadLoss, qPrintable(QStringLiteral("%1 > %2").arg(firstFinding).arg(firstBadLoss)));

        bool found = false;
        for (const Finding& f : held->findings)
            if (f.symptom == Symptom::NumericalError && f.location == Location::Gradients) {
                found = true;
                QCOMPARE(f.layer, layer);
                QCOMPARE(f.step, held->step);
                QVERIFY(f.fixClass == FixClass::ChangeLearningRate);
            }
        QVERIFY2(found, qPrintable(describe(*held)));

        session.send(Command::Stop);
        QVERIFY(waitForState(session, ended, 20000));
    }

    void killedClientLetsAHeldTrainerFinish()
    {
        QTemporaryDir dir;
        const QString socket = dir.filePath(QStringLiteral("t.sock"));
        Trainer trainer;
        trainer.start(socket, {QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("30")}, true);

        QProcess client;
        client.start(builtProgram(QStringLiteral("traindx-test-client")), {socket});
        QVERIFY(client.waitForStarted());
        QElapsedTimer timer;
        timer.start();
        while (!client.readAllStandardOutput().contains("held") && timer.elapsed() < 30000)
            client.waitForReadyRead(100);
        QVERIFY2(timer.elapsed() < 30000, "the client never saw the trainer held");

        QVERIFY(!trainer.process.waitForFinished(500)); // held by the client
        ::kill(pid_t(client.processId()), SIGKILL);
        client.waitForFinished();

        QVERIFY2(trainer.process.waitForFinished(60000), "the trainer stayed held after its client died");
        QCOMPARE(trainer.process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(trainer.process.exitCode(), 0);
        QVERIFY(trainer.process.readAllStandardOutput().contains("epoch 30/30"));
    }

    void seededTrainerIsBitIdenticalWithAndWithoutTheProbe()
    {
        const QStringList arguments {QStringLiteral("healthy_bn_dropout"), QStringLiteral("--epochs"), QStringLiteral("3")};
        QProcess off;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TRAINDX"), QStringLiteral("off"));
        off.setProcessEnvironment(env);
        off.start(builtProgram(QStringLiteral("traindx-zoo")), arguments);
        QVERIFY(off.waitForFinished(120000));
        const QStringList reference = lossBits(QString::fromLocal8Bit(off.readAllStandardOutput()));
        QCOMPARE(reference.size(), 3);

        Session session;
        QString console;
        connect(&session, &Session::consoleOutput, this, [&console](const QString& text) { console += text; });
        session.launch(zoo(arguments[0], arguments.mid(1)));
        const RunStatePtr state = waitForState(session, ended, 120000);
        QVERIFY(state);
        QCOMPARE(state->state, TrainerState::Finished);
        QVERIFY2(state->epochEnds.size() == 3, "the probe was not attached");
        QTRY_COMPARE_WITH_TIMEOUT(lossBits(console), reference, 5000);
    }

    void garbageFromAClientClosesOnlyThatConnection()
    {
        QTemporaryDir dir;
        const QString socket = dir.filePath(QStringLiteral("g.sock"));
        Trainer trainer;
        trainer.start(socket, {QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("40")}, false);

        RawClient client;
        QVERIFY(client.connectTo(socket));
        QVERIFY(client.readUntil([](const wire::Frame& f) { return f.has_hello(); }));
        client.write(std::string(12, char(0xff)));
        QString error;
        QVERIFY(client.readUntil([&error](const wire::Frame& f) {
            if (f.has_event() && f.event().kind() == wire::Event::ERROR)
                error = QString::fromStdString(f.event().text());
            return !error.isEmpty();
        }));
        QVERIFY2(error.contains(QStringLiteral("malformed frame")), qPrintable(error));

        QVERIFY(trainer.process.waitForFinished(60000));
        QCOMPARE(trainer.process.exitCode(), 0);
        const QString stderrText = QString::fromLocal8Bit(trainer.process.readAllStandardError());
        // Garbage instead of a hello: that connection is refused, training is untouched.
        QVERIFY2(stderrText.contains(QStringLiteral("refused a connection: malformed frame")),
                 qPrintable(stderrText));
    }

    void probeRefusesAClientOfAnotherMajorVersion()
    {
        QTemporaryDir dir;
        const QString socket = dir.filePath(QStringLiteral("v.sock"));
        Trainer trainer;
        trainer.start(socket, {QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("40")}, false);

        RawClient client;
        QVERIFY(client.connectTo(socket));
        wire::Frame hello;
        hello.mutable_hello()->set_role(wire::Hello::CLIENT);
        hello.mutable_hello()->set_protocol_major(99);
        hello.mutable_hello()->set_protocol_minor(2);
        client.write(wire::encode_frame(hello));
        QString error;
        QVERIFY(client.readUntil([&error](const wire::Frame& f) {
            if (f.has_event() && f.event().kind() == wire::Event::ERROR)
                error = QString::fromStdString(f.event().text());
            return !error.isEmpty();
        }));
        QVERIFY2(error.contains(QStringLiteral("the client speaks 99.2")), qPrintable(error));
        QVERIFY2(error.contains(QStringLiteral("this probe speaks 1.")), qPrintable(error));
        QVERIFY(trainer.process.waitForFinished(60000));
        QCOMPARE(trainer.process.exitCode(), 0);
    }

    void engineClosesOnGarbageFromAProbe_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        QTest::newRow("garbage") << QByteArray(16, char(0xff)) << QStringLiteral("bad frame");
        QTest::newRow("oversized") << QByteArray("\xff\xff\xff\x7f", 4) << QStringLiteral("oversized frame");
        wire::Frame hello;
        hello.mutable_hello()->set_role(wire::Hello::PROBE);
        hello.mutable_hello()->set_protocol_major(7);
        const std::string bytes = wire::encode_frame(hello);
        QTest::newRow("newer major") << QByteArray(bytes.data(), int(bytes.size()))
                                     << QStringLiteral("the probe speaks 7.0, this client speaks 1.");
        wire::Frame notHello;
        notHello.mutable_event()->set_kind(wire::Event::HELD);
        const std::string eventBytes = wire::encode_frame(notHello);
        QTest::newRow("no hello") << QByteArray(eventBytes.data(), int(eventBytes.size()))
                                  << QStringLiteral("not a hello");
    }

    void engineClosesOnGarbageFromAProbe()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        QLocalServer fakeProbe;
        QVERIFY(fakeProbe.listen(dir.filePath(QStringLiteral("fake.sock"))));
        connect(&fakeProbe, &QLocalServer::newConnection, this, [&fakeProbe, bytes] {
            QLocalSocket* peer = fakeProbe.nextPendingConnection();
            peer->write(bytes);
            peer->flush();
        });
        Session session;
        session.attach(fakeProbe.fullServerName());
        const RunStatePtr state
            = waitForState(session, [](const RunState& s) { return !s.message.isEmpty() && !s.connected; }, 10000);
        QVERIFY2(state, qPrintable(describe(*session.state())));
        QVERIFY2(state->message.contains(expected), qPrintable(state->message));
        QVERIFY(state->state == TrainerState::Failed || state->state == TrainerState::Detached);
    }

    void missingProgramIsAClearFailure()
    {
        Session session;
        LaunchSpec spec;
        spec.program = QStringLiteral("/nonexistent/train");
        session.launch(spec);
        const RunStatePtr state = waitForState(session, [](const RunState& s) { return s.state == TrainerState::Failed; }, 5000);
        QVERIFY(state);
        QVERIFY2(state->message.contains(QStringLiteral("'/nonexistent/train' does not exist")), qPrintable(state->message));

        spec.program = QStringLiteral("no-such-trainer-anywhere");
        session.launch(spec);
        const RunStatePtr again = waitForState(session, [](const RunState& s) {
            return s.state == TrainerState::Failed && s.message.contains(QStringLiteral("PATH"));
        }, 5000);
        QVERIFY2(again, qPrintable(session.state()->message));
    }

    void aFloodOfOutputIsCutInTheMiddleAndSaid()
    {
        // 30 million characters on one line, then the line a user needs: the end.
        Session session;
        LaunchSpec spec;
        spec.program = QStringLiteral("/bin/sh");
        spec.arguments = {QStringLiteral("-c"),
                          QStringLiteral("head -c 30000000 /dev/zero | tr '\\0' x; echo; echo 'the last line'")};
        QString console;
        connect(&session, &Session::consoleOutput, this, [&console](const QString& text) { console += text; });
        session.launch(spec);
        QVERIFY(waitForState(session, ended, 60000));
        QTRY_VERIFY_WITH_TIMEOUT(console.contains(QStringLiteral("the last line")), 5000);
        QVERIFY2(console.size() < 2 * 1000 * 1000, qPrintable(QString::number(console.size())));
        static const QRegularExpression said(QStringLiteral("\\[TrainDx: (\\d+) characters of the trainer's output not shown\\]"));
        qint64 notShown = 0;
        int markers = 0;
        for (auto it = said.globalMatch(console); it.hasNext(); ++markers)
            notShown += it.next().captured(1).toLongLong();
        QVERIFY(markers > 0);
        const qint64 shown = console.count(QLatin1Char('x')) - markers; // each marker says "TrainDx"
        QCOMPARE(shown + notShown, qint64(30000000)); // every character accounted for
    }

    void killedTrainerIsReportedAsCrashed()
    {
        Session session;
        session.launch(zoo(QStringLiteral("so31880720"), {QStringLiteral("--epochs"), QStringLiteral("400")}));
        const RunStatePtr running = waitForState(session, [](const RunState& s) { return s.connected && s.epoch >= 1; });
        QVERIFY(running);
        ::kill(pid_t(running->program.pid), SIGKILL);
        const RunStatePtr state = waitForState(session, ended, 10000);
        QVERIFY(state);
        QCOMPARE(state->state, TrainerState::Crashed);
        QCOMPARE(state->exitSignal, SIGKILL);
        QVERIFY2(state->message.contains(QStringLiteral("SIGKILL")), qPrintable(state->message));
        QVERIFY(!state->snapshots.isEmpty()); // what arrived before the crash is kept
    }

    void lateAttachReceivesHistoryAndDetachLeavesTrainingRunning()
    {
        // Listening in the discovery directory, as any trainer started by hand does.
        QProcess trainer;
        trainer.start(builtProgram(QStringLiteral("traindx-zoo")),
                      {QStringLiteral("so31880720"), QStringLiteral("--epochs"), QStringLiteral("150")});
        QVERIFY(trainer.waitForStarted());
        QElapsedTimer timer;
        timer.start();
        QByteArray output;
        while (!output.contains("epoch 3/") && timer.elapsed() < 30000) {
            trainer.waitForReadyRead(100);
            output += trainer.readAllStandardOutput();
        }
        QString socket;
        for (const auto& endpoint : discovery::listEndpoints())
            if (endpoint.pid == trainer.processId())
                socket = endpoint.socketPath;
        QVERIFY2(!socket.isEmpty(), "the trainer is not in the discovery directory");

        Session session;
        session.attach(socket);
        const RunStatePtr state = waitForState(session, [](const RunState& s) {
            return s.connected && s.model.layers.size() == 9 && s.epochEnds.size() >= 3;
        }, 10000);
        QVERIFY2(state, qPrintable(describe(*session.state())));
        QVERIFY(state->points.size() >= 3 * 125);
        QCOMPARE(state->program.pid, trainer.processId());

        session.detach();
        QVERIFY(waitForState(session, [](const RunState& s) { return s.state == TrainerState::Detached; }, 5000));
        QVERIFY(trainer.waitForFinished(120000));
        QCOMPARE(trainer.exitCode(), 0);
        QVERIFY(trainer.readAllStandardOutput().contains("epoch 150/150"));
    }
};

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
