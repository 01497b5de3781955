// The framing of the wire protocol: round trips, streams cut anywhere, and every way a
// stream can be broken.
#include "framing.h"
#include "snapshot_parts.h"

#include <QTest>

using namespace traindx::wire;

class TestWire : public QObject {
    Q_OBJECT

private:
    static Frame sampleSnapshot()
    {
        Frame frame;
        auto* snapshot = frame.mutable_snapshot();
        snapshot->set_step(1234);
        snapshot->set_epoch(3);
        snapshot->set_kind(Snapshot::EPOCH_END);
        (*snapshot->mutable_metrics())["val_accuracy"] = 0.875;
        auto* point = snapshot->add_points();
        point->set_loss(std::numeric_limits<double>::quiet_NaN());
        auto* layer = snapshot->add_layers();
        layer->set_layer(7);
        auto* weight = layer->mutable_weight();
        weight->set_count(6400);
        weight->set_mean(-0.25);
        weight->set_nan(2);
        for (int i = 0; i < 64; ++i)
            weight->add_bins(100 * i);
        layer->add_unit_active(0.0f);
        layer->add_unit_active(1.0f);
        return frame;
    }

private Q_SLOTS:
    void roundTripOfEveryMessage()
    {
        std::vector<Frame> frames(6);
        frames[0].mutable_hello()->set_protocol_major(kProtocolMajor);
        frames[0].mutable_hello()->set_program("train");
        frames[0].mutable_hello()->add_arguments("--epochs");
        auto* layer = frames[1].mutable_model()->add_layers();
        layer->set_path("features.0");
        layer->add_parameters()->add_dims(50);
        frames[2] = sampleSnapshot();
        frames[3].mutable_data()->mutable_inputs()->set_max(255);
        frames[4].mutable_event()->set_kind(Event::HELD);
        frames[5].mutable_control()->set_command(Control::STEP_EPOCH);

        std::string stream;
        for (const auto& frame : frames)
            append_frame(stream, frame);
        FrameReader reader;
        reader.feed(stream.data(), stream.size());
        for (const auto& expected : frames) {
            Frame got;
            QCOMPARE(reader.next(got), FrameReader::Status::Frame);
            QCOMPARE(got.SerializeAsString(), expected.SerializeAsString());
        }
        Frame none;
        QCOMPARE(reader.next(none), FrameReader::Status::NeedMore);
        QCOMPARE(reader.buffered(), std::size_t(0));
    }

    void streamCutAtEveryByte()
    {
        const std::string stream = encode_frame(sampleSnapshot()) + encode_frame(sampleSnapshot());
        FrameReader reader;
        int frames = 0;
        Frame frame;
        for (char byte : stream) {
            reader.feed(&byte, 1);
            while (reader.next(frame) == FrameReader::Status::Frame) {
                ++frames;
                QCOMPARE(frame.snapshot().layers(0).weight().bins(63), 6300u);
                QVERIFY(std::isnan(frame.snapshot().points(0).loss()));
            }
        }
        QCOMPARE(frames, 2);
    }

    void oversizedFrameIsRefusedBeforeItsBody()
    {
        FrameReader reader(1024);
        const char prefix[] = {char(0x80 | 0x01), char(0x80), 0x10}; // 262145 bytes announced
        reader.feed(prefix, sizeof(prefix));
        Frame frame;
        QCOMPARE(reader.next(frame), FrameReader::Status::Error);
        QVERIFY2(reader.error().find("oversized frame") != std::string::npos, reader.error().c_str());
        QVERIFY(reader.error().find("1024") != std::string::npos);
        // The reader stays broken: the stream cannot be trusted any more.
        const std::string good = encode_frame(sampleSnapshot());
        reader.feed(good.data(), good.size());
        QCOMPARE(reader.next(frame), FrameReader::Status::Error);
    }

    void endlessVarintIsMalformed()
    {
        FrameReader reader;
        const std::string garbage(12, char(0xff));
        reader.feed(garbage.data(), garbage.size());
        Frame frame;
        QCOMPARE(reader.next(frame), FrameReader::Status::Error);
        QVERIFY(reader.error().find("malformed frame") != std::string::npos);
    }

    void bodyThatDoesNotDecodeIsMalformed()
    {
        FrameReader reader;
        const char garbage[] = {8, char(0xff), char(0xff), char(0xff), char(0xff), char(0xff), char(0xff), char(0xff), char(0xff)};
        reader.feed(garbage, sizeof(garbage));
        Frame frame;
        QCOMPARE(reader.next(frame), FrameReader::Status::Error);
        QVERIFY2(reader.error().find("do not decode") != std::string::npos, reader.error().c_str());
    }

