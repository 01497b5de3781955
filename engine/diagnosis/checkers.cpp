#include "checkers.h"

#include <algorithm>
#include <cmath>

namespace traindx {

namespace {

double median(QVector<double> values)
{
    if (values.isEmpty())
        return -1;
    std::sort(values.begin(), values.end());
    const int n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Squared gain of the fan-in rule for the activation that follows (as torch's calculate_gain).
double gainSquared(ActivationKind activation)
{
    switch (activation) {
    case ActivationKind::Relu:
    case ActivationKind::LeakyRelu: return 2.0;
    case ActivationKind::Tanh: return 25.0 / 9.0;
    default: return 1.0;
    }
}

} // namespace

Checkers::Checkers(const RunState& run, const ModelFacts& facts, const Thresholds& thresholds)
    : m_run(run)
    , m_facts(facts)
    , m_thresholds(thresholds)
{
}

CheckResult Checkers::data() const
{
    CheckResult result;
    if (!m_run.data.present)
        return result;
    const TensorStats& x = m_run.data.inputs;
    result.evidence = {{QStringLiteral("input_min"), x.min}, {QStringLiteral("input_max"), x.max},
                       {QStringLiteral("input_mean"), x.mean}, {QStringLiteral("input_std"), x.std}};
    if (x.nonFinite() > 0) {
        result.fired = true;
        result.reason = QStringLiteral("the inputs contain %1 NaN and %2 infinite values").arg(x.nan).arg(x.inf);
        return result;
    }
    const double scale = std::max(std::abs(x.min), std::abs(x.max));
    if (scale > m_thresholds[QStringLiteral("data_max_abs")] || x.std > m_thresholds[QStringLiteral("data_max_std")]) {
        result.fired = true;
        result.reason = QStringLiteral("the inputs are not normalised: they span [%1, %2] with mean %3 and standard deviation %4")
                            .arg(formatNumber(x.min), formatNumber(x.max), formatNumber(x.mean), formatNumber(x.std));
        return result;
    }
    if (x.count > 1 && x.std == 0) {
        result.fired = true;
        result.reason = QStringLiteral("every input value is %1: the data carries no information").arg(formatNumber(x.mean));
    }
    return result;
}

CheckResult Checkers::targets() const
{
    CheckResult result;
    if (!m_run.data.present || m_facts.classTargets())
        return result;
    const TensorStats& y = m_run.data.targets;
    const double scale = std::max(std::abs(y.min), std::abs(y.max));
    result.evidence = {{QStringLiteral("target_min"), y.min}, {QStringLiteral("target_max"), y.max},
                       {QStringLiteral("target_std"), y.std}};
    if (scale > m_thresholds[QStringLiteral("data_max_abs")] || y.std > m_thresholds[QStringLiteral("data_max_std")]) {
        result.fired = true;
        result.reason = QStringLiteral("the regression targets span [%1, %2] with standard deviation %3")
                            .arg(formatNumber(y.min), formatNumber(y.max), formatNumber(y.std));
    }
    return result;
}

CheckResult Checkers::dropout() const
{
    CheckResult result;
    const double limit = m_thresholds[QStringLiteral("dropout_max")];
    for (int id : m_facts.order()) {
        const Layer& layer = m_facts.model().layers[id];
        const double p = ModelFacts::dropoutRate(layer);
        if (p < limit)
            continue;
        result.fired = true;
        result.reason = QStringLiteral("%1 drops %2 % of its inputs at every step").arg(layer.displayName()).arg(100 * p, 0, 'f', 0);
        result.evidence = {{QStringLiteral("dropout_rate"), p}, {QStringLiteral("dropout_layer"), double(id)}, {QStringLiteral("threshold"), limit}};
        return result;
    }
    return result;
}

CheckResult Checkers::initialization(int only) const
{
    CheckResult result;
    // The earliest weights known: the initial snapshot if the probe sent one.
    SnapshotPtr first;
    for (const auto& snapshot : m_run.snapshots)
        if (snapshot->initial || !first) {
            first = snapshot;
            if (snapshot->initial)
                break;
        }
    if (!first)
        return result;
    // A layer re-initialised while training: the first weights sampled after that.
    auto earliest = [&](int layer) -> const LayerSample* {
        qint64 drawn = -1;
        for (const ChangeRecord& change : m_run.changes)
            if (change.applied && change.reinitialisation && change.layer == layer)
                drawn = change.step;
        if (drawn < 0)
            return first->layer(layer);
        for (const auto& snapshot : m_run.snapshots)
            if (snapshot->step >= drawn && !snapshot->initial)
                if (const LayerSample* sample = snapshot->layer(layer); sample && sample->stats(TensorKind::Weight).present)
                    return sample;
        return nullptr; // not sampled since
    };
    const double factor = m_thresholds[QStringLiteral("init_variance_factor")];
    for (int layer : m_facts.parametric()) {
        if (only >= 0 && layer != only)
            continue;
        const LayerSample* sample = earliest(layer);
        const qint64 fanIn = m_facts.fanIn(layer);
        if (!sample || fanIn <= 0 || !sample->stats(TensorKind::Weight).present)
            continue;
        const TensorStats& w = sample->stats(TensorKind::Weight);
        const double variance = w.std * w.std;
        const ActivationKind activation = m_facts.activationAfter(layer);
        const double expected = gainSquared(activation) / double(fanIn);
        const Layer& l = m_facts.model().layers[layer];
        // The spread of a handful of weights says nothing about how they were drawn.
        constexpr qint64 kFewestWeights = 16;
        if (w.count >= kFewestWeights && (variance < expected / factor || variance > expected * factor)) {
            result.fired = true;
            result.reason = QStringLiteral("%1 starts with weight variance %2, but the fan-in rule for %3 "
                                           "inputs%4 gives %5")
                                .arg(l.displayName(), formatNumber(variance))
                                .arg(fanIn)
                                .arg(activation == ActivationKind::None ? QString()
                                                                    : QStringLiteral(" followed by ") + activationName(activation))
                                .arg(formatNumber(expected));
            result.evidence = {{QStringLiteral("initial_weight_variance"), variance},
                               {QStringLiteral("expected_variance"), expected},
                               {QStringLiteral("fan_in"), double(fanIn)}};
            return result;
        }
        const TensorStats& b = sample->stats(TensorKind::Bias);
        if (b.present && std::abs(b.mean) >= 1.0) {
            result.fired = true;
            result.reason = QStringLiteral("%1 starts with biases of mean %2, far from zero")
                                .arg(l.displayName(), formatNumber(b.mean));
            result.evidence = {{QStringLiteral("initial_bias_mean"), b.mean}};
            return result;
        }
    }
    return result;
}

CheckResult Checkers::weightGrowth(int layer) const
{
    CheckResult result;
    if (layer < 0 || m_run.snapshots.isEmpty())
        return result;
    const SnapshotPtr first = m_run.snapshots.first();
    const SnapshotPtr last = m_run.latestWith(layer, TensorKind::Weight);
    const LayerSample* before = first->layer(layer);
    if (!last || !before || !before->stats(TensorKind::Weight).present || before->stats(TensorKind::Weight).l2 <= 0)
        return result;
    const double growth = last->layer(layer)->stats(TensorKind::Weight).l2 / before->stats(TensorKind::Weight).l2;
    result.evidence = {{QStringLiteral("weight_norm_growth"), growth}};
    if (growth > m_thresholds[QStringLiteral("lr_weight_growth")]) {
        result.fired = true;
        result.reason = QStringLiteral("the weights of %1 grew to %2 times their initial norm")
                            .arg(m_facts.model().layers[layer].displayName(), formatNumber(growth));
    }
    return result;
}

LearningRateResult Checkers::fromEpochs(int only, double low, double high) const
{
    // No step was sampled (a short run): bound the step from the change over the last
    // epoch. Steps that all point the same way give epoch/steps; steps that wander give
    // about epoch/sqrt(steps). Only a verdict both bounds agree on is given.
    LearningRateResult result;
    if (m_run.epochEnds.isEmpty())
        return result;
    const Snapshot& last = *m_run.snapshots[m_run.epochEnds.last()];
    const int steps = std::max(1, last.batch);
    QVector<double> ratios;
    for (int layer : m_facts.parametric()) {
        if (only >= 0 && layer != only)
            continue;
        const LayerSample* sample = last.layer(layer);
        if (!sample || !(sample->epochUpdateRatio >= 0) || !std::isfinite(sample->epochUpdateRatio))
            continue;
        const TensorStats& g = sample->stats(TensorKind::WeightGrad);
        if (g.present && g.count > 0 && g.zeros == g.count)
            continue;
        ratios.append(sample->epochUpdateRatio);
    }
    const double epoch = median(ratios);
    if (epoch < 0)
        return result;
    const double fewest = epoch / steps, most = epoch / std::sqrt(double(steps));
    result.ratio = most;
    result.evidence = {{QStringLiteral("epoch_update_ratio"), epoch}, {QStringLiteral("steps_per_epoch"), double(steps)}};
    if (m_run.model.learningRate > 0)
        result.evidence.append({QStringLiteral("learning_rate"), m_run.model.learningRate});
    if (most < low) {
        result.fired = true;
        result.verdict = LearningRateVerdict::TooLow;
        result.reason = QStringLiteral("over the last epoch of %1 steps the weights changed by only %2 of their size, so "
                                       "each step by at most about %3; below %4 the learning rate is too low")
                            .arg(steps)
                            .arg(formatNumber(epoch), formatNumber(most), formatNumber(low));
    } else if (fewest > high) {
        result.fired = true;
        result.verdict = LearningRateVerdict::TooHigh;
        result.reason = QStringLiteral("over the last epoch of %1 steps the weights changed by %2 of their size, so each "
                                       "step by at least %3; above %4 the learning rate is too high")
                            .arg(steps)
                            .arg(formatNumber(epoch), formatNumber(fewest), formatNumber(high));
    } else {
        result.verdict = LearningRateVerdict::InRange;
        result.reason = QStringLiteral("the weights' change over the last epoch puts each step within [%1, %2]")
                            .arg(formatNumber(low), formatNumber(high));
    }
    return result;
}

double Checkers::ratioBeforeStall(int layer, qint64* stalledAt) const
{
    QVector<double> ratios;
    bool stalled = false;
    for (auto it = m_run.snapshots.crbegin(); it != m_run.snapshots.crend() && ratios.size() < 5; ++it) {
        const Snapshot& snapshot = **it;
        const LayerSample* sample = snapshot.epochEnd || snapshot.initial ? nullptr : snapshot.layer(layer);
        if (!sample || !(sample->updateRatio >= 0) || !std::isfinite(sample->updateRatio))
            continue;
        const TensorStats& g = sample->stats(TensorKind::WeightGrad);
        const bool noGradient = g.present && g.count > 0 && g.zeros == g.count;
        if (noGradient && !ratios.isEmpty())
            break; // an earlier stall: the phase just before the latest one is measured
        if (noGradient) {
            stalled = true;
            *stalledAt = snapshot.step;
        } else if (!stalled) {
            return -1; // the latest sample has a gradient: nothing stalled
        } else {
            ratios.append(sample->updateRatio);
        }
    }
    return median(ratios);
}

LearningRateResult Checkers::beforeStall(int only, double high) const
{
    LearningRateResult result;
    QVector<double> ratios;
    qint64 stalledAt = -1;
    for (int layer : m_facts.parametric()) {
        if (only >= 0 && layer != only)
            continue;
        qint64 at = -1;
        const double ratio = ratioBeforeStall(layer, &at);
        if (ratio >= 0) {
            ratios.append(ratio);
            stalledAt = stalledAt < 0 ? at : std::min(stalledAt, at);
        }
    }
    result.ratio = median(ratios);
    if (!(result.ratio > high))
        return result;
    result.fired = true;
    result.verdict = LearningRateVerdict::TooHigh;
    result.beforeStall = true;
    result.evidence = {{QStringLiteral("update_ratio_before_stall"), result.ratio},
                       {QStringLiteral("stalled_at_step"), double(stalledAt)}};
    const QString lr = m_run.model.learningRate > 0 ? QStringLiteral(" (learning rate %1)").arg(formatNumber(m_run.model.learningRate))
                                                    : QString();
    result.reason = QStringLiteral("until every gradient vanished by step %1, each step changed the weights by %2 of their "
                                   "size%3; above %4 the learning rate is too high, and steps that large drive units into "
                                   "regions where they no longer pass a gradient")
                        .arg(stalledAt)
                        .arg(formatNumber(result.ratio), lr, formatNumber(high));
    return result;
}

double Checkers::measuredUpdateRatio(int layer) const
{
    QVector<double> ratios;
    for (auto it = m_run.snapshots.crbegin(); it != m_run.snapshots.crend() && ratios.size() < 5; ++it) {
        const Snapshot& snapshot = **it;
        if (snapshot.epochEnd || snapshot.initial)
            continue; // epoch ends repeat the last measured ratio
        const LayerSample* sample = snapshot.layer(layer);
        if (!sample || !(sample->updateRatio >= 0) || !std::isfinite(sample->updateRatio))
            continue;
        const TensorStats& g = sample->stats(TensorKind::WeightGrad);
        if (g.present && g.count > 0 && g.zeros == g.count)
            return -1; // no gradient: the step size says nothing about the learning rate
        ratios.append(sample->updateRatio);
    }
    return median(ratios);
}

LearningRateResult Checkers::learningRate(int only) const
{
    LearningRateResult result;
    QVector<double> ratios;
    for (int layer : m_facts.parametric()) {
        if (only >= 0 && layer != only)
            continue;
        const double ratio = measuredUpdateRatio(layer);
        if (ratio >= 0)
            ratios.append(ratio);
    }
    result.ratio = median(ratios);
    const double low = m_thresholds[QStringLiteral("lr_ratio_low")];
    const double high = m_thresholds[QStringLiteral("lr_ratio_high")];
    if (result.ratio < 0 || !std::isfinite(result.ratio)) {
        if (LearningRateResult stalled = beforeStall(only, high); stalled.fired)
            return stalled;
        return fromEpochs(only, low, high);
    }
    const QString lr = m_run.model.learningRate > 0 ? QStringLiteral(" (learning rate %1)").arg(formatNumber(m_run.model.learningRate))
                                                    : QString();
    result.evidence = {{QStringLiteral("update_ratio"), result.ratio}};
    if (m_run.model.learningRate > 0)
        result.evidence.append({QStringLiteral("learning_rate"), m_run.model.learningRate});
    if (result.ratio > high) {
        result.fired = true;
        result.verdict = LearningRateVerdict::TooHigh;
        result.reason = QStringLiteral("each step changes the weights by %1 of their size%2; above %3 the learning rate is too high")
                            .arg(formatNumber(result.ratio), lr, formatNumber(high));
    } else if (result.ratio < low) {
        result.fired = true;
        result.verdict = LearningRateVerdict::TooLow;
        result.reason = QStringLiteral("each step changes the weights by only %1 of their size%2; below %3 the learning rate is too low")
                            .arg(formatNumber(result.ratio), lr, formatNumber(low));
    } else {
        result.verdict = LearningRateVerdict::InRange;
        result.reason = QStringLiteral("update ratio %1 is within [%2, %3]").arg(formatNumber(result.ratio), formatNumber(low), formatNumber(high));
    }
    return result;
}

} // namespace traindx
