// The cross-rank findings of a job served reduced, from what rank 0's snapshots say about
// how the ranks differed (JobSummary): the same symptoms and thresholds as from the ranks'
// own streams side by side (cross_rank.cpp), without any rank's stream.
#include "cross_rank.h"
#include "rank_advice.h"

#include <QMap>

#include <cmath>

namespace traindx {

namespace {

// Snapshots in which one rank must be the straggler, and the share of the timed ones.
constexpr int kFewestStragglingSnapshots = 3;
// Steps after the ranks part before saying which one did: the probes need this many points
// to tell a rank whose gradients were never mixed with the others'.
constexpr qint64 kStepsToBlame = 10;

Finding reducedFinding(Symptom symptom, int rank, const RunState& run, const Snapshot& s, int layer = -1)
{
    Finding f;
    f.symptom = symptom;
    f.rank = rank;
    f.location = Location::Setup;
    f.step = s.step;
    f.epoch = s.epoch;
    f.batch = s.initial ? 0 : s.epochEnd ? s.batch : s.batch + 1; // batches done, as Snapshot::position()
    f.atEpochEnd = s.epochEnd;
    if (const Layer* l = run.model.layer(layer)) {
        f.layer = layer;
        f.layerPath = l->path;
        f.layerType = l->type;
        f.layerIndex = l->index;
    }
    return f;
}

void outOfSync(const RunState& run, QVector<Finding>& found)
{
    const SnapshotPtr* parted = nullptr;
    const RankDeviation* worst = nullptr;
    for (const SnapshotPtr& s : run.snapshots) {
        for (const RankDeviation& d : s->job.deviations)
            if (d.deviation > kSyncTolerance && (!worst || d.deviation > worst->deviation))
                worst = &d;
        if (worst) {
            parted = &s;
            break;
        }
    }
    if (!parted)
        return;
    // Which rank parted: the one whose gradients were never mixed, once enough steps say so.
    QMap<int, int> unmixed; // rank -> snapshots that say its gradients were never mixed
    bool decided = run.state == TrainerState::Finished || run.state == TrainerState::Crashed
        || run.state == TrainerState::Failed || run.state == TrainerState::Detached;
    for (const SnapshotPtr& later : run.snapshots) {
        for (int r : later->job.unmixedRanks)
            ++unmixed[r];
        if (later->step >= (*parted)->step + kStepsToBlame) {
            decided = true;
            break;
        }
    }
    if (!decided)
        return;
    {
        const SnapshotPtr& s = *parted;
        int rank = worst->rank;
        if (unmixed.size() == 1)
            rank = unmixed.firstKey();
        else if (s->job.worldSize == 2)
            rank = -1; // two ranks apart are each as far from their middle
        Finding f = reducedFinding(Symptom::RanksOutOfSync, rank, run, *s, worst->layer);
        f.location = Location::Weights;
        const QString who = rank >= 0 ? QStringLiteral("rank %1").arg(rank) : QStringLiteral("ranks 0, 1");
        f.summary = QStringLiteral("the weights of %1 differ across the ranks at %2: %3 has norm %4 where the ranks' middle is "
                                   "%5 (%6 apart)")
                        .arg(f.layerLabel(), s->position(), who, formatNumber(worst->norm), formatNumber(worst->median),
                             formatNumber(worst->deviation));
        f.evidence = {{QStringLiteral("weight_norm"), worst->norm},
                      {QStringLiteral("median_weight_norm"), worst->median},
                      {QStringLiteral("relative_difference"), worst->deviation}};
        adviseOutOfSync(f, QStringLiteral("cross-rank (reduced)"), s->initial, !unmixed.isEmpty(), who);
        found.append(f);
    }
}

void firstNonFinite(const RunState& run, QVector<Finding>& found)
{
    const Snapshot* first = nullptr;
    for (const SnapshotPtr& s : run.snapshots)
        if (s->job.firstNonFiniteRank >= 0 && (!first || s->job.firstNonFiniteStep < first->job.firstNonFiniteStep))
            first = s.get();
    if (!first)
        return;
    const JobSummary& job = first->job;
    Finding f = reducedFinding(Symptom::FirstNonFiniteRank, job.firstNonFiniteRank, run, *first);
    f.step = job.firstNonFiniteStep;
    f.atEpochEnd = false;
    for (int i = 0; i < run.points.size(); ++i)
        if (run.points[i].step == job.firstNonFiniteStep) {
            f.epoch = run.points[i].epoch;
            f.batch = run.points[i].batch + 1;
        }
    f.location = job.firstNonFiniteInLoss ? Location::Metric : Location::Gradients;
    f.summary = QStringLiteral("non-finite values appear first on rank %1, at step %2, in its %3; the job's averages carry "
                               "them from there")
                    .arg(job.firstNonFiniteRank)
                    .arg(job.firstNonFiniteStep + 1)
                    .arg(job.firstNonFiniteInLoss ? QStringLiteral("loss (the forward pass)") : QStringLiteral("gradients"));
    f.evidence = {{QStringLiteral("first_step"), double(job.firstNonFiniteStep + 1)}};
    if (job.firstNonFiniteInLoss) {
        adviseNonFiniteData(f, QStringLiteral("rank %1").arg(job.firstNonFiniteRank), job.firstNonFiniteStep + 1);
    } else {
        f.fixClass = FixClass::None;
        f.fixText = QStringLiteral("Attach to rank %1 alone (per-rank mode) to see which layer's gradient broke first at step %2: "
                                   "its backward produced the first non-finite gradient, and the all-reduce gave it to every rank.")
                        .arg(job.firstNonFiniteRank)
                        .arg(job.firstNonFiniteStep + 1);
    }
    f.checker = QStringLiteral("cross-rank (reduced): the first non-finite loss or gradient norm of each rank, by step");
    found.append(f);
}

void straggler(const RunState& run, QVector<Finding>& found)
{
    QMap<int, int> straggling;
    QMap<int, double> seconds, others;
    int timed = 0;
    const Snapshot* last = nullptr;
    for (const SnapshotPtr& s : run.snapshots) {
        const JobSummary& job = s->job;
        if (job.timedRanks < 2 || job.slowestRank < 0)
            continue;
        ++timed;
        if (job.slowestSeconds > kStragglerFactor * job.othersMedianSeconds
            && job.slowestSeconds - job.othersMedianSeconds > kStragglerSeconds) {
            ++straggling[job.slowestRank];
            seconds[job.slowestRank] += job.slowestSeconds;
            others[job.slowestRank] += job.othersMedianSeconds;
            last = s.get();
        }
    }
    for (auto it = straggling.cbegin(); it != straggling.cend(); ++it) {
        const int rank = it.key(), count = it.value();
        if (count < kFewestStragglingSnapshots || 2 * count < timed)
            continue;
        const double work = seconds[rank] / count, typical = others[rank] / count;
        Finding f = reducedFinding(Symptom::StragglerRank, rank, run, *last);
        f.summary = QStringLiteral("rank %1 needs %2 ms per step for its own work (to its last gradient), the other ranks %3 ms "
                                   "(in %4 of %5 samples): they wait for it in every all-reduce")
                        .arg(rank)
                        .arg(1000 * work, 0, 'f', 1)
                        .arg(1000 * typical, 0, 'f', 1)
                        .arg(count)
                        .arg(timed);
        f.evidence = {{QStringLiteral("step_work_ms"), 1000 * work}, {QStringLiteral("others_median_ms"), 1000 * typical}};
        adviseStraggler(f, QStringLiteral("cross-rank (reduced)"), rank);
        found.append(f);
    }
}

void reductionLost(const RunState& run, QVector<Finding>& found)
{
    for (const SnapshotPtr& s : run.snapshots) {
        if (s->job.fallback.isEmpty())
            continue;
        Finding f = reducedFinding(Symptom::RankLost, -1, run, *s);
        f.summary = QStringLiteral("the ranks stopped answering rank 0 at %1: %2; from there the statistics are rank 0's alone")
                        .arg(s->position(), s->job.fallback);
        f.evidence = {{QStringLiteral("message"), 0, s->job.fallback}};
        f.fixClass = FixClass::None;
        f.fixText = QStringLiteral("Find which rank ended or hangs (its output, its exit): the other ranks stop at their next "
                                   "collective, once its timeout passes.");
        f.checker = QStringLiteral("cross-rank (reduced): the probes' own reduction failed");
        found.append(f);
        return;
    }
}

} // namespace

QVector<Finding> diagnoseReducedJob(const RunState& run)
{
    QVector<Finding> found;
    if (!run.program.reduced || run.program.worldSize < 2)
        return found;
    reductionLost(run, found);
    firstNonFinite(run, found);
    outOfSync(run, found);
    straggler(run, found);
    return found;
}

} // namespace traindx
