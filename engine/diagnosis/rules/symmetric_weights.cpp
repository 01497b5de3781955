// symmetric_weights: every weight of a layer starts at the same value, so all its units
// compute the same thing, receive the same gradient and stay identical: the layer works
// as one unit, however wide it is.
#include "rule.h"

#include <cmath>

namespace traindx {

namespace {

class SymmetricWeightsRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!o.snapshot || !o.snapshot->initial)
            return;
        for (int layer : o.facts.parametric()) {
            const LayerSample* sample = o.snapshot->layer(layer);
            if (!sample)
                continue;
            const TensorStats& w = sample->stats(TensorKind::Weight);
            const Layer& l = o.run.model.layers[layer];
            const qint64 units = l.parameters.isEmpty() || l.parameters.first().dims.isEmpty() ? 0 : l.parameters.first().dims.first();
            if (!w.present || w.count < 2 || units < 2 || w.nonFinite() > 0 || w.min != w.max)
                continue;
            Finding f = findingAt(o, Symptom::SymmetricWeights, layer, Location::Weights);
            f.summary = QStringLiteral("all %1 weights of %2 start at %3: its %4 units are identical and stay so")
                            .arg(w.count).arg(l.displayName(), formatNumber(w.mean)).arg(units);
            f.evidence = {{QStringLiteral("initial_weight"), w.mean}, {QStringLiteral("weights"), double(w.count)},
                          {QStringLiteral("units"), double(units)}};
            candidates.append({f});
        }
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        a.set(f, FixClass::ChangeInitialization,
              QStringLiteral("Initialise %1 with random weights that break the symmetry: keep the layer's default "
                             "initialisation, or torch::nn::init::kaiming_uniform_ before ReLU and xavier_uniform_ before "
                             "Tanh or Sigmoid, instead of a constant.")
                  .arg(a.layerName(f.layer)),
              QStringLiteral("initialisation checker: every initial weight of the layer is %1 (minimum = maximum)")
                  .arg(formatNumber(f.value(QStringLiteral("initial_weight")))));
    }
};

const RegisterRule registered {{Symptom::SymmetricWeights, Role::Setup, 7, Once::PerLayer,
                                "a layer whose weights all start at one value", {},
                                [] { return std::make_unique<SymmetricWeightsRule>(); }}};

} // namespace

} // namespace traindx
