// exploding_gradient: a first/last gradient ratio far above one while the loss does not
// improve, a gradient huge in absolute terms, or one that keeps growing tenfold.
#include "gradient_scale.h"

namespace traindx {

namespace {

bool lossImproving(const Observation& o)
{
    const QVector<double> loss = epochSeries(o, QStringLiteral("train_loss"));
    if (loss.size() < 2)
        return true; // too early to say
    return loss.last() < 0.99 * loss[loss.size() - 2];
}

class ExplodingGradientRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        const GradientScale g = gradientScale(o);
        if (g.first < 0)
            return;
        const double largest = std::max(g.rmsFirst, g.rmsLast);
        const bool exploding = (g.ratio() > o.thresholds[QStringLiteral("exploding_ratio")] && !lossImproving(o))
            || largest > o.thresholds[QStringLiteral("exploding_norm")] || growing(o, largest);
        if (o.snapshot->epochEnd)
            m_previousLargest = largest;
        if (!exploding)
            return;
        const int layer = g.rmsFirst >= g.rmsLast ? g.first : g.last;
        Finding f = findingAt(o, Symptom::ExplodingGradient, layer, Location::Gradients);
        f.summary = QStringLiteral("the gradient of %1 has grown to RMS %2 (first/last layer ratio %3)")
                        .arg(o.run.model.layers[layer].displayName())
                        .arg(largest, 0, 'g', 3)
                        .arg(g.ratio(), 0, 'g', 3);
        f.evidence = {{QStringLiteral("gradient_rms_first"), g.rmsFirst},
                      {QStringLiteral("gradient_rms_last"), g.rmsLast},
                      {QStringLiteral("ratio"), g.ratio()}};
        candidates.append({f, 2, Cadence::Any});
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        if (a.byData(f) || a.byTargets(f) || a.byInitialization(f) || a.byLearningRate(f, LearningRateVerdict::TooHigh))
            return;
        a.set(f, FixClass::ChangeOptimizer,
              QStringLiteral("Clip the gradients before each step: torch::nn::utils::clip_grad_norm_(model->parameters(), "
                             "1.0)%1.")
                  .arg(a.run().model.optimizer == QLatin1String("Adam") ? QString()
                                                                       : QStringLiteral(", or use torch::optim::Adam, whose "
                                                                                        "steps do not grow with the gradient")),
              QStringLiteral("no other cause found — data, learning rate and initialisation are in range"));
    }

private:
    bool growing(const Observation& o, double largest)
    {
        if (!o.snapshot->epochEnd || m_previousLargest <= 0)
            return false;
        // Growth from a tiny gradient to a normal one is learning starting, not an explosion.
        return largest > o.thresholds[QStringLiteral("exploding_growth")] * m_previousLargest && largest > 1.0
            && !lossImproving(o);
    }

    double m_previousLargest = 0;
};

const RegisterRule registered {{Symptom::ExplodingGradient, Role::Cause, 23, Once::PerSymptom,
                                "gradients that grow out of proportion",
                                {QStringLiteral("exploding_ratio"), QStringLiteral("exploding_norm"),
                                 QStringLiteral("exploding_growth")},
                                [] { return std::make_unique<ExplodingGradientRule>(); }}};

} // namespace

} // namespace traindx
