// zero_signal: a tensor that is exactly zero everywhere carries no signal — a gradient
// under a softmax over one unit, weights initialised to zero that never moved, a layer
// whose every output is 0.
#include "rule.h"

#include <cmath>

namespace traindx {

namespace {

bool allZero(const TensorStats& stats)
{
    return stats.present && stats.count > 0 && stats.zeros == stats.count;
}

class ZeroSignalRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!o.snapshot)
            return;
        const Snapshot& s = *o.snapshot;
        if (!s.initial && !o.known(Symptom::ZeroSignal, -2, Location::Gradients))
            examineGradients(o, s, candidates);
        examineWeights(o, s, candidates);
        if (o.epochLevel())
            examineOutputs(o, s, candidates);
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        const QString layer = a.layerName(f.layer);
        if (f.location == Location::Weights) {
            a.set(f, FixClass::ChangeInitialization,
                  QStringLiteral("The weights of %1 are all 0, so its units stay identical: initialise them with "
                                 "torch::nn::init::kaiming_uniform_ or xavier_uniform_ instead of zeros.")
                      .arg(layer),
                  QStringLiteral("initialisation checker: every weight is exactly 0"));
            return;
        }
        // What follows the layer decides where the signal dies.
        const ModelFacts& facts = a.facts();
        const int after = facts.activationLayerAfter(f.layer);
        const Layer* next = a.run().model.layer(after);
        if (next && facts.isOneUnitSoftmax(after)) {
            a.set(f, FixClass::ChangeActivation,
                  QStringLiteral("%1 over 1 unit: its output is always 1 and its gradient exactly 0, so %2 never learns — "
                                 "use torch::nn::Sigmoid with BCELoss, or 2 units with CrossEntropyLoss.")
                      .arg(a.layerName(after), layer),
                  QStringLiteral("decision tree: zero gradient under a softmax over one unit → change the activation"));
            return;
        }
        if (a.byInitialization(f))
            return;
        if (next && activationOf(next->type) == ActivationKind::Relu) {
            a.set(f, FixClass::ChangeActivation,
                  QStringLiteral("%1 passes no gradient back to %2: all its units are off. Use %3.")
                      .arg(a.activationName(after), layer,
                           a.inProgramsForm(after, QStringLiteral("torch::nn::LeakyReLU"), QStringLiteral("torch::leaky_relu"))),
                  QStringLiteral("decision tree: zero gradient under dead ReLU units → change the activation"));
            return;
        }
        if (a.byLearningRate(f, LearningRateVerdict::TooHigh))
            return; // steps too large drove the layers before it dead
        a.set(f, FixClass::ChangeTrainingLoop,
              QStringLiteral("No gradient reaches %1: the loss does not depend on it. Compute the loss from the model's "
                             "output (no .detach(), no NoGradGuard, no .item() in between).")
                  .arg(layer),
              QStringLiteral("no other cause found — the gradient is cut between the loss and this layer"));
    }

