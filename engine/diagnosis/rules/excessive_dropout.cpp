// excessive_dropout: a Dropout rate so high that the model cannot fit the training data —
// blamed only while the model stays near guessing or its training has stalled.
#include "rule.h"

#include <cmath>

namespace traindx {

namespace {

bool nearChance(const Observation& o)
{
    const QVector<double> accuracy = epochSeries(o, QStringLiteral("train_accuracy"));
    if (!accuracy.isEmpty()) {
        const double chance = o.facts.chanceAccuracy();
        const double floor = chance >= 0 ? chance + 0.25 * (1 - chance) : 0.5;
        return *std::max_element(accuracy.begin(), accuracy.end()) <= floor;
    }
    const QVector<double> loss = epochSeries(o, QStringLiteral("train_loss"));
    const double chance = o.facts.chanceLoss();
    return !loss.isEmpty() && chance > 0 && *std::min_element(loss.begin(), loss.end()) >= 0.5 * chance;
}

class ExcessiveDropoutRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        const bool stalled = o.known(Symptom::LossNotDecreasing) || o.known(Symptom::AccuracyNotIncreasing);
        if (!o.epochLevel() || !(nearChance(o) || stalled))
            return;
        const double limit = o.thresholds[QStringLiteral("dropout_max")];
        int worst = -1;
        double rate = 0;
        for (int layer : o.facts.order()) {
            const double p = ModelFacts::dropoutRate(o.run.model.layers[layer]);
            if (p >= limit && p > rate) {
                worst = layer;
                rate = p;
            }
        }
        if (worst < 0)
            return;
        Finding f = findingAt(o, Symptom::ExcessiveDropout, worst, Location::Setup);
        f.summary = (stalled ? QStringLiteral("%1 drops %2 % of its inputs at every step and training has stalled")
                             : QStringLiteral("%1 drops %2 % of its inputs at every step and the model stays near guessing"))
                        .arg(o.run.model.layers[worst].displayName())
                        .arg(100 * rate, 0, 'f', 0);
        f.evidence = {{QStringLiteral("dropout_rate"), rate}, {QStringLiteral("threshold"), limit}};
        candidates.append({f, int(o.thresholds[QStringLiteral("sustain_epochs")]), Cadence::EpochLevel});
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        a.set(f, FixClass::ChangeLayerCount,
              QStringLiteral("Lower the rate of %1 to 0.1–0.5 (torch::nn::Dropout(0.2)), or remove it until the model "
                             "fits the training data.")
                  .arg(a.layerName(f.layer)),
              QStringLiteral("architecture checker: dropout %1 while the training accuracy stays near chance")
                  .arg(formatNumber(f.value(QStringLiteral("dropout_rate")))));
    }
};

bool followsOnlyInMetrics(const Finding&, const Finding& effect)
{
    return roleOf(effect.symptom) == Role::Consequence;
}

const RegisterRule registered {{Symptom::ExcessiveDropout, Role::Setup, 8, Once::PerSymptom,
                                "dropout too high for the model to fit",
                                {QStringLiteral("dropout_max"), QStringLiteral("sustain_epochs")},
                                [] { return std::make_unique<ExcessiveDropoutRule>(); }, followsOnlyInMetrics}};

} // namespace

} // namespace traindx
