// The run model built from frames: points in step order whatever order they arrive in, and
// memory bounded however long the run.
#include "framing.h"
#include "run_builder.h"

#include <QTest>

#include <limits>

using namespace traindx;

namespace {

wire::Frame snapshot(int step, int epoch, wire::Snapshot::Kind kind, bool withLayer = true)
{
    wire::Frame frame;
    auto* s = frame.mutable_snapshot();
    s->set_step(step);
    s->set_epoch(epoch);
    s->set_kind(kind);
    auto* point = s->add_points();
    point->set_step(step);
    point->set_epoch(epoch);
    point->set_loss(1.0 / (step + 1));
    if (withLayer) {
        auto* layer = s->add_layers();
        layer->set_layer(1);
        layer->mutable_weight()->set_count(10);
    }
    return frame;
}

} // namespace

class TestRunBuilder : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void aParentCycleIsBrokenAndSaid()
    {
        // root 0; 1 and 2 each other's parent; 3 under a parent that does not exist; 4 sound.
        wire::Frame frame;
        auto* model = frame.mutable_model();
        const int parents[] = {0, 2, 1, 99, 1};
        for (int id = 0; id < 5; ++id) {
            auto* layer = model->add_layers();
            layer->set_id(id);
            layer->set_parent(parents[id]);
            layer->set_path("m" + std::to_string(id));
            layer->set_leaf(id == 4);
        }
        RunBuilder run;
        run.apply(frame);
        const Model& m = run.state().model;
        QCOMPARE(m.layers.size(), 5);
        for (int id = 1; id < m.layers.size(); ++id) {
            int steps = 0;
            for (const Layer* l = m.layer(id); l && l->parent > 0; l = m.layer(l->parent))
                QVERIFY2(++steps < m.layers.size(), qPrintable(QStringLiteral("layer %1 still goes round").arg(id)));
        }
        QVERIFY2(run.state().message.contains(QStringLiteral("cycle")), qPrintable(run.state().message));
        QVERIFY(run.state().message.contains(QStringLiteral("m3")));
        QCOMPARE(m.layers[4].parent, 1); // the sound layer keeps its place
    }

    void batchSamplesAreBoundedEpochEndsKept()
    {
        RunBuilder run;
        run.apply(snapshot(0, 0, wire::Snapshot::INITIAL));
        int step = 1;
        for (int epoch = 0; epoch < 10; ++epoch) {
            for (int i = 0; i < 100; ++i)
                run.apply(snapshot(step++, epoch, wire::Snapshot::BATCH));
            run.apply(snapshot(step++, epoch, wire::Snapshot::EPOCH_END));
        }
        const RunState& state = run.state();
        QCOMPARE(state.epochEnds.size(), 10);
        QCOMPARE(state.snapshots.size(), 1 + 10 + RunBuilder::kBatchSamplesKept);
        QVERIFY(state.snapshots.first()->initial);
        for (int i = 0; i < state.epochEnds.size(); ++i) {
            QVERIFY(state.snapshots[state.epochEnds[i]]->epochEnd);
            QCOMPARE(state.snapshots[state.epochEnds[i]]->epoch, i);
        }
        // The samples kept are the newest.
        QCOMPARE(state.snapshots.last()->step, qint64(step - 1));
        QCOMPARE(state.points.size(), step);
    }

    void epochEndsKeepTheirMetricsAndABoundedShareOfLayers()
    {
        RunBuilder run;
        wire::Frame model;
        for (int id = 0; id < 2; ++id) {
            auto* layer = model.mutable_model()->add_layers();
            layer->set_id(id);
            layer->set_parent(id - 1);
        }
        run.apply(model);
        constexpr int epochs = 20000;
        for (int epoch = 0; epoch < epochs; ++epoch) {
            wire::Frame end = snapshot(epoch, epoch, wire::Snapshot::EPOCH_END);
            (*end.mutable_snapshot()->mutable_metrics())["train_loss"] = 1.0 / (epoch + 1);
            run.apply(end);
        }
        const RunState& state = run.state();
        QCOMPARE(state.epochEnds.size(), epochs);
        QCOMPARE(state.epochMetrics.value(QStringLiteral("train_loss")).size(), epochs);
        int withLayers = 0;
        for (int ordinal = 0; ordinal < epochs; ++ordinal) {
            const Snapshot& end = *state.snapshots[state.epochEnds[ordinal]];
            QCOMPARE(end.epoch, ordinal);
            QCOMPARE(end.metrics.value(QStringLiteral("train_loss")), 1.0 / (ordinal + 1));
            withLayers += !end.layers.isEmpty();
        }
        QVERIFY2(withLayers <= 1 + RunBuilder::kRecentEpochEndLayers + RunBuilder::kOlderEpochEndLayers,
                 qPrintable(QString::number(withLayers)));
        QVERIFY(withLayers >= 1 + RunBuilder::kRecentEpochEndLayers + RunBuilder::kOlderEpochEndLayers / 4);
        QVERIFY(!state.snapshots[state.epochEnds.first()]->layers.isEmpty());
        for (int ordinal = epochs - RunBuilder::kRecentEpochEndLayers; ordinal < epochs; ++ordinal)
            QVERIFY(!state.snapshots[state.epochEnds[ordinal]]->layers.isEmpty());
        // The older ones kept are spread over the run, not bunched at one end.
        int firstHalf = 0;
        for (int ordinal = 1; ordinal < epochs / 2; ++ordinal)
            firstHalf += !state.snapshots[state.epochEnds[ordinal]]->layers.isEmpty();
        QVERIFY2(firstHalf >= RunBuilder::kOlderEpochEndLayers / 8, qPrintable(QString::number(firstHalf)));
    }

    void pointsFromALateAttachAreOrderedAndNotDuplicated()
    {
        RunBuilder run;
        run.apply(snapshot(50, 0, wire::Snapshot::BATCH, false));
        run.apply(snapshot(10, 0, wire::Snapshot::BATCH, false));
        run.apply(snapshot(30, 0, wire::Snapshot::BATCH, false));
        run.apply(snapshot(30, 0, wire::Snapshot::BATCH, false));
        QVector<qint64> steps;
        for (const auto& p : run.state().points)
            steps.append(p.step);
        QCOMPARE(steps, (QVector<qint64> {10, 30, 50}));
    }

    void statisticsOfNoKnownLayerAreDroppedAndLayersAreNeverForgotten()
    {
        // Found by fuzz_run_builder: a sample naming layer 7 of a 2-layer model sent a rule
        // past the end of the layer list.
        RunBuilder run;
        wire::Frame model;
        for (int id = 0; id < 3; ++id) {
            auto* layer = model.mutable_model()->add_layers();
            layer->set_id(id);
            layer->set_parent(id == 0 ? -1 : 0);
            layer->set_type(id == 0 ? "Sequential" : "Linear");
        }
        run.apply(model);
        wire::Frame frame = snapshot(1, 0, wire::Snapshot::EPOCH_END);
        frame.mutable_snapshot()->add_layers()->set_layer(7);
        frame.mutable_snapshot()->add_layers()->set_layer(-1);
        // And fractions beyond [0, 1] (an infinite dead fraction overflowed a unit count).
        frame.mutable_snapshot()->mutable_layers(0)->set_dead_fraction(std::numeric_limits<float>::infinity());
        frame.mutable_snapshot()->mutable_layers(0)->set_saturated_fraction(std::numeric_limits<float>::quiet_NaN());
        frame.mutable_snapshot()->mutable_layers(0)->add_unit_active(-3.0f);
        const RunBuilder::Applied applied = run.apply(frame);
        QVERIFY(applied.snapshot);
        QCOMPARE(applied.snapshot->layers.size(), 1); // layer 1 only
        QCOMPARE(applied.snapshot->layers.first().layer, 1);
        QCOMPARE(applied.snapshot->layers.first().deadFraction, 1.0f);
        QCOMPARE(applied.snapshot->layers.first().saturatedFraction, 0.0f);
        QCOMPARE(applied.snapshot->layers.first().unitActive, QVector<float> {0.0f});
        // A later description with fewer layers keeps those the kept snapshots name.
        wire::Frame smaller;
        smaller.mutable_model()->add_layers()->set_id(0);
        run.apply(smaller);
        QCOMPARE(run.state().model.layers.size(), 3);
    }

    void aPublishedCopySharesAllButTheChunkBeingFilled()
    {
        ChunkedVector<int, 8> points;
        for (int i = 0; i < 20; ++i)
            points.append(i);
        const ChunkedVector<int, 8> published = points; // what a view holds
        points.append(20);
        points[3] = -3;
        QCOMPARE(published.size(), 20);
        QCOMPARE(published[3], 3);
        QCOMPARE(published.last(), 19);
        QCOMPARE(points.size(), 21);
        QCOMPARE(points[3], -3);
        QCOMPARE(points.last(), 20);
        // The first chunk was cloned by the write to [3], the last by the append: the middle
        // one is still the same memory.
        QCOMPARE(points.sharedChunks(published), 1);
    }

    void insertKeepsOrderAcrossChunks()
    {
        ChunkedVector<int, 4> v;
        QVector<int> expected;
        for (int i = 0; i < 30; i += 2) {
            v.append(i);
            expected.append(i);
        }
        const ChunkedVector<int, 4> before = v;
        for (int odd : {1, 13, 29, 31, -1}) {
            const auto at = std::lower_bound(v.begin(), v.end(), odd);
            v.insert(at.index(), odd);
            expected.insert(std::lower_bound(expected.begin(), expected.end(), odd), odd);
        }
        QCOMPARE(QVector<int>(v.begin(), v.end()), expected);
        QCOMPARE(before.size(), 15);
        QCOMPARE(before[7], 14);
    }
};

QTEST_APPLESS_MAIN(TestRunBuilder)
#include "tst_run_builder.moc"
