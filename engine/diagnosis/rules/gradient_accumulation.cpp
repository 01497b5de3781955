// gradient_accumulation: the gradient the optimizer steps with is not the one the last
// backward pass produced but the sum of many — zero_grad() is never called. The probe
// compares, at every step, .grad of one small parameter with what its gradient hook saw:
// exactly equal when the gradients were zeroed. Without zeroing the sum of earlier steps
// can be shorter than the last one, so only equality counts as zeroed. Deliberate
// accumulation over k batches is equal again every k-th step, and is left alone; gradient
// clipping scales .grad below the step's own and stays under the ratio. On a rank of a
// multi-rank job .grad holds the gradients all-reduced over the ranks, never this rank's own:
// the ratio says nothing about zero_grad() there (the cross-rank checks read it instead).
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
        if (o.newPoints == 0 || points.size() < kWindow || o.run.program.worldSize > 1)
            return;
        double largest = 0;
        int measured = 0, optimizer = -1;
        for (int i = points.size() - 1; i >= o.firstPoint() && measured < kWindow; --i) {
            const double ratio = points[i].accumulated;
            if (!(ratio > 0))
                continue;
            if (std::abs(ratio - 1) <= 1e-6)
                return; // zeroed at this step (or the first step of all)
            if (ratio > largest) {
                largest = ratio;
                optimizer = points[i].accumulatedOptimizer;
            }
            ++measured;
        }
        const double limit = o.thresholds[QStringLiteral("accumulation_ratio")];
        if (measured < kWindow || largest < limit)
            return;
        Finding f = findingAt(o, Symptom::GradientAccumulation, -1, Location::Setup);
        const auto& optimizers = o.run.model.optimizers;
        const bool named = optimizers.size() > 1 && optimizer >= 0 && optimizer < optimizers.size();
        f.summary = QStringLiteral("at each of the last %1 steps the gradient %3 used was not the one backward "
                                   "produced but up to %2 times it: gradients keep adding up across steps")
                        .arg(kWindow)
                        .arg(formatNumber(largest),
                             named ? QStringLiteral("the %1's %2").arg(optimizers[optimizer].name, optimizers[optimizer].type)
                                   : QStringLiteral("the optimizer"));
        f.evidence = {{QStringLiteral("accumulated_over_step"), largest},
                      {QStringLiteral("steps"), double(kWindow)},
                      {QStringLiteral("threshold"), limit}};
        if (named)
            f.evidence.append({QStringLiteral("optimizer_of"), 0, optimizers[optimizer].name});
        candidates.append({f});
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        const QString of = f.text(QStringLiteral("optimizer_of"));
        a.set(f, FixClass::ChangeTrainingLoop,
              QStringLiteral("Call %1zero_grad() before each loss.backward()%2: without it every step adds its "
                             "gradient to all the earlier ones, so the steps grow without bound.")
                  .arg(of.isEmpty() ? QStringLiteral("optimizer.") : QStringLiteral("the %1's optimizer's ").arg(of),
                       of.isEmpty() ? QString() : QStringLiteral(" that reaches the %1").arg(of)),
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
