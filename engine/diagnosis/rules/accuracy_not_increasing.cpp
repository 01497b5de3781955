// accuracy_not_increasing: the training accuracy does not improve over a window of epochs
// while it stays near guessing. A plateau well above chance is a model that learned.
#include "progress_advice.h"

namespace traindx {

namespace {

class AccuracyNotIncreasingRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!o.snapshot || !o.snapshot->epochEnd)
            return;
        const int window = std::max(1, int(o.thresholds[QStringLiteral("progress_window_epochs")]));
        const QVector<double> accuracy = epochSeries(o, QStringLiteral("train_accuracy"));
        if (accuracy.size() <= window)
            return;
        const double before = accuracy[accuracy.size() - 1 - window];
        double best = accuracy.last();
        for (int i = accuracy.size() - window; i < accuracy.size(); ++i)
            best = std::max(best, accuracy[i]);
        if (best - before >= o.thresholds[QStringLiteral("accuracy_min_improvement")])
            return;
        const double chance = o.facts.chanceAccuracy();
        const double floor = chance >= 0 ? chance + 0.25 * (1 - chance) : 0.5;
        double bestEver = 0;
        for (double a : accuracy)
            bestEver = std::max(bestEver, a);
        if (bestEver > floor || hasConverged(o))
            return;
        Finding f = findingAt(o, Symptom::AccuracyNotIncreasing, -1, Location::Metric);
        f.summary = QStringLiteral("the training accuracy stays at %1 (chance is %2) and gained %3 over the last %4 epochs")
                        .arg(best, 0, 'f', 3)
                        .arg(chance, 0, 'f', 3)
                        .arg(best - before, 0, 'f', 3)
                        .arg(window);
        f.evidence = {{QStringLiteral("accuracy_before"), before}, {QStringLiteral("accuracy_best"), best},
                      {QStringLiteral("chance_accuracy"), chance}, {QStringLiteral("epochs"), double(window)}};
        candidates.append({f});
    }

    void advise(Finding& f, const Advisor& a) const override { adviseNoProgress(f, a); }

    // A plateau that training left: the accuracy is now half way from chance to perfect.
    bool recovered(const Observation& o, Finding& f) const override
    {
        const QVector<double> accuracy = epochSeries(o, QStringLiteral("train_accuracy"));
        const double chance = std::max(0.0, f.value(QStringLiteral("chance_accuracy")));
        if (accuracy.isEmpty() || !(accuracy.last() >= chance + 0.5 * (1 - chance)))
            return false;
        f.summary += QStringLiteral("; then it rose to %1 by epoch %2: a plateau that training left")
                         .arg(accuracy.last(), 0, 'f', 3)
                         .arg(accuracy.size());
        f.evidence.append({QStringLiteral("accuracy_after_plateau"), accuracy.last()});
        return true;
    }
};

const RegisterRule registered {{Symptom::AccuracyNotIncreasing, Role::Consequence, 44, Once::PerSymptom,
                                "the training accuracy stays near chance",
                                {QStringLiteral("progress_window_epochs"), QStringLiteral("accuracy_min_improvement")},
                                [] { return std::make_unique<AccuracyNotIncreasingRule>(); }}};

} // namespace

} // namespace traindx
