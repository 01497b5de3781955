// vanishing_gradient: the gradient reaching the first layer is a tiny fraction of the
// last layer's, while the model has not learned.
#include "gradient_scale.h"

namespace traindx {

namespace {

class VanishingGradientRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        const GradientScale g = gradientScale(o);
        if (g.first < 0)
            return;
        const double ratio = g.ratio();
        if (!(ratio < o.thresholds[QStringLiteral("vanishing_ratio")]) || !(g.rmsFirst < o.thresholds[QStringLiteral("vanishing_first_rms")])
            || hasConverged(o))
            return;
        Finding f = findingAt(o, Symptom::VanishingGradient, g.first, Location::Gradients);
        f.summary = QStringLiteral("the gradient reaching %1 is %2 times smaller than at %3 (RMS %4 against %5)")
                        .arg(o.run.model.layers[g.first].displayName())
                        .arg(1.0 / ratio, 0, 'g', 3)
                        .arg(o.run.model.layers[g.last].displayName())
                        .arg(g.rmsFirst, 0, 'g', 3)
                        .arg(g.rmsLast, 0, 'g', 3);
        f.evidence = {{QStringLiteral("gradient_rms_first"), g.rmsFirst},
                      {QStringLiteral("gradient_rms_last"), g.rmsLast},
                      {QStringLiteral("ratio"), ratio},
                      {QStringLiteral("threshold"), o.thresholds[QStringLiteral("vanishing_ratio")]}};
        candidates.append({f, 2, Cadence::Any});
    }

    // A gradient that faded while the model sat on a plateau, and training went on to halve
    // the loss: not what stopped it.
    bool recovered(const Observation& o, Finding& f) const override
    {
        if (!lossHalvedSince(o, f))
            return false;
        f.summary += QStringLiteral("; training then halved the loss, so it did not stop learning");
        return true;
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        const ModelFacts& facts = a.facts();
        // The early layers' steps are small because their gradient vanished; only the last
        // layer's step says whether the learning rate itself is too low.
        if (a.byLearningRate(f, LearningRateVerdict::TooLow, facts.outputParametric()) || a.byInitialization(f))
            return;
        bool squashing = false;
        for (int id : facts.parametric())
            if (id != facts.outputParametric()) {
                const ActivationKind act = facts.activationAfter(id);
                squashing = squashing || act == ActivationKind::Sigmoid || act == ActivationKind::Tanh;
            }
        const QString layer = a.layerName(f.layer);
        if (squashing)
            a.set(f, FixClass::ChangeActivation,
                  QStringLiteral("Each Sigmoid or Tanh in the hidden layers shrinks the gradient on its way back to %1: "
                                 "use torch::nn::ReLU in hidden layers.")
                      .arg(layer),
                  QStringLiteral("no learning-rate or initialisation problem; the hidden layers squash"));
        else
            a.set(f, FixClass::ChangeLayerCount,
                  QStringLiteral("The gradient fades over %1 layers before it reaches %2: use fewer layers, or add "
                                 "torch::nn::BatchNorm1d between them (or residual connections).")
                      .arg(facts.parametric().size())
                      .arg(layer),
                  QStringLiteral("no learning-rate or initialisation problem; the network is too deep for its gradients"));
    }
};

const RegisterRule registered {{Symptom::VanishingGradient, Role::Cause, 24, Once::PerSymptom,
                                "the first layer's gradient a tiny fraction of the last layer's",
                                {QStringLiteral("vanishing_ratio"), QStringLiteral("vanishing_first_rms")},
                                [] { return std::make_unique<VanishingGradientRule>(); }}};

} // namespace

} // namespace traindx
