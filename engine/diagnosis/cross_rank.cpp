#include "cross_rank.h"

#include "rank_advice.h"

#include <QMap>
#include <QStringList>

#include <algorithm>
#include <cmath>
#include <limits>

namespace traindx {

namespace {

constexpr int kFewestTimedSteps = 10;

double median(QVector<double> values)
{
    if (values.isEmpty())
        return std::numeric_limits<double>::quiet_NaN();
    std::sort(values.begin(), values.end());
    const int n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

QString rankList(const QVector<int>& ranks)
{
    QStringList names;
    for (int r : ranks)
        names.append(QString::number(r));
    return names.join(QStringLiteral(", "));
}

Finding jobFinding(Symptom symptom, int rank, const RunState* run, int layer = -1)
{
    Finding f;
    f.symptom = symptom;
    f.rank = rank;
    f.location = Location::Setup;
    if (run) {
        f.step = run->step;
        f.epoch = run->epoch;
        if (const Layer* l = run->model.layer(layer)) {
            f.layer = layer;
            f.layerPath = l->path;
            f.layerType = l->type;
            f.layerIndex = l->index;
        }
    }
    return f;
}

// A rank whose .grad is its own backward's gradient times one constant at every step (the
// zero_grad sentinel's ratio never varies) kept its gradients to itself: on a rank that
// all-reduces, .grad mixes in the other ranks' and the ratio moves from step to step.
bool gradientsNeverMixed(const RunState& run)
{
    double first = 0;
    int measured = 0;
    for (int i = 0; i < run.points.size(); ++i) {
        const double ratio = run.points[i].accumulated;
        if (!(ratio > 0) || !std::isfinite(ratio))
            continue;
        if (measured++ == 0)
            first = ratio;
        else if (std::abs(ratio - first) > 1e-6 * first)
            return false;
    }
    return measured >= kFewestTimedSteps;
}

void outOfSync(const QVector<RunStatePtr>& ranks, QVector<Finding>& found)
{
    // The epoch ends (and the initial weights) every rank reported, by step.
    QMap<qint64, QVector<SnapshotPtr>> byStep;
    for (int r = 0; r < ranks.size(); ++r)
        if (ranks[r])
            for (const SnapshotPtr& s : ranks[r]->snapshots)
                if (s->epochEnd || s->initial) {
                    auto& at = byStep[s->initial ? -1 : s->step];
                    at.resize(ranks.size());
                    at[r] = s;
                }
    for (auto it = byStep.cbegin(); it != byStep.cend(); ++it) {
        const QVector<SnapshotPtr>& at = *it;
        if (std::count_if(at.begin(), at.end(), [](const SnapshotPtr& s) { return bool(s); }) < 2)
            continue;
        const RunState& model = *ranks[std::find_if(at.begin(), at.end(), [](const SnapshotPtr& s) { return bool(s); }) - at.begin()];
        int worstLayer = -1, worstRank = -1;
        double worst = 0, worstNorm = 0, worstReference = 0;
        for (const Layer& layer : model.model.layers) {
            QVector<double> norms(at.size(), std::numeric_limits<double>::quiet_NaN());
            QVector<double> present;
            for (int r = 0; r < at.size(); ++r)
                if (at[r])
                    if (const LayerSample* sample = at[r]->layer(layer.id); sample && sample->stats(TensorKind::Weight).present) {
                        norms[r] = sample->stats(TensorKind::Weight).l2;
                        present.append(norms[r]);
                    }
            if (present.size() < 2)
                continue;
            const double reference = median(present);
            for (int r = 0; r < norms.size(); ++r) {
                if (std::isnan(norms[r]))
                    continue;
                const double deviation = std::abs(norms[r] - reference) / std::max(std::abs(reference), 1e-12);
                if (deviation > worst * (1 + 1e-9) && deviation > kSyncTolerance) {
                    worst = deviation;
                    worstLayer = layer.id;
                    worstRank = r;
                    worstNorm = norms[r];
                    worstReference = reference;
                }
            }
        }
        if (worstLayer < 0)
            continue;
        // Two ranks that differ are each as far from the middle: the one that kept its
        // gradients to itself is the one that parted.
        QVector<int> unmixed;
        for (int r = 0; r < ranks.size(); ++r)
            if (ranks[r] && gradientsNeverMixed(*ranks[r]))
                unmixed.append(r);
        int rank = worstRank;
        if (unmixed.size() == 1)
            rank = unmixed.first();
        else if (at.size() == 2)
            rank = -1;
        const RunState* run = rank >= 0 ? ranks[rank].get() : &model;
        Finding f = jobFinding(Symptom::RanksOutOfSync, rank, run, worstLayer);
        const SnapshotPtr& s = at[rank >= 0 ? rank : worstRank];
        f.step = s->step;
        f.epoch = s->epoch;
        f.batch = s->batch;
        f.atEpochEnd = s->epochEnd;
        f.location = Location::Weights;
        const QString where = s->initial ? QStringLiteral("before the first step") : QStringLiteral("at the end of epoch %1").arg(s->epoch + 1);
        const QString who = rank >= 0 ? QStringLiteral("rank %1").arg(rank) : QStringLiteral("ranks %1").arg(rankList({0, 1}));
        f.summary = QStringLiteral("the weights of %1 differ across the ranks %2: %3 has norm %4 where the others' middle is %5 "
                                   "(%6 apart)")
                        .arg(f.layerLabel(), where, who, formatNumber(worstNorm), formatNumber(worstReference),
                             formatNumber(worst));
        f.evidence = {{QStringLiteral("weight_norm"), worstNorm},
                      {QStringLiteral("median_weight_norm"), worstReference},
                      {QStringLiteral("relative_difference"), worst}};
        if (!unmixed.isEmpty())
            f.evidence.append({QStringLiteral("gradients_not_averaged_on"), 0, QStringLiteral("rank %1").arg(rankList(unmixed))});
        adviseOutOfSync(f, QStringLiteral("cross-rank"), s->initial, !unmixed.isEmpty(), who);
        found.append(f);
        return; // the first step they part is the one to look at
    }
}

void firstNonFinite(const QVector<RunStatePtr>& ranks, QVector<Finding>& found)
{
    QVector<qint64> first(ranks.size(), -1);
    QVector<bool> forward(ranks.size(), false);
    for (int r = 0; r < ranks.size(); ++r) {
        if (!ranks[r])
            continue;
        const RunState& run = *ranks[r];
        for (int i = 0; i < run.points.size(); ++i)
            if (!std::isfinite(run.points[i].loss)) {
                first[r] = run.points[i].step;
                forward[r] = true;
                break;
            }
        const NonFiniteGradient& n = run.nonFiniteGradient;
        if (n.present && (first[r] < 0 || n.step < first[r])) {
            first[r] = n.step;
            forward[r] = n.forward;
        }
    }
    int earliest = -1;
    for (int r = 0; r < ranks.size(); ++r)
        if (first[r] >= 0 && (earliest < 0 || first[r] < first[earliest]))
            earliest = r;
    if (earliest < 0)
        return;
    QVector<int> tied, later;
    for (int r = 0; r < ranks.size(); ++r) {
        if (r == earliest || first[r] < 0)
            continue;
        (first[r] == first[earliest] ? tied : later).append(r);
    }
    const RunState& run = *ranks[earliest];
    const NonFiniteGradient& n = run.nonFiniteGradient;
    const int layer = !forward[earliest] && n.present && n.step == first[earliest] ? n.layer : -1;
    Finding f = jobFinding(Symptom::FirstNonFiniteRank, tied.isEmpty() ? earliest : -1, &run, layer);
    f.step = first[earliest];
    f.location = forward[earliest] ? Location::Metric : Location::Gradients;
    for (int i = 0; i < run.points.size(); ++i)
        if (run.points[i].step == first[earliest]) {
            f.epoch = run.points[i].epoch;
            f.batch = run.points[i].batch + 1;
        }
    QStringList followers;
    for (int r : later)
        followers.append(QStringLiteral("rank %1 at step %2").arg(r).arg(first[r] + 1));
    const QString who = tied.isEmpty() ? QStringLiteral("rank %1").arg(earliest)
                                       : QStringLiteral("ranks %1").arg(rankList(QVector<int> {earliest} + tied));
    f.summary = QStringLiteral("non-finite values appear first on %1, at step %2, %3%4")
                    .arg(who)
                    .arg(first[earliest] + 1)
                    .arg(forward[earliest] ? QStringLiteral("in its loss (the forward pass)")
                                           : QStringLiteral("in its gradients at %1").arg(f.layerLabel()),
                         followers.isEmpty() ? QString()
                                             : QStringLiteral("; the all-reduce then carried them to %1").arg(followers.join(QStringLiteral(", "))));
    f.evidence = {{QStringLiteral("first_step"), double(first[earliest] + 1)}};
    for (int r : later)
        f.evidence.append({QStringLiteral("rank_%1_first_step").arg(r), double(first[r] + 1)});
    if (forward[earliest]) {
        adviseNonFiniteData(f, who, first[earliest] + 1);
    } else {
        f.fixClass = FixClass::None;
        f.fixText = QStringLiteral("Start from %1's own findings at step %2: its backward produced the first non-finite gradient, "
                                   "and the all-reduce gave it to every rank.")
                        .arg(who)
                        .arg(first[earliest] + 1);
    }
    f.checker = QStringLiteral("cross-rank: the first non-finite loss or gradient of each rank, by step");
    found.append(f);
}

void straggler(const QVector<RunStatePtr>& ranks, QVector<Finding>& found)
{
    QVector<double> work(ranks.size(), std::numeric_limits<double>::quiet_NaN());
    for (int r = 0; r < ranks.size(); ++r) {
        if (!ranks[r])
            continue;
        QVector<double> seconds;
        for (int i = 0; i < ranks[r]->points.size(); ++i)
            if (ranks[r]->points[i].computeSeconds > 0)
                seconds.append(ranks[r]->points[i].computeSeconds);
        if (seconds.size() >= kFewestTimedSteps)
            work[r] = median(seconds);
    }
    int slowest = -1;
    for (int r = 0; r < work.size(); ++r)
        if (!std::isnan(work[r]) && (slowest < 0 || work[r] > work[slowest]))
            slowest = r;
    if (slowest < 0)
        return;
    QVector<double> others;
    for (int r = 0; r < work.size(); ++r)
        if (r != slowest && !std::isnan(work[r]))
            others.append(work[r]);
    const double typical = median(others);
    if (others.isEmpty() || !(work[slowest] > kStragglerFactor * typical && work[slowest] - typical > kStragglerSeconds))
        return;
    Finding f = jobFinding(Symptom::StragglerRank, slowest, ranks[slowest].get());
    f.location = Location::Setup;
    f.summary = QStringLiteral("rank %1 needs %2 ms per step for its own work (to its last gradient), the other ranks %3 ms: "
                               "they wait for it in every all-reduce")
                    .arg(slowest)
                    .arg(1000 * work[slowest], 0, 'f', 1)
                    .arg(1000 * typical, 0, 'f', 1);
    f.evidence = {{QStringLiteral("step_work_ms"), 1000 * work[slowest]}, {QStringLiteral("others_median_ms"), 1000 * typical}};
    for (int r = 0; r < work.size(); ++r)
        if (!std::isnan(work[r]))
            f.evidence.append({QStringLiteral("rank_%1_ms").arg(r), 1000 * work[r]});
    adviseStraggler(f, QStringLiteral("cross-rank"), slowest);
    found.append(f);
}

bool endedBadly(const RunState& run)
{
    return run.state == TrainerState::Crashed || run.exitSignal != 0 || (run.state == TrainerState::Finished && run.exitCode != 0);
}

void rankLost(const QVector<RunStatePtr>& ranks, QVector<Finding>& found)
{
    QVector<int> bad, killed;
    for (int r = 0; r < ranks.size(); ++r)
        if (ranks[r] && endedBadly(*ranks[r])) {
            bad.append(r);
            if (ranks[r]->exitSignal != 0)
                killed.append(r);
        }
    if (bad.isEmpty())
        return;
    // The rank that went first: one ended by a signal, else the one that got least far.
    int first = killed.isEmpty() ? bad.first() : killed.first();
    if (killed.isEmpty())
        for (int r : bad)
            if (ranks[r]->step < ranks[first]->step)
                first = r;
    QVector<int> after;
    for (int r : bad)
        if (r != first)
            after.append(r);
    const RunState& run = *ranks[first];
    Finding f = jobFinding(Symptom::RankLost, first, &run);
    const QString how = run.exitSignal != 0 ? QStringLiteral("was ended by signal %1").arg(run.exitSignal)
                                            : QStringLiteral("exited with code %1").arg(run.exitCode);
    f.summary = QStringLiteral("rank %1 %2 after %3 steps, before the job ended%4")
                    .arg(first)
                    .arg(how)
                    .arg(run.step)
                    .arg(after.isEmpty() ? QString()
                                         : QStringLiteral("; ranks %1 then failed in a collective waiting for it").arg(rankList(after)));
    f.evidence = {{QStringLiteral("steps_done"), double(run.step)}};
    if (!run.message.isEmpty())
        f.evidence.append({QStringLiteral("message"), 0, run.message});
    f.fixClass = FixClass::None;
    f.fixText = QStringLiteral("Find why rank %1 ended (its output and message above); the other ranks stop at their next "
                               "collective, once its timeout passes.")
                    .arg(first);
    f.checker = QStringLiteral("cross-rank: how each rank's process ended");
    found.append(f);
}

} // namespace

QVector<Finding> diagnoseJob(const QVector<RunStatePtr>& ranks)
{
    QVector<Finding> found;
    if (ranks.size() < 2)
        return found;
    rankLost(ranks, found);
    // The stream of rank 0 of a job served reduced is the job's, not one rank's: what tells
    // the ranks apart in it is diagnoseReducedJob's.
    QVector<RunStatePtr> own = ranks;
    for (RunStatePtr& run : own)
        if (run && run->program.reduced)
            run.reset();
    firstNonFinite(own, found);
    outOfSync(own, found);
    straggler(own, found);
    return found;
}

} // namespace traindx
