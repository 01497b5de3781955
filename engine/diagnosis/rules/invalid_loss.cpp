// invalid_loss: the loss the program reports is NaN or infinite.
#include "rule.h"

#include <cmath>

namespace traindx {

namespace {

class InvalidLossRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        const auto& points = o.run.points;
        for (int i = std::max(o.firstPoint(), int(points.size()) - o.newPoints); i < points.size(); ++i) {
            const BatchPoint& p = points[i];
            if (std::isfinite(p.loss))
                continue;
            Finding f = findingAt(o, Symptom::InvalidLoss, -1, Location::Metric);
            f.epoch = p.epoch;
            f.batch = p.batch + 1;
            f.step = p.step;
            f.summary = QStringLiteral("the loss became %1 at step %2").arg(p.loss).arg(p.step + 1);
            f.evidence = {{QStringLiteral("loss"), p.loss}, {QStringLiteral("step"), double(p.step + 1)}};
            if (i > 0)
                f.evidence.append({QStringLiteral("previous_loss"), points[i - 1].loss});
            candidates.append({f});
            return;
        }
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        // Non-finite at the very first step: nothing was learned yet, the forward pass broke.
        if (f.step == 0) {
            if (a.byData(f) || a.byTargets(f) || a.byInitialization(f))
                return;
            a.set(f, FixClass::ChangeLoss,
                  QStringLiteral("The loss is not a number on the first batch, before any update: check that it never "
                                 "takes the log of 0 or of a negative value (use torch::nn::CrossEntropyLoss or "
                                 "BCEWithLogitsLoss on raw outputs rather than log of probabilities)."),
                  QStringLiteral("the loss broke before the first step: data and initialisation in range"));
            return;
        }
        if (a.byData(f) || a.byTargets(f) || a.byLearningRate(f, LearningRateVerdict::TooHigh))
            return;
        a.set(f, FixClass::ChangeLearningRate,
              QStringLiteral("The loss stopped being a number: lower the learning rate%1 and clip gradients with "
                             "torch::nn::utils::clip_grad_norm_; check that the loss never takes the log of 0.")
                  .arg(a.currentLearningRate()),
              QStringLiteral("no other cause found; the loss was finite at first, so steps too large are the usual cause"));
    }
};

const RegisterRule registered {{Symptom::InvalidLoss, Role::Consequence, 40, Once::PerSymptom,
                                "the reported loss is NaN or infinite", {},
                                [] { return std::make_unique<InvalidLossRule>(); }}};

} // namespace

} // namespace traindx
