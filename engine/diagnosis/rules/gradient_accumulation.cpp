// gradient_accumulation: the gradient the optimizer steps with is not the one the last
// backward pass produced but the sum of many — zero_grad() is never called. The probe
// compares, at every step, .grad of one small parameter with what its gradient hook saw:
// exactly equal when the gradients were zeroed. Without zeroing the sum of earlier steps
// can be shorter than the last one, so only equality counts as zeroed. Deliberate
// accumulation over k batches is equal again every k-th step, and is left alone; gradient
// clipping scales .grad below the step's own and stays under the ratio.
#include "rule.h"

#include <algorithm>
#include <cmath>

namespace traindx {

namespace {

class GradientAccumulationRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        constexpr int kWindow = 20;
        const auto& points = o.run.points;
        if (o.newPoints == 0 || points.size() < kWindow)
            return;
        double largest = 0;
        int measured = 0;
        for (int i = points.size() - 1; i >= 0 && measured < kWindow; --i) {
            const double ratio = points[i].accumulated;
            if (!(ratio > 0))
                continue;
            if (std::abs(ratio - 1) <= 1e-6)
                return; // zeroed at this step (or the first step of all)
            largest = std::max(largest, ratio);
            ++measured;
        }
        const double limit = o.thresholds[QStringLiteral("accumulation_ratio")];
        if (measured < kWindow || largest < limit)
            return;
        Finding f = findingAt(o, Symptom::GradientAccumulation, -1, Location::Setup);
        f.summary = QStringLiteral("at each of the last %1 steps the gradient the optimizer used was not the one backward "
                                   "produced but up to %2 times it: gradients keep adding up across steps")
                        .arg(kWindow)
                        .arg(formatNumber(largest));
        f.evidence = {{QStringLiteral("accumulated_over_step"), largest},
                      {QStringLiteral("steps"), double(kWindow)},
                      {QStringLiteral("threshold"), limit}};
        candidates.append({f});
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        a.set(f, FixClass::ChangeTrainingLoop,
              QStringLiteral("Call optimizer.zero_grad() before each loss.backward(): without it every step adds its "
                             "gradient to all the earlier ones, so the steps grow without bound."),
              QStringLiteral("gradient hooks: for %1 steps in a row, .grad was not what backward produced (up to %2 "
                             "times it)")
                  .arg(int(f.value(QStringLiteral("steps"))))
                  .arg(formatNumber(f.value(QStringLiteral("accumulated_over_step")))));
    }
};

const RegisterRule registered {{Symptom::GradientAccumulation, Role::Setup, 5, Once::PerSymptom,
                                "gradients that add up across steps (zero_grad() missing)",
                                {QStringLiteral("accumulation_ratio")},
                                [] { return std::make_unique<GradientAccumulationRule>(); }}};

} // namespace

} // namespace traindx
