// The run model built from frames: points in step order whatever order they arrive in, and
// memory bounded however long the run.
#include "framing.h"
#include "run_builder.h"

#include <QTest>

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
};

QTEST_APPLESS_MAIN(TestRunBuilder)
#include "tst_run_builder.moc"
