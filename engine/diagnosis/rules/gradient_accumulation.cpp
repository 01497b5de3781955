// gradient_accumulation: the gradient the optimizer steps with is many times the one the
// last backward pass produced — gradients add up across steps because zero_grad() is not
// called. Deliberate accumulation over a few batches stays below the threshold.
#include "rule.h"

namespace traindx {

namespace {

class GradientAccumulationRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!o.batchSample())
            return;
        const double limit = o.thresholds[QStringLiteral("accumulation_ratio")];
        const LayerSample* worst = nullptr;
        int measured = 0, over = 0;
        for (const LayerSample& sample : o.snapshot->layers) {
            if (!(sample.accumulatedGradient > 0))
                continue;
            ++measured;
            if (sample.accumulatedGradient > limit)
                ++over;
            if (!worst || sample.accumulatedGradient > worst->accumulatedGradient)
                worst = &sample;
        }
        if (!worst || 2 * over <= measured)
            return;
        Finding f = findingAt(o, Symptom::GradientAccumulation, -1, Location::Setup);
        f.summary = QStringLiteral("the gradient the optimizer used was %1 times the one this step's backward produced "
                                   "(%2 of %3 layers above %4): gradients keep adding up across steps")
                        .arg(formatNumber(worst->accumulatedGradient))
                        .arg(over)
                        .arg(measured)
                        .arg(formatNumber(limit));
        f.evidence = {{QStringLiteral("accumulated_over_step"), worst->accumulatedGradient},
                      {QStringLiteral("layers_accumulating"), double(over)},
                      {QStringLiteral("layers_measured"), double(measured)},
                      {QStringLiteral("threshold"), limit}};
        candidates.append({f, 2, Cadence::BatchSample});
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        a.set(f, FixClass::ChangeTrainingLoop,
              QStringLiteral("Call optimizer.zero_grad() before each loss.backward(): without it every step adds its "
                             "gradient to all the earlier ones, so the steps grow without bound."),
              QStringLiteral("gradient hooks: ||p.grad|| is %1 times the gradient of the last backward pass")
                  .arg(formatNumber(f.value(QStringLiteral("accumulated_over_step")))));
    }
};

const RegisterRule registered {{Symptom::GradientAccumulation, Role::Setup, 5, Once::PerSymptom,
                                "gradients that add up across steps (zero_grad() missing)",
                                {QStringLiteral("accumulation_ratio")},
                                [] { return std::make_unique<GradientAccumulationRule>(); }}};

} // namespace

} // namespace traindx
