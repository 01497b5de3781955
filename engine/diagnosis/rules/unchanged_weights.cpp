// unchanged_weights: the measured step ||W_t - W_t-1|| / ||W_t-1|| stays below a tiny
// ratio over several samples (or the change over whole epochs does) — never that two
// floats compare equal.
#include "rule.h"

namespace traindx {

namespace {

class UnchangedWeightsRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!o.snapshot || o.snapshot->initial)
            return;
        const bool epoch = o.snapshot->epochEnd; // epoch ends repeat the last measured step
        const double limit = o.thresholds[epoch ? QStringLiteral("unchanged_epoch_ratio") : QStringLiteral("unchanged_update_ratio")];
        const int sustain = int(o.thresholds[epoch ? QStringLiteral("sustain_epochs") : QStringLiteral("unchanged_samples")]);
        for (int layer : o.facts.parametric()) {
            if (o.facts.frozen(layer))
                continue; // the program chose not to train it
            const LayerSample* sample = o.snapshot->layer(layer);
            const double ratio = sample ? (epoch ? sample->epochUpdateRatio : sample->updateRatio) : -1;
            if (!(ratio >= 0) || ratio >= limit)
                continue;
            Finding f = findingAt(o, Symptom::UnchangedWeights, layer, Location::Weights);
            f.summary = QStringLiteral("the weights of %1 did not move: %2 by less than %3 of their size")
                            .arg(o.run.model.layers[layer].displayName(),
                                 epoch ? QStringLiteral("over each of the last %1 epochs they changed").arg(sustain)
                                       : QStringLiteral("each of the last %1 steps measured changed them").arg(sustain))
                            .arg(limit);
            f.evidence = {{epoch ? QStringLiteral("epoch_update_ratio") : QStringLiteral("update_ratio"), ratio},
                          {QStringLiteral("threshold"), limit},
                          {epoch ? QStringLiteral("epochs") : QStringLiteral("samples"), double(sustain)}};
            const TensorStats& g = sample->stats(TensorKind::WeightGrad);
            if (g.present)
                f.evidence.append({QStringLiteral("gradient_rms"), rms(g)});
            f.severity = hasConverged(o) ? Severity::Warning : Severity::Fault;
            candidates.append({f, sustain, epoch ? Cadence::EpochLevel : Cadence::BatchSample});
        }
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        const QString layer = a.layerName(f.layer);
        if (a.updatedElsewhere(f.layer)) {
            a.set(f, FixClass::ChangeOptimizer,
                  QStringLiteral("%1 has gradients but its weights do not move while other layers train: its parameters "
                                 "are not given to the optimizer. Build the optimizer from model->parameters().")
                      .arg(layer),
                  QStringLiteral("learning-rate checker: other layers move at a normal rate, this one not at all"));
            return;
        }
        if (a.byLearningRate(f, LearningRateVerdict::TooHigh) || a.byLearningRate(f, LearningRateVerdict::TooLow)
            || a.byInitialization(f, f.layer))
            return;
        a.set(f, FixClass::ChangeOptimizer,
              QStringLiteral("The weights of %1 are not updated: check that its parameters are passed to the optimizer "
                             "(model->parameters()).")
                  .arg(layer),
              QStringLiteral("no other cause found — learning rate and initialisation are in range"));
    }
};

const RegisterRule registered {{Symptom::UnchangedWeights, Role::Consequence, 41, Once::PerLayer,
                                "weights whose measured update stays negligible",
                                {QStringLiteral("unchanged_update_ratio"), QStringLiteral("unchanged_samples"),
                                 QStringLiteral("unchanged_epoch_ratio"), QStringLiteral("sustain_epochs")},
                                [] { return std::make_unique<UnchangedWeightsRule>(); }}};

} // namespace

} // namespace traindx
