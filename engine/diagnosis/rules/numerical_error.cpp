// numerical_error: NaN or infinite values in a layer's output, its parameters or its
// gradients. Forward, the first layer in forward order whose output breaks is where the
// values broke; backward runs from the output, so there the last layer is the origin.
#include "rule.h"

namespace traindx {

namespace {

class NumericalErrorRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!o.snapshot)
            return;
        const Snapshot& s = *o.snapshot;
        const QVector<int>& order = o.facts.order();
        for (int layer : order) {
            const LayerSample* sample = s.layer(layer);
            if (!sample || sample->stats(TensorKind::Activation).nonFinite() == 0)
                continue;
            const TensorStats& a = sample->stats(TensorKind::Activation);
            Finding f = findingAt(o, Symptom::NumericalError, layer, Location::Forward);
            f.summary = QStringLiteral("output of %1 has %2 NaN and %3 infinite values out of %4%5")
                            .arg(o.run.model.layers[layer].displayName()).arg(a.nan).arg(a.inf).arg(a.count)
                            .arg(s.initial ? QStringLiteral(", with the initial weights") : QString());
            f.evidence = {{QStringLiteral("nan"), double(a.nan)}, {QStringLiteral("inf"), double(a.inf)},
                          {QStringLiteral("count"), double(a.count)}, {QStringLiteral("initial_weights"), s.initial ? 1.0 : 0.0}};
            candidates.append({f});
            break;
        }
        for (int layer : order) {
            const LayerSample* sample = s.layer(layer);
            if (!sample)
                continue;
            const TensorStats& w = sample->stats(TensorKind::Weight);
            const TensorStats& b = sample->stats(TensorKind::Bias);
            const qint64 bad = w.nonFinite() + b.nonFinite();
            if (bad == 0)
                continue;
            Finding f = findingAt(o, Symptom::NumericalError, layer, Location::Weights);
            f.summary = QStringLiteral("parameters of %1 hold %2 NaN or infinite values")
                            .arg(o.run.model.layers[layer].displayName()).arg(bad);
            f.evidence = {{QStringLiteral("nan"), double(w.nan + b.nan)}, {QStringLiteral("inf"), double(w.inf + b.inf)},
                          {QStringLiteral("count"), double(w.count + b.count)}};
            candidates.append({f});
            break;
        }
        if (!candidates.isEmpty() || o.known(Symptom::NumericalError))
            return;
        for (int i = order.size() - 1; i >= 0; --i) {
            const LayerSample* sample = s.layer(order[i]);
            if (!sample)
                continue;
            const TensorStats& g = sample->stats(TensorKind::WeightGrad);
            if (g.nonFinite() == 0)
                continue;
            Finding f = findingAt(o, Symptom::NumericalError, order[i], Location::Gradients);
            f.summary = QStringLiteral("gradient of %1 has %2 NaN and %3 infinite values")
                            .arg(o.run.model.layers[order[i]].displayName()).arg(g.nan).arg(g.inf);
            f.evidence = {{QStringLiteral("nan"), double(g.nan)}, {QStringLiteral("inf"), double(g.inf)},
                          {QStringLiteral("count"), double(g.count)}};
            candidates.append({f});
            break;
        }
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        const QString layer = a.layerName(f.layer);
        if (f.location == Location::Gradients) {
            if (!a.byLearningRate(f, LearningRateVerdict::TooHigh))
                a.set(f, FixClass::ChangeActivation,
                      QStringLiteral("The gradient breaks first at %1: replace the activation after it with one whose "
                                     "derivative stays bounded (e.g. torch::nn::ReLU instead of an exponential), or clip "
                                     "gradients with torch::nn::utils::clip_grad_norm_.")
                          .arg(layer),
                      QStringLiteral("no checker fired: the decision tree's default for gradients"));
            return;
        }
        // Overflow with the weights as initialised: no step has been taken, so the learning
        // rate cannot be the cause.
        if (f.value(QStringLiteral("initial_weights")) > 0 || f.step == 0) {
            if (a.byData(f) || a.byInitialization(f))
                return;
            a.set(f, FixClass::ChangeActivation,
                  QStringLiteral("%1 overflows on the initial weights, before any update: its function grows too fast "
                                 "for its input (e.g. torch::exp); use a bounded or linear-growth activation, or clamp "
                                 "its input.")
                      .arg(layer),
                  QStringLiteral("forward overflow before the first step: data and initialisation in range, so the "
                                 "layer's function itself overflows"));
            return;
        }
        if (a.byInitialization(f) || a.byData(f) || a.byTargets(f) || a.byLearningRate(f, LearningRateVerdict::TooHigh))
            return;
        a.set(f, FixClass::ChangeLearningRate,
              QStringLiteral("Values overflow at %1: lower the learning rate%2, or clip gradients with "
                             "torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0) before optimizer.step().")
                  .arg(layer, a.currentLearningRate()),
              QStringLiteral("no checker fired; data and initialisation are sound, and the values were finite before "
                             "training moved the weights"));
    }
};

const RegisterRule registered {{Symptom::NumericalError, Role::Cause, 20, Once::PerLocation,
                                "NaN or infinite values in a layer's output, parameters or gradients", {},
                                [] { return std::make_unique<NumericalErrorRule>(); }}};

} // namespace

} // namespace traindx
