// loss_not_decreasing: the training loss does not improve over a window of epochs while it
// is still at least half of what a model that knows nothing scores. A converged model is
// flat too.
#include "progress_advice.h"

#include <cmath>

namespace traindx {

namespace {

class LossNotDecreasingRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!o.snapshot || !o.snapshot->epochEnd || o.run.model.lossAdversarial)
            return; // a loss that pushes against another (a GAN's) is not expected to fall
        const int window = std::max(1, int(o.thresholds[QStringLiteral("progress_window_epochs")]));
        const QVector<double> loss = epochSeries(o, QStringLiteral("train_loss"));
        if (loss.size() <= window) {
            detectPinnedAtChance(o, loss, candidates);
            return;
        }
        const double before = loss[loss.size() - 1 - window];
        double best = loss.last();
        for (int i = loss.size() - window; i < loss.size(); ++i)
            best = std::min(best, loss[i]);
        if (!std::isfinite(before) || !std::isfinite(best))
            return; // invalid_loss
        const double improvement = (before - best) / std::max(std::abs(before), 1e-12);
        if (improvement >= o.thresholds[QStringLiteral("loss_min_improvement")])
            return;
        const double chance = o.facts.chanceLoss();
        const double reference = chance > 0 ? 0.5 * chance : 0.5 * loss.first();
        if (best < reference || hasConverged(o))
            return;
        Finding f = findingAt(o, Symptom::LossNotDecreasing, -1, Location::Metric);
        f.summary = QStringLiteral("the training loss went from %1 to at best %2 over the last %3 epochs (%4 % better)")
                        .arg(before, 0, 'g', 4)
                        .arg(best, 0, 'g', 4)
                        .arg(window)
                        .arg(100 * improvement, 0, 'f', 2);
        f.evidence = {{QStringLiteral("loss_before"), before}, {QStringLiteral("loss_best"), best},
                      {QStringLiteral("relative_improvement"), improvement}, {QStringLiteral("epochs"), double(window)}};
        if (chance > 0)
            f.evidence.append({QStringLiteral("chance_loss"), chance});
        candidates.append({f});
    }

    void advise(Finding& f, const Advisor& a) const override { adviseNoProgress(f, a); }

    // Before a whole window of epochs: two epoch losses both within 5 % of the loss of a
    // model that knows nothing, the second not 0.1 % better than the first. Short runs get
    // a verdict too, and no model that learns sits exactly there.
    static void detectPinnedAtChance(const Observation& o, const QVector<double>& loss, QVector<Candidate>& candidates)
    {
        const double chance = o.facts.chanceLoss();
        if (loss.size() < 2 || !(chance > 0))
            return;
        const double before = loss[loss.size() - 2], now = loss.last();
        auto atChance = [chance](double value) { return std::abs(value - chance) <= 0.05 * chance; };
        if (!atChance(before) || !atChance(now) || before - now >= 1e-3 * before)
            return;
        Finding f = findingAt(o, Symptom::LossNotDecreasing, -1, Location::Metric);
        f.summary = QStringLiteral("the training loss stays at %1, the %2 of a model that knows nothing, over the last 2 "
                                   "epochs")
                        .arg(now, 0, 'g', 4)
                        .arg(chance, 0, 'g', 4);
        f.evidence = {{QStringLiteral("loss_before"), before}, {QStringLiteral("loss_best"), now},
                      {QStringLiteral("relative_improvement"), (before - now) / before},
                      {QStringLiteral("epochs"), 2}, {QStringLiteral("chance_loss"), chance}};
        candidates.append({f});
    }

    // A plateau that training left: the epoch loss is now under half its best on it.
    bool recovered(const Observation& o, Finding& f) const override
    {
        const QVector<double> loss = epochSeries(o, QStringLiteral("train_loss"));
        const double best = f.value(QStringLiteral("loss_best"));
        if (loss.isEmpty() || !(best > 0) || !(loss.last() < 0.5 * best))
            return false;
        f.summary += QStringLiteral("; then it fell to %1 by epoch %2: a plateau that training left")
                         .arg(loss.last(), 0, 'g', 4)
                         .arg(loss.size());
        f.evidence.append({QStringLiteral("loss_after_plateau"), loss.last()});
        return true;
    }
};

const RegisterRule registered {{Symptom::LossNotDecreasing, Role::Consequence, 43, Once::PerSymptom,
                                "the training loss does not improve while it is still high",
                                {QStringLiteral("progress_window_epochs"), QStringLiteral("loss_min_improvement")},
                                [] { return std::make_unique<LossNotDecreasingRule>(); }}};

} // namespace

} // namespace traindx
