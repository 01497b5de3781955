// The probe's I/O half without a trainer: the hold gate's stepping rules, and the server's
// bounded queue that drops the oldest sampled snapshot for a client that does not read,
// keeping every loss point and every epoch end.
#include "hold_gate.h"
#include "raw_client.h"
#include "server.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace traindx;
using namespace std::chrono_literals;

namespace {

// A raw client: connects, greets, and then reads only when told to.
struct SilentClient {
    int fd = -1;
    explicit SilentClient(const std::string& path)
        : fd(test::connectTo(path))
    {
        int small = 4096; // a small receive buffer fills quickly
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
        const std::string hello = test::clientHello();
        ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
    }
    ~SilentClient() { ::close(fd); }
};

// A connection that says nothing, or only the first bytes of a hello.
int mute(const std::string& path, int helloBytes = 0)
{
    const int fd = test::connectTo(path);
    if (fd >= 0 && helloBytes > 0) {
        const std::string hello = test::clientHello();
        ::send(fd, hello.data(), std::min<std::size_t>(hello.size() - 1, std::size_t(helloBytes)), MSG_NOSIGNAL);
    }
    return fd;
}

// A server listening on `path` as a probe would, greeting with a minimal hello.
bool listenAsProbe(probe::Server& server, const std::string& path)
{
    std::string error;
    if (!server.listen(path, &error))
        return false;
    wire::Hello hello;
    hello.set_protocol_major(wire::kProtocolMajor);
    hello.set_role(wire::Hello::PROBE);
    server.set_hello(hello);
    return true;
}

wire::Frame bigSnapshot(int step)
{
    wire::Frame frame;
    auto* s = frame.mutable_snapshot();
    s->set_step(step);
    for (int layer = 0; layer < 50; ++layer) {
        auto* stats = s->add_layers();
        stats->set_layer(layer);
        for (int b = 0; b < 64; ++b)
            stats->mutable_weight()->add_bins(b * 1000 + step);
    }
    return frame;
}

} // namespace

