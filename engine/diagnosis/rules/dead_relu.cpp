// dead_relu: units counted per unit (feature or channel) — a unit is dead when it is never
// positive for any row of the probe batch. The share of zero elements says nothing: a
// healthy ReLU layer is sparse.
#include "rule.h"

namespace traindx {

namespace {

class DeadReluRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!o.epochLevel())
            return;
        const double threshold = o.thresholds[QStringLiteral("dead_unit_fraction")];
        const int sustain = int(o.thresholds[QStringLiteral("sustain_epochs")]);
        for (int layer : o.facts.order()) {
            const Layer& l = o.run.model.layers[layer];
            if (activationOf(l.type) != ActivationKind::Relu)
                continue;
            const LayerSample* sample = o.snapshot->layer(layer);
            if (!sample || !sample->stats(TensorKind::Activation).present)
                continue;
            // NaN is never positive: a broken layer looks dead, but numerical_error is what it is.
            const TensorStats& a = sample->stats(TensorKind::Activation);
            if (!(sample->deadFraction > threshold) || a.nonFinite() > 0)
                continue;
            const int units = sample->unitActive.size();
            Finding f = findingAt(o, Symptom::DeadRelu, layer, Location::Forward);
            f.severity = sample->deadFraction >= 0.999 || !hasConverged(o) ? Severity::Fault : Severity::Warning;
            f.summary = units > 0 ? QStringLiteral("%1 of the %2 units of %3 never fire on the probe batch")
                                        .arg(qRound(sample->deadFraction * units))
                                        .arg(units)
                                        .arg(l.displayName())
                                  : QStringLiteral("%1 % of the units of %2 never fire")
                                        .arg(100.0 * sample->deadFraction, 0, 'f', 1)
                                        .arg(l.displayName());
            f.evidence = {{QStringLiteral("dead_unit_fraction"), sample->deadFraction},
                          {QStringLiteral("units"), double(units)},
                          {QStringLiteral("zero_output_fraction"), a.count > 0 ? double(a.zeros) / double(a.count) : 0},
                          {QStringLiteral("threshold"), threshold}};
            candidates.append({f, sustain, Cadence::EpochLevel});
        }
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        const int before = a.facts().previousParametric(f.layer);
        if (a.byData(f) || a.byInitialization(f, before) || a.byLearningRate(f, LearningRateVerdict::TooHigh)
            || a.byWeightGrowth(f, before))
            return;
        a.set(f, FixClass::ChangeActivation,
              QStringLiteral("Replace %1 with %2 (or ELU) so that units with negative input still pass a gradient "
                             "and can recover.")
                  .arg(a.activationName(f.layer),
                       a.inProgramsForm(f.layer,
                                        QStringLiteral("torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.01))"),
                                        QStringLiteral("torch::leaky_relu(x, 0.01)"))),
              QStringLiteral("no other cause found — data, initialisation and learning rate are in range"));
    }
};

const RegisterRule registered {{Symptom::DeadRelu, Role::Cause, 25, Once::PerLayer, "ReLU units that never fire",
                                {QStringLiteral("dead_unit_fraction"), QStringLiteral("sustain_epochs")},
                                [] { return std::make_unique<DeadReluRule>(); }}};

} // namespace

} // namespace traindx