private:
    // Zero where backward enters the network, the layer closest to the output, is the
    // origin; layers before it are starved by it.
    static void examineGradients(const Observation& o, const Snapshot& s, QVector<Candidate>& candidates)
    {
        // A loss of zero has zero gradients legitimately: nothing left to learn. So has a
        // converged classifier whose output sigmoid is certain.
        const auto& points = o.run.points;
        if (points.isEmpty() || !(std::abs(points.last().loss) > 1e-7) || !std::isfinite(points.last().loss) || hasConverged(o))
            return;
        const QVector<int>& layers = o.facts.parametric();
        for (int i = layers.size() - 1; i >= 0; --i) {
            const LayerSample* sample = s.layer(layers[i]);
            if (!sample || !allZero(sample->stats(TensorKind::WeightGrad)) || starvedFromOutside(o, layers[i]))
                continue;
            int starved = 0;
            for (int j = 0; j < i; ++j)
                if (const LayerSample* before = s.layer(layers[j]); before && allZero(before->stats(TensorKind::WeightGrad)))
                    ++starved;
            const Layer& layer = o.run.model.layers[layers[i]];
            Finding f = findingAt(o, Symptom::ZeroSignal, layers[i], Location::Gradients);
            const TensorStats& g = sample->stats(TensorKind::WeightGrad);
            f.summary = QStringLiteral("every one of the %1 weight gradients of %2 is exactly 0 while the loss is %3")
                            .arg(g.count).arg(layer.displayName()).arg(points.last().loss);
            f.evidence = {{QStringLiteral("zero_gradients"), double(g.zeros)},
                          {QStringLiteral("gradient_count"), double(g.count)},
                          {QStringLiteral("loss"), points.last().loss},
                          {QStringLiteral("earlier_layers_with_zero_gradient"), double(starved)}};
            candidates.append({f});
            return;
        }
    }

    // A layer whose input is all zero or comes from a ReLU layer with almost every unit dead
    // (a dropout after it can zero the few left), or behind a ReLU layer whose every unit
    // is dead, gets no gradient because of another layer: that layer's own symptom is the
    // finding.
    static bool starvedFromOutside(const Observation& o, int layer)
    {
        const QVector<int>& order = o.facts.order();
        const int at = order.indexOf(layer);
        if (at > 0) {
            const SnapshotPtr input = o.run.latestWith(order[at - 1], TensorKind::Activation);
            if (input && allZero(input->layer(order[at - 1])->stats(TensorKind::Activation)))
                return true;
            int source = at - 1;
            while (source > 0 && isPassThrough(o.run.model.layers[order[source]].type))
                --source;
            const SnapshotPtr relu = activationOf(o.run.model.layers[order[source]].type) == ActivationKind::Relu
                ? o.run.latestWith(order[source], TensorKind::Activation)
                : nullptr;
            if (relu && relu->layer(order[source])->deadFraction >= 0.9f)
                return true;
        }
        for (int i = at + 1; i < order.size(); ++i) {
            if (activationOf(o.run.model.layers[order[i]].type) != ActivationKind::Relu)
                continue;
            const SnapshotPtr output = o.run.latestWith(order[i], TensorKind::Activation);
            if (output && output->layer(order[i])->deadFraction >= 1.0f)
                return true; // a dead ReLU layer on the way back stops every gradient
        }
        return false;
    }

    static void examineWeights(const Observation& o, const Snapshot& s, QVector<Candidate>& candidates)
    {
        for (int layer : o.facts.parametric()) {
            const LayerSample* sample = s.layer(layer);
            if (!sample || !allZero(sample->stats(TensorKind::Weight)))
                continue;
            Finding f = findingAt(o, Symptom::ZeroSignal, layer, Location::Weights);
            f.summary = QStringLiteral("all %1 weights of %2 are exactly 0")
                            .arg(sample->stats(TensorKind::Weight).count)
                            .arg(o.run.model.layers[layer].displayName());
            f.evidence = {{QStringLiteral("zero_weights"), double(sample->stats(TensorKind::Weight).zeros)}};
            candidates.append({f, 2, Cadence::Any});
        }
    }

    static void examineOutputs(const Observation& o, const Snapshot& s, QVector<Candidate>& candidates)
    {
        if (!o.run.data.present || allZero(o.run.data.inputs))
            return;
        const int sustain = int(o.thresholds[QStringLiteral("sustain_epochs")]);
        for (int layer : o.facts.order()) {
            const Layer& l = o.run.model.layers[layer];
            // All-zero ReLU outputs are dead units (their own rule); pass-through layers repeat their input.
            if (activationOf(l.type) == ActivationKind::Relu || isPassThrough(l.type))
                continue;
            const LayerSample* sample = s.layer(layer);
            if (!sample || !allZero(sample->stats(TensorKind::Activation)))
                continue;
            Finding f = findingAt(o, Symptom::ZeroSignal, layer, Location::Forward);
            f.summary = QStringLiteral("every output of %1 is exactly 0 on the probe batch").arg(l.displayName());
            f.evidence = {{QStringLiteral("zero_outputs"), double(sample->stats(TensorKind::Activation).zeros)}};
            candidates.append({f, sustain, Cadence::EpochLevel});
            return; // later layers only repeat it
        }
    }
};

const RegisterRule registered {{Symptom::ZeroSignal, Role::Cause, 22, Once::PerLayer,
                                "a gradient, weight or output tensor that is exactly zero everywhere",
                                {QStringLiteral("sustain_epochs")}, [] { return std::make_unique<ZeroSignalRule>(); }}};

} // namespace

} // namespace traindx
