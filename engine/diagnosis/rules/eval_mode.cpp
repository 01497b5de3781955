// eval_mode: the model is in evaluation mode while it trains. With Dropout or BatchNorm
// that changes what is trained (no dropout; normalisation by running statistics that
// never update); without them it is harmless and only a warning.
#include "rule.h"

namespace traindx {

namespace {

bool modeDependent(const Layer& layer)
{
    return layer.type.contains(QLatin1String("Dropout")) || layer.type.startsWith(QLatin1String("BatchNorm"));
}

class EvalModeRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (o.run.evalModeSnapshots < 2)
            return;
        QStringList affected;
        for (const Layer& layer : o.run.model.layers)
            if (layer.leaf && modeDependent(layer))
                affected.append(layer.displayName());
        Finding f = findingAt(o, Symptom::EvalMode, -1, Location::Setup);
        f.severity = affected.isEmpty() ? Severity::Warning : Severity::Fault;
        f.summary = affected.isEmpty()
            ? QStringLiteral("the model trains in evaluation mode (is_training() is false at the steps); no layer of it "
                             "behaves differently, so nothing changes yet")
            : QStringLiteral("the model trains in evaluation mode: %1 behave as at inference").arg(affected.join(QStringLiteral(", ")));
        f.evidence = {{QStringLiteral("snapshots_in_eval_mode"), double(o.run.evalModeSnapshots)},
                      {QStringLiteral("mode_dependent_layers"), 0, affected.join(QStringLiteral(", "))}};
        candidates.append({f});
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        a.set(f, FixClass::ChangeTrainingLoop,
              QStringLiteral("Call model->train() at the start of each training epoch, and model->eval() only around "
                             "validation or inference."),
              QStringLiteral("the probe saw is_training() false at training steps"));
    }
};

bool followsOnlyInMetrics(const Finding&, const Finding& effect)
{
    return roleOf(effect.symptom) == Role::Consequence;
}

const RegisterRule registered {{Symptom::EvalMode, Role::Setup, 6, Once::PerSymptom,
                                "training with the model in evaluation mode", {},
                                [] { return std::make_unique<EvalModeRule>(); }, followsOnlyInMetrics}};

} // namespace

} // namespace traindx