class TestProbeIo : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pauseHoldsAtTheNextBoundaryAndStepsRelease()
    {
        std::atomic<int> holds {0};
        probe::HoldGate gate([&holds](bool held, const probe::HoldGate::Position&) { holds += held; });
        gate.pass({0, 1, 1, probe::Boundary::Batch}); // running: no hold
        QCOMPARE(holds.load(), 0);

        gate.command(probe::HoldGate::Command::Pause);
        std::atomic<int> passed {0};
        std::thread loop([&] {
            gate.pass({0, 2, 2, probe::Boundary::Batch}); // held here
            ++passed;
            gate.pass({0, 3, 3, probe::Boundary::Batch}); // step epoch: batches go through
            ++passed;
            gate.pass({0, 3, 3, probe::Boundary::Epoch}); // held at the epoch end
            ++passed;
        });
        QTRY_COMPARE(holds.load(), 1);
        QCOMPARE(passed.load(), 0);
        gate.command(probe::HoldGate::Command::StepEpoch);
        QTRY_COMPARE(passed.load(), 2);
        QTRY_COMPARE(holds.load(), 2);
        // A client that goes away lets the loop run on.
        gate.client_gone();
        loop.join();
        QCOMPARE(passed.load(), 3);
        QVERIFY(!gate.stop_requested());
        gate.command(probe::HoldGate::Command::Stop);
        QVERIFY(gate.stop_requested());
        gate.pass({1, 0, 4, probe::Boundary::Batch}); // a stopped loop is never held
    }

    void aClientThatDoesNotReadMakesTheQueueDropTheOldestSnapshots()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("p.sock")).toStdString();
        probe::Server::Limits limits;
        limits.queue_frames = 8;
        limits.client_buffer_bytes = 64 * 1024;
        probe::Server server({nullptr, nullptr}, limits);
        QVERIFY(listenAsProbe(server, path));

        SilentClient client(path);
        QVERIFY(server.wait_for_client(5000ms));
        // The training thread never waits: sending stays fast however slow the client is.
        const auto start = std::chrono::steady_clock::now();
        for (int step = 0; step < 2000; ++step) {
            server.send(bigSnapshot(step), probe::Server::Keep::Nothing);
            if (step % 100 == 0) {
                wire::Frame event;
                event.mutable_event()->set_kind(wire::Event::HELD);
                server.send(event, probe::Server::Keep::Nothing);
            }
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        QVERIFY2(server.dropped() > 0, "a client that never reads must make the queue drop snapshots");
        QVERIFY(server.dropped() < 2000);
        QVERIFY2(seconds < 10, qPrintable(QString::number(seconds)));
        server.stop(0ms);
    }

    void droppingKeepsEveryLossPointAndEveryEpochEnd()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("q.sock")).toStdString();
        probe::Server::Limits limits;
        limits.queue_frames = 8;
        limits.client_buffer_bytes = 64 * 1024;
        probe::Server server({nullptr, nullptr}, limits);
        QVERIFY(listenAsProbe(server, path));

        SilentClient client(path);
        QVERIFY(server.wait_for_client(5000ms));
        constexpr int kSteps = 700, kEpoch = 100; // fewer epoch ends than queue slots
        for (int step = 0; step < kSteps; ++step) {
            wire::Frame frame = bigSnapshot(step);
            auto* snapshot = frame.mutable_snapshot();
            snapshot->set_kind((step + 1) % kEpoch == 0 ? wire::Snapshot::EPOCH_END : wire::Snapshot::BATCH);
            snapshot->add_points()->set_step(step);
            server.send(std::move(frame), probe::Server::Keep::Nothing);
        }
        QVERIFY(server.dropped() > 0);

        // Now the client reads everything that is left.
        std::thread stopper([&server] { server.stop(3000ms); });
        wire::FrameReader reader;
        std::vector<long long> points;
        int epochEnds = 0;
        char buffer[65536];
        for (;;) {
            const ssize_t n = ::recv(client.fd, buffer, sizeof(buffer), 0);
            if (n <= 0)
                break;
            reader.feed(buffer, std::size_t(n));
            wire::Frame frame;
            while (reader.next(frame) == wire::FrameReader::Status::Frame) {
                if (!frame.has_snapshot())
                    continue;
                epochEnds += frame.snapshot().kind() == wire::Snapshot::EPOCH_END;
                for (const auto& point : frame.snapshot().points())
                    points.push_back(point.step());
            }
        }
        stopper.join();
        QCOMPARE(epochEnds, kSteps / kEpoch);
        QCOMPARE(int(points.size()), kSteps);
        for (int i = 0; i < kSteps; ++i)
            QCOMPARE(points[std::size_t(i)], (long long)i);
    }

    void aFloodOfMuteConnectionsCannotStarveARealClient()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("f.sock")).toStdString();
        probe::Server server({nullptr, nullptr}, probe::Server::Limits());
        QVERIFY(listenAsProbe(server, path));
        std::vector<int> flood;
        for (int i = 0; i < 40; ++i)
            flood.push_back(mute(path, i % 2 ? 3 : 0)); // half of them begin a hello and stop
        SilentClient real(path);
        QVERIFY2(server.wait_for_client(3000ms), "a real client was kept out by connections that never greet");
        for (int fd : flood)
            ::close(fd);
        server.stop(0ms);
    }

    void aMuteConnectionIsClosedWithinTheHandshakeTimeout()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("m.sock")).toStdString();
        probe::Server server({nullptr, nullptr}, probe::Server::Limits());
        QVERIFY(listenAsProbe(server, path));
        const int fd = mute(path, 3);
        QVERIFY(fd >= 0);
        timeval limit {3, 0}; // the timeout is under 1 s; 3 s leaves room for a loaded machine
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
        char buffer[4096];
        ssize_t got = 1;
        while (got > 0)
            got = ::recv(fd, buffer, sizeof(buffer), 0);
        QVERIFY2(got == 0, "the probe kept a connection that never greeted");
        ::close(fd);
        server.stop(0ms);
    }

    void listenRefusesASocketInUseAndCleansAStaleOne()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("s.sock")).toStdString();
        probe::Server first({nullptr, nullptr}, {});
        std::string error;
        QVERIFY(first.listen(path, &error));
        probe::Server second({nullptr, nullptr}, {});
        QVERIFY(!second.listen(path, &error));
        QVERIFY2(error.find("already listening") != std::string::npos, error.c_str());
        first.stop(0ms);

        // A socket file left behind by a dead process is taken over.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address {};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
        QCOMPARE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
        ::close(fd); // bound, never listening: stale
        probe::Server third({nullptr, nullptr}, {});
        QVERIFY2(third.listen(path, &error), error.c_str());
        third.stop(0ms);

        probe::Server tooLong({nullptr, nullptr}, {});
        QVERIFY(!tooLong.listen(std::string(200, 'x'), &error));
        QVERIFY(error.find("too long") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestProbeIo)
#include "tst_probe_io.moc"
