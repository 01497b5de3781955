// saturated_activation: most of a Sigmoid's or Tanh's inputs lie where its gradient is
// nearly zero. A trained classifier's output sigmoid is confident by design: saturation
// there is a symptom only while the model has not learned.
#include "rule.h"

namespace traindx {

namespace {

class SaturatedActivationRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!o.epochLevel())
            return;
        const double threshold = o.thresholds[QStringLiteral("saturation_fraction")];
        const int sustain = int(o.thresholds[QStringLiteral("sustain_epochs")]);
        for (int layer : o.facts.order()) {
            const Layer& l = o.run.model.layers[layer];
            const ActivationKind kind = activationOf(l.type);
            if (kind != ActivationKind::Sigmoid && kind != ActivationKind::Tanh)
                continue;
            const LayerSample* sample = o.snapshot->layer(layer);
            if (!sample || !sample->stats(TensorKind::Activation).present)
                continue;
            if (!(sample->saturatedFraction > threshold) || sample->stats(TensorKind::Activation).nonFinite() > 0)
                continue;
            if (layer == o.facts.outputLayer() && hasConverged(o))
                continue;
            Finding f = findingAt(o, Symptom::SaturatedActivation, layer, Location::Forward);
            f.summary = QStringLiteral("%1 of the outputs of %2 sit where its gradient is nearly 0 (input beyond ±5)")
                            .arg(QStringLiteral("%1 %").arg(100.0 * sample->saturatedFraction, 0, 'f', 1))
                            .arg(l.displayName());
            f.evidence = {{QStringLiteral("saturated_fraction"), sample->saturatedFraction},
                          {QStringLiteral("threshold"), threshold},
                          {QStringLiteral("epochs_saturated"), double(sustain)}};
            candidates.append({f, sustain, Cadence::EpochLevel});
        }
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        const int before = a.facts().previousParametric(f.layer);
        // Dropout scales what it keeps by 1 / (1 - p): at p = 0.9 the next layer's inputs
        // are ten times larger, enough to saturate it.
        if (a.byData(f) || a.byInitialization(f, before) || a.byDropout(f)
            || a.byLearningRate(f, LearningRateVerdict::TooHigh) || a.byWeightGrowth(f, before))
            return;
        a.set(f, FixClass::ChangeActivation,
              QStringLiteral("Replace %1 with %2 in hidden layers (keep Sigmoid only on a binary output), "
                             "or add torch::nn::BatchNorm1d before it to keep its input near 0.")
                  .arg(a.activationName(f.layer),
                       a.inProgramsForm(f.layer, QStringLiteral("torch::nn::ReLU"), QStringLiteral("torch::relu"))),
              QStringLiteral("no other cause found — data, initialisation and learning rate are in range"));
    }
};

const RegisterRule registered {{Symptom::SaturatedActivation, Role::Cause, 26, Once::PerLayer,
                                "most inputs of a Sigmoid or Tanh beyond ±5",
                                {QStringLiteral("saturation_fraction"), QStringLiteral("sustain_epochs")},
                                [] { return std::make_unique<SaturatedActivationRule>(); }}};

} // namespace

} // namespace traindx
