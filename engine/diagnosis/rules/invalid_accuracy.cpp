// invalid_accuracy: the accuracy the program reports is outside [0, 1].
#include "rule.h"

namespace traindx {

namespace {

class InvalidAccuracyRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        const auto& points = o.run.points;
        for (int i = std::max(o.firstPoint(), int(points.size()) - o.newPoints); i < points.size(); ++i) {
            const BatchPoint& p = points[i];
            if (!p.hasAccuracy || (p.accuracy >= 0 && p.accuracy <= 1))
                continue;
            Finding f = findingAt(o, Symptom::InvalidAccuracy, -1, Location::Metric);
            f.epoch = p.epoch;
            f.batch = p.batch + 1;
            f.step = p.step;
            f.summary = QStringLiteral("the accuracy is %1, outside [0, 1]").arg(p.accuracy);
            f.evidence = {{QStringLiteral("accuracy"), p.accuracy}};
            candidates.append({f});
            return;
        }
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        if (a.byLearningRate(f, LearningRateVerdict::TooHigh))
            return;
        a.set(f, FixClass::ChangeOptimizer,
              QStringLiteral("The accuracy left [0, 1]: check how it is computed (predictions against targets of the same "
                             "shape), then try torch::optim::Adam with its default learning rate."),
              QStringLiteral("no other cause found — the decision tree's default"));
    }
};

const RegisterRule registered {{Symptom::InvalidAccuracy, Role::Consequence, 45, Once::PerSymptom,
                                "the reported accuracy is outside [0, 1]", {},
                                [] { return std::make_unique<InvalidAccuracyRule>(); }}};

} // namespace

} // namespace traindx
