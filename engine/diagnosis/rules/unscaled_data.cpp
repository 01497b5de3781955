// unscaled_data: inputs, or regression targets, far from unit scale. A fault once training
// shows what such data does — a first step far larger than the weights, saturated or dead
// units, a first loss ten times chance, a loss that is not finite — and a warning after
// two epochs without harm. The
// learning rate and the initialisation are then not to blame for those symptoms.
#include "rule.h"

#include <algorithm>
#include <cmath>

namespace traindx {

namespace {

// What unscaled data visibly does to a step: the median first-step update ratio above the
// learning-rate limit, half of a layer's units saturated or dead, a loss that overflowed.
QString harmSeen(const Observation& o)
{
    for (const LayerSample& sample : o.snapshot->layers) {
        if (sample.saturatedFraction >= 0.5)
            return QStringLiteral("%1 % of the outputs of %2 are saturated")
                .arg(100 * sample.saturatedFraction, 0, 'f', 0)
                .arg(o.run.model.layer(sample.layer) ? o.run.model.layer(sample.layer)->displayName() : QString());
        if (sample.deadFraction >= 0.5)
            return QStringLiteral("%1 % of the units of %2 never fire")
                .arg(100 * sample.deadFraction, 0, 'f', 0)
                .arg(o.run.model.layer(sample.layer) ? o.run.model.layer(sample.layer)->displayName() : QString());
    }
    if (const MedianStep step = medianStepRatio(o);
        step.layers > 0 && step.ratio > o.thresholds[QStringLiteral("lr_first_step_ratio")])
        return QStringLiteral("one step changed the weights by %1 of their size")
            .arg(step.ratio >= 1e30 ? QStringLiteral("more than all") : formatNumber(step.ratio));
    if (firstLossFarAboveChance(o))
        return QStringLiteral("the first loss is more than ten times that of a model that knows nothing");
    for (int i = std::max(o.firstPoint(), int(o.run.points.size()) - o.newPoints); i < o.run.points.size(); ++i)
        if (!std::isfinite(o.run.points[i].loss))
            return QStringLiteral("the loss became %1 at step %2")
                .arg(formatNumber(o.run.points[i].loss))
                .arg(o.run.points[i].step);
    return {};
}

class UnscaledDataRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!o.snapshot || !o.run.data.present)
            return;
        const Checkers checkers(o.run, o.facts, o.thresholds);
        CheckResult scale = checkers.data();
        bool targets = false;
        if (!scale.fired || o.run.data.inputs.nonFinite() > 0 || o.run.data.inputs.std == 0) {
            scale = checkers.targets();
            targets = true;
        }
        if (!scale.fired)
            return;
        const QString harm = harmSeen(o);
        const bool patient = o.snapshot->epochEnd && o.epochEndsSince() >= 2;
        if (harm.isEmpty() && !patient)
            return;
        Finding f = findingAt(o, Symptom::UnscaledData, -1, Location::Setup);
        f.severity = harm.isEmpty() ? Severity::Warning : Severity::Fault;
        f.summary = harm.isEmpty() ? scale.reason : scale.reason + QStringLiteral("; ") + harm;
        f.evidence = scale.evidence;
        f.evidence.append({QStringLiteral("scaled"), 0, targets ? QStringLiteral("targets") : QStringLiteral("inputs")});
        candidates.append({f});
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        if (f.text(QStringLiteral("scaled")) == QLatin1String("targets") ? !a.byTargets(f) : !a.byData(f))
            a.set(f, FixClass::ImproperData, f.summary, QStringLiteral("data checker"));
    }
};

// After out_of_range (10): an output that cannot reach the targets at all comes first.
const RegisterRule registered {{Symptom::UnscaledData, Role::Setup, 11, Once::PerSymptom,
                                "inputs or regression targets far from unit scale, once training shows the harm",
                                {QStringLiteral("data_max_abs"), QStringLiteral("data_max_std")},
                                [] { return std::make_unique<UnscaledDataRule>(); }}};

} // namespace

} // namespace traindx
