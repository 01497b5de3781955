// numerical_error: NaN or infinite values in a layer's output, its parameters or its
// gradients. Forward, the first layer in forward order whose output breaks is where the
// values broke; backward runs from the output, so there the last layer is the origin.
#include "rule.h"

namespace traindx {

namespace {

class NumericalErrorRule : public Rule {
    // The probe's gradient hooks saw it before the optimizer used it: that exact step.
    static Finding fromGradientHooks(const Observation& o)
    {
        const NonFiniteGradient& n = o.run.nonFiniteGradient;
        Finding f = findingAt(o, Symptom::NumericalError, n.layer, Location::Gradients);
        f.epoch = n.epoch;
        f.batch = n.batch + 1;
        f.step = n.step;
        const QString layer = n.layer >= 0 ? o.run.model.layers[n.layer].displayName() : QStringLiteral("a layer");
        f.summary = n.forward ? QStringLiteral("at step %1 every gradient was already NaN or infinite, first at %2.%3: the "
                                               "loss or the output was not finite")
                                    .arg(n.step + 1)
                                    .arg(layer, n.parameter)
                              : QStringLiteral("at step %1 backward produced a NaN or infinite gradient at %2.%3, before "
                                               "the optimizer used it")
                                    .arg(n.step + 1)
                                    .arg(layer, n.parameter);
        f.evidence = {{QStringLiteral("step"), double(n.step + 1)},
                      {QStringLiteral("parameter"), 0, n.parameter},
                      {QStringLiteral("forward_overflow"), n.forward ? 1.0 : 0.0},
                      {QStringLiteral("from_hooks"), 1.0}};
        return f;
    }

public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (o.run.nonFiniteGradient.present && !o.known(Symptom::NumericalError, -2, Location::Gradients)) {
            candidates.append({fromGradientHooks(o)});
            return;
        }
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
        if (f.location == Location::Gradients && f.value(QStringLiteral("forward_overflow")) > 0) {
            // The loss was not finite before backward began: the forward pass overflowed.
            if (f.step == 0 && (a.byData(f) || a.byTargets(f) || a.byInitialization(f)))
                return;
            if (f.step > 0 && (a.byData(f) || a.byTargets(f) || a.byLearningRate(f, LearningRateVerdict::TooHigh)))
                return;
            a.set(f, FixClass::ChangeLearningRate,
                  QStringLiteral("The forward pass overflowed at step %1, after the weights had grown: lower the learning "
                                 "rate%2, or clip gradients with torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0).")
                      .arg(f.step + 1)
                      .arg(a.currentLearningRate()),
                  QStringLiteral("gradient hooks: every gradient of step %1 was already broken, so the loss was; data in range")
                      .arg(f.step + 1));
            return;
        }
        if (f.location == Location::Gradients && f.value(QStringLiteral("from_hooks")) > 0) {
            if (a.byLearningRate(f, LearningRateVerdict::TooHigh) || a.byInitialization(f))
                return;
            a.set(f, FixClass::ChangeLearningRate,
                  QStringLiteral("The gradient of %1 overflowed in backward at step %2: lower the learning rate%3 and clip "
                                 "gradients with torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0) before "
                                 "optimizer.step().")
                      .arg(layer)
                      .arg(f.step + 1)
                      .arg(a.currentLearningRate()),
                  QStringLiteral("gradient hooks: the loss was finite, the gradient broke on its way back; initialisation "
                                 "in range"));
            return;
        }
        if (f.location == Location::Gradients) {
            if (!a.byLearningRate(f, LearningRateVerdict::TooHigh))
                a.set(f, FixClass::ChangeActivation,
                      QStringLiteral("The gradient breaks first at %1: replace the activation after it with one whose "
                                     "derivative stays bounded (e.g. torch::nn::ReLU instead of an exponential), or clip "
                                     "gradients with torch::nn::utils::clip_grad_norm_.")
                          .arg(layer),
                      QStringLiteral("no other cause found — the decision tree's default for gradients"));
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
              QStringLiteral("no other cause found; data and initialisation are sound, and the values were finite before "
                             "training moved the weights"));
    }
};

const RegisterRule registered {{Symptom::NumericalError, Role::Cause, 20, Once::PerLocation,
                                "NaN or infinite values in a layer's output, parameters or gradients", {},
                                [] { return std::make_unique<NumericalErrorRule>(); }}};

} // namespace

} // namespace traindx
