// no_gradient: trainable parameters that the optimizer updates, yet backward never gives
// them a gradient — the loss does not depend on them: a .detach(), a NoGradGuard or an
// .item() between them and the loss, or a layer the forward pass skips.
#include "rule.h"

#include <cmath>

namespace traindx {

namespace {

class NoGradientRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        // After a step (a sample or an epoch end): undefined then is a fact, not noise.
        if (!o.snapshot || o.snapshot->initial || o.run.points.isEmpty())
            return;
        QVector<int> missing;
        for (const LayerSample& sample : o.snapshot->layers)
            if (sample.noGradient)
                missing.append(sample.layer);
        if (missing.isEmpty())
            return;
        // The layer closest to the output is where the graph is cut; earlier ones follow.
        const QVector<int>& order = o.facts.order();
        int cut = missing.first();
        for (int layer : missing)
            if (order.indexOf(layer) > order.indexOf(cut))
                cut = layer;
        QStringList names;
        for (int layer : missing)
            names.append(o.run.model.layers[layer].displayName());
        Finding f = findingAt(o, Symptom::NoGradient, cut, Location::Gradients);
        f.summary = QStringLiteral("backward gives no gradient to %1, though the optimizer updates %2")
                        .arg(names.join(QStringLiteral(", ")), missing.size() == 1 ? QStringLiteral("it") : QStringLiteral("them"));
        f.evidence = {{QStringLiteral("layers_without_gradient"), double(missing.size())},
                      {QStringLiteral("layers"), 0, names.join(QStringLiteral(", "))}};
        f.severity = hasConverged(o) ? Severity::Warning : Severity::Fault;
        candidates.append({f});
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        a.set(f, FixClass::ChangeTrainingLoop,
              QStringLiteral("No gradient reaches %1: the loss does not depend on its parameters. Look for a .detach(), "
                             "a torch::NoGradGuard, an .item() or a tensor rebuilt from data between %1 and the loss; if "
                             "the layer is unused, remove it.")
                  .arg(a.layerName(f.layer)),
              QStringLiteral("after backward and the optimizer's step, the gradient of %1 is undefined")
                  .arg(f.text(QStringLiteral("layers"))));
    }
};

bool followsFromLayers(const Finding& cause, const Finding& effect)
{
    return cause.text(QStringLiteral("layers")).contains(effect.layerType) || effect.layer == cause.layer
        || (effect.layer < 0 && roleOf(effect.symptom) == Role::Consequence);
}

const RegisterRule registered {{Symptom::NoGradient, Role::Setup, 4, Once::PerSymptom,
                                "trainable parameters that backward never reaches", {},
                                [] { return std::make_unique<NoGradientRule>(); }, followsFromLayers}};

} // namespace

} // namespace traindx
