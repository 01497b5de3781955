// not_in_optimizer: a layer whose parameters require gradients but that the optimizer was
// not given, so they never move. A frozen layer (requires_grad false) is the program's
// choice and never a finding.
#include "rule.h"

namespace traindx {

namespace {

class NotInOptimizerRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        for (const Layer& layer : o.run.model.layers) {
            if (!layer.leaf)
                continue;
            QStringList left;
            qint64 count = 0;
            for (const auto& parameter : layer.parameters)
                if (!parameter.frozen && parameter.optimizer == Membership::NotInOptimizer) {
                    left.append(parameter.name);
                    count += parameter.count();
                }
            if (left.isEmpty())
                continue;
            Finding f = findingAt(o, Symptom::NotInOptimizer, layer.id, Location::Setup);
            f.summary = QStringLiteral("%1 is trainable (requires_grad) but the optimizer was not given its %2: they "
                                       "never move")
                            .arg(layer.displayName(), left.join(QStringLiteral(", ")));
            f.evidence = {{QStringLiteral("parameters"), 0, left.join(QStringLiteral(", "))},
                          {QStringLiteral("elements"), double(count)},
                          {QStringLiteral("optimizer"), 0, o.run.model.optimizer}};
            candidates.append({f});
        }
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        a.set(f, FixClass::ChangeOptimizer,
              QStringLiteral("Give the optimizer every trainable parameter: build it from model->parameters() (or add "
                             "%1's parameters to its parameter groups). If %1 should not train, freeze it with "
                             "requires_grad_(false) instead.")
                  .arg(a.layerName(f.layer)),
              QStringLiteral("the probe compared the optimizer's parameters with the model's: %1 of %2 are missing")
                  .arg(f.text(QStringLiteral("parameters")), f.layerPath));
    }
};

bool followsFromLayer(const Finding& cause, const Finding& effect)
{
    return effect.layer == cause.layer || (effect.layer < 0 && roleOf(effect.symptom) == Role::Consequence);
}

const RegisterRule registered {{Symptom::NotInOptimizer, Role::Setup, 3, Once::PerLayer,
                                "trainable parameters the optimizer was not given", {},
                                [] { return std::make_unique<NotInOptimizerRule>(); }, followsFromLayer}};

} // namespace

} // namespace traindx
