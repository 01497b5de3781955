// invalid_targets: targets the loss cannot take — class indices outside [0, C) for C
// outputs, or targets beyond [0, 1] for a probability loss, seen in a loss that goes
// below zero.
#include "negative_loss.h"

namespace traindx {

namespace {

class InvalidTargetsRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        const DataDescription& data = o.run.data;
        if (!data.present)
            return;
        const TensorStats& y = data.targets;
        const int units = o.facts.outputUnits();
        const int output = o.facts.outputLayer();
        if (data.targetsIntegral && units > 1 && (y.min < 0 || y.max >= units)) {
            Finding f = findingAt(o, Symptom::InvalidTargets, output, Location::Setup);
            f.summary = QStringLiteral("the class targets span [%1, %2], but the model has %3 outputs: indices must lie in "
                                       "[0, %4]")
                            .arg(formatNumber(y.min), formatNumber(y.max))
                            .arg(units)
                            .arg(units - 1);
            f.evidence = {{QStringLiteral("target_min"), y.min}, {QStringLiteral("target_max"), y.max},
                          {QStringLiteral("outputs"), double(units)}};
            candidates.append({f});
            return;
        }
        // A declared BCE with such targets is out_of_range's finding already.
        const double negative = negativeLoss(o);
        if (negative < 0 && !nllOnScores(o) && y.max > 1 && o.facts.loss() != LossKind::BCE) {
            Finding f = findingAt(o, Symptom::InvalidTargets, output, Location::Setup);
            f.summary = QStringLiteral("the loss is %1, below zero, which no probability loss can be with targets in "
                                       "[0, 1]; the targets reach %2")
                            .arg(formatNumber(negative), formatNumber(y.max));
            f.evidence = {{QStringLiteral("mean_loss"), negative}, {QStringLiteral("target_min"), y.min},
                          {QStringLiteral("target_max"), y.max}};
            candidates.append({f});
        }
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        if (f.value(QStringLiteral("outputs")) > 1) {
            a.set(f, FixClass::ImproperData,
                  QStringLiteral("Map the labels to class indices 0 … %1 (e.g. subtract the smallest label), or give the "
                                 "last layer as many outputs as there are classes.")
                      .arg(int(f.value(QStringLiteral("outputs"))) - 1),
                  QStringLiteral("data checker: targets outside the output's class range"));
            return;
        }
        a.set(f, FixClass::ChangeLoss,
              QStringLiteral("The targets reach %1, which a probability loss such as BCELoss cannot take: use "
                             "torch::nn::CrossEntropyLoss with one output per class for class indices, MSELoss for counts "
                             "or values, or map the targets to 0 and 1.")
                  .arg(formatNumber(f.value(QStringLiteral("target_max")))),
              QStringLiteral("the loss went below zero: targets outside the loss's [0, 1]"));
    }
};

const RegisterRule registered {{Symptom::InvalidTargets, Role::Setup, 2, Once::PerSymptom,
                                "targets the loss cannot take", {},
                                [] { return std::make_unique<InvalidTargetsRule>(); }}};

} // namespace

} // namespace traindx
