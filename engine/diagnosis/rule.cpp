#include "rule.h"

#include <algorithm>
#include <cmath>

namespace traindx {

namespace {

std::vector<RuleSpec>& registry()
{
    static std::vector<RuleSpec> specs;
    return specs;
}

} // namespace

RegisterRule::RegisterRule(RuleSpec spec)
{
    registry().push_back(std::move(spec));
}

std::vector<const RuleSpec*> rules()
{
    std::vector<const RuleSpec*> sorted;
    for (const auto& spec : registry())
        sorted.push_back(&spec);
    std::stable_sort(sorted.begin(), sorted.end(), [](const RuleSpec* a, const RuleSpec* b) { return a->priority < b->priority; });
    return sorted;
}

const RuleSpec* ruleFor(Symptom symptom)
{
    for (const auto& spec : registry())
        if (spec.symptom == symptom)
            return &spec;
    return nullptr;
}

Role roleOf(Symptom symptom)
{
    const RuleSpec* spec = ruleFor(symptom);
    return spec ? spec->role : Role::Consequence;
}

bool explainsByRole(Role role, const Finding&, const Finding& effect)
{
    const Role effectRole = roleOf(effect.symptom);
    if (role == Role::Setup)
        return effectRole != Role::Setup;
    return role == Role::Cause && effectRole == Role::Consequence;
}

bool Observation::known(Symptom symptom, int layer, std::optional<Location> location) const
{
    auto matches = [&](const Finding& f) {
        return current(f) && f.symptom == symptom && (layer == -2 || f.layer == layer) && (!location || f.location == *location);
    };
    if (fresh && std::any_of(fresh->begin(), fresh->end(), matches))
        return true;
    return std::any_of(run.findings.begin(), run.findings.end(), matches);
}

bool Observation::current(const Finding& f) const
{
    return since <= 0 || f.stepsDone() > since || f.afterChange.verdict == AfterChange::Verdict::StillPresent;
}

Finding findingAt(const Observation& observation, Symptom symptom, int layer, Location location)
{
    Finding finding;
    finding.symptom = symptom;
    finding.layer = layer;
    finding.location = location;
    if (const Layer* l = observation.run.model.layer(layer)) {
        finding.layerPath = l->path;
        finding.layerType = l->type;
        finding.layerIndex = l->index;
    }
    if (observation.snapshot) {
        const Snapshot& s = *observation.snapshot;
        finding.epoch = s.epoch;
        // Batches completed in that epoch: a sample is taken after its batch's step.
        finding.batch = s.epochEnd || s.initial ? s.batch : s.batch + 1;
        finding.atEpochEnd = s.epochEnd;
        finding.step = s.step;
    } else if (!observation.run.points.isEmpty()) {
        const BatchPoint& last = observation.run.points.last();
        finding.epoch = last.epoch;
        finding.batch = last.batch + 1;
        finding.step = last.step;
    }
    return finding;
}

double rms(const TensorStats& stats)
{
    const qint64 finite = stats.count - stats.nonFinite();
    return finite > 0 ? stats.l2 / std::sqrt(double(finite)) : 0;
}

QVector<double> epochSeries(const Observation& o, const QString& metric)
{
    const QVector<double> all = o.run.epochMetrics.value(metric); // shared, not copied: asked for at every observation
    if (o.since <= 0)
        return all;
    const QVector<qint64> steps = o.run.epochMetricSteps.value(metric);
    // An epoch that ends at the step of the change ran before it.
    const auto first = std::upper_bound(steps.begin(), steps.end(), o.since);
    return all.mid(int(first - steps.begin()));
}

int Observation::firstPoint() const
{
    if (since <= 0)
        return 0;
    int low = 0, high = run.points.size();
    while (low < high) { // a point's step is the index of the step just made
        const int middle = (low + high) / 2;
        if (run.points[middle].step < since)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

int Observation::epochEndsSince() const
{
    int count = 0;
    for (int i = run.epochEnds.size() - 1; i >= 0 && run.snapshots[run.epochEnds[i]]->step > since; --i)
        ++count;
    return count;
}

MedianStep medianStepRatio(const Observation& o, const std::function<bool(int)>& skip)
{
    if (!o.batchSample())
        return {};
    QVector<double> ratios;
    for (int layer : o.facts.parametric()) {
        const LayerSample* sample = o.snapshot->layer(layer);
        if (!sample || !(sample->updateRatio >= 0 || std::isnan(sample->updateRatio)) || (skip && skip(layer)))
            continue;
        ratios.append(std::isfinite(sample->updateRatio) ? sample->updateRatio : 1e30);
    }
    if (ratios.isEmpty())
        return {};
    std::sort(ratios.begin(), ratios.end());
    return {ratios[ratios.size() / 2], int(ratios.size())};
}

bool lossHalvedSince(const Observation& o, const Finding& f)
{
    const QVector<double> loss = epochSeries(o, QStringLiteral("train_loss"));
    double sum = 0;
    int count = 0;
    for (int i = o.run.points.size() - 1; i >= o.firstPoint() && count < 20; --i)
        if (o.run.points[i].step <= f.step && std::isfinite(o.run.points[i].loss)) {
            sum += o.run.points[i].loss;
            ++count;
        }
    return count > 0 && !loss.isEmpty() && sum / count > 0 && loss.last() < 0.5 * (sum / count);
}

bool firstLossFarAboveChance(const Observation& o)
{
    // A regression model at its start predicts about 0, not the targets' mean: the loss to
    // compare with is that of predicting 0.
    const TensorStats& y = o.run.data.targets;
    const LossKind loss = o.facts.loss();
    double chance = o.facts.chanceLoss();
    if (o.run.data.present && (loss == LossKind::MSE))
        chance = y.mean * y.mean + y.std * y.std;
    else if (o.run.data.present && (loss == LossKind::L1 || loss == LossKind::SmoothL1))
        chance = std::abs(y.mean) + y.std;
    if (!(chance > 0))
        return false;
    for (int i = o.firstPoint(); i < o.run.points.size(); ++i)
        if (std::isfinite(o.run.points[i].loss))
            return o.run.points[i].loss > 10 * chance;
    return false;
}

bool hasConverged(const Observation& o)
{
    const QVector<double> accuracy = epochSeries(o, QStringLiteral("train_accuracy"));
    if (!accuracy.isEmpty() && accuracy.last() >= o.thresholds[QStringLiteral("converged_accuracy")])
        return true;
    const QVector<double> loss = epochSeries(o, QStringLiteral("train_loss"));
    if (loss.isEmpty() || !std::isfinite(loss.last()))
        return false;
    const double chance = o.facts.chanceLoss();
    const bool lowLoss = chance > 0 ? loss.last() <= o.thresholds[QStringLiteral("converged_loss_fraction")] * chance
                                    : loss.last() < 1e-6;
    if (!lowLoss || accuracy.isEmpty())
        return lowLoss;
    // A low loss counts only if the accuracy agrees: well above guessing.
    const double guess = o.facts.chanceAccuracy();
    return guess < 0 || accuracy.last() >= guess + 0.5 * (1 - guess);
}

} // namespace traindx