    void unknownFieldsOfANewerMinorAreSkipped()
    {
        // A newer probe adds field 99 to Hello and a new message at Frame field 40.
        Frame hello;
        hello.mutable_hello()->set_protocol_major(kProtocolMajor);
        hello.mutable_hello()->set_protocol_minor(kProtocolMinor + 3);
        std::string body = hello.SerializeAsString();
        std::string extra;
        extra.push_back(char((40 << 3 | 2) & 0x7f | 0x80));
        extra.push_back(char((40 << 3 | 2) >> 7));
        extra.push_back(char(2));
        extra += "\x08\x01";
        std::string stream;
        stream.push_back(char(body.size()));
        stream += body;
        stream.push_back(char(extra.size()));
        stream += extra;

        FrameReader reader;
        reader.feed(stream.data(), stream.size());
        Frame frame;
        QCOMPARE(reader.next(frame), FrameReader::Status::Frame);
        std::string why;
        QVERIFY(is_compatible(frame.hello(), &why));
        QCOMPARE(reader.next(frame), FrameReader::Status::Frame);
        QCOMPARE(frame.body_case(), Frame::BODY_NOT_SET);
    }

    void majorMismatchNamesBothVersions()
    {
        Hello hello;
        hello.set_role(Hello::PROBE);
        hello.set_protocol_major(kProtocolMajor + 1);
        hello.set_protocol_minor(4);
        std::string why;
        QVERIFY(!is_compatible(hello, &why));
        const std::string theirs = version_string(kProtocolMajor + 1, 4);
        const std::string ours = version_string(kProtocolMajor, kProtocolMinor);
        QVERIFY2(why.find("the probe speaks " + theirs) != std::string::npos, why.c_str());
        QVERIFY2(why.find("this client speaks " + ours) != std::string::npos, why.c_str());
    }
    void aSnapshotTooLargeForAFrameTravelsInPartsOfWholeLayers()
    {
        using namespace traindx::wire;
        Snapshot snapshot;
        snapshot.set_step(4200);
        snapshot.set_epoch(3);
        snapshot.set_kind(Snapshot::EPOCH_END);
        (*snapshot.mutable_metrics())["train_loss"] = 0.25;
        snapshot.add_points()->set_loss(0.3);
        for (int id = 0; id < 1100; ++id) { // 1100 ReLU layers of 4096 units: 18 MB
            auto* layer = snapshot.add_layers();
            layer->set_layer(id);
            layer->set_dead_fraction(0.5f);
            for (int unit = 0; unit < 4096; ++unit)
                layer->add_unit_active(float(unit % 7) / 7.0f);
        }
        QVERIFY(snapshot.ByteSizeLong() > kMaxFrameBytes);
        const std::string original = snapshot.SerializeAsString();

        const std::vector<Snapshot> parts = split_snapshot(Snapshot(snapshot), kMaxFrameBytes / 4);
        QVERIFY(parts.size() >= 5);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            QVERIFY(encode_frame([&] { Frame f; *f.mutable_snapshot() = parts[i]; return f; }()).size() <= kMaxFrameBytes / 4 + 64);
            QCOMPARE(parts[i].continued(), i + 1 < parts.size());
            QCOMPARE(parts[i].step(), 4200);
            QCOMPARE(parts[i].points_size(), i + 1 < parts.size() ? 0 : 1); // the rest rides with the last part
        }

        SnapshotAssembler assembler;
        std::optional<Snapshot> whole;
        for (const auto& part : parts) {
            QVERIFY(!whole);
            whole = assembler.add(part);
        }
        QVERIFY(whole);
        QVERIFY(whole->SerializeAsString() == original);

        // A part lost on the way: the next snapshot's parts replace the orphan, which is counted.
        assembler.add(parts[0]);
        Snapshot next = parts.back();
        next.set_step(4300);
        const auto alone = assembler.add(next);
        QVERIFY(alone);
        QCOMPARE(alone->step(), 4300);
        QCOMPARE(assembler.discarded(), 1);

        // A snapshot that fits is one part, itself.
        Snapshot small;
        small.set_step(1);
        small.add_layers()->set_layer(0);
        const auto one = split_snapshot(Snapshot(small), kMaxFrameBytes / 4);
        QCOMPARE(one.size(), std::size_t(1));
        QVERIFY(!one.front().continued());
    }
};

QTEST_APPLESS_MAIN(TestWire)
#include "tst_wire.moc"
