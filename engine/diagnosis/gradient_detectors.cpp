// unchanged_weights, vanishing_gradient, exploding_gradient: how much the weights move
// and how the gradient's size changes from the output back to the input.
#include "detector.h"

#include <QSet>

#include <cmath>

namespace traindx {

namespace {

// Unchanged means the measured step ||W_t - W_t-1|| / ||W_t-1|| stays below a tiny
// ratio over several samples, never that two floats compare equal.
class UnchangedWeightsDetector : public Detector {
public:
    void observe(const Observation& o, QVector<Finding>& findings) override
    {
        if (!o.snapshot || o.snapshot->initial)
            return;
        if (o.snapshot->epochEnd) {
            observeEpoch(o, findings);
            return; // epoch ends repeat the last measured step
        }
        const double limit = o.thresholds[QStringLiteral("unchanged_update_ratio")];
        const int needed = int(o.thresholds[QStringLiteral("unchanged_samples")]);
        for (int layer : o.facts.parametric()) {
            const LayerSample* sample = o.snapshot->layer(layer);
            if (!sample || sample->updateRatio < 0 || m_reported.contains(layer))
                continue;
            QVector<double>& recent = m_ratios[layer];
            recent.append(sample->updateRatio);
            if (recent.size() > needed)
                recent.removeFirst();
            if (recent.size() < needed || std::any_of(recent.begin(), recent.end(), [limit](double r) { return r >= limit; }))
                continue;
            report(o, *sample, QStringLiteral("each of the last %1 steps measured changed them").arg(needed),
                   {{QStringLiteral("update_ratio"), *std::max_element(recent.begin(), recent.end())},
                    {QStringLiteral("threshold"), limit},
                    {QStringLiteral("samples"), double(needed)}},
                   limit, findings);
        }
    }

private:
    // Over whole epochs: catches what sparse samples miss in short runs.
    void observeEpoch(const Observation& o, QVector<Finding>& findings)
    {
        const double limit = o.thresholds[QStringLiteral("unchanged_epoch_ratio")];
        const int sustain = int(o.thresholds[QStringLiteral("sustain_epochs")]);
        for (int layer : o.facts.parametric()) {
            const LayerSample* sample = o.snapshot->layer(layer);
            if (!sample || sample->epochUpdateRatio < 0 || m_reported.contains(layer))
                continue;
            int& still = m_stillEpochs[layer];
            still = sample->epochUpdateRatio < limit ? still + 1 : 0;
            if (still < sustain)
                continue;
            report(o, *sample, QStringLiteral("over each of the last %1 epochs they changed").arg(sustain),
                   {{QStringLiteral("epoch_update_ratio"), sample->epochUpdateRatio},
                    {QStringLiteral("threshold"), limit},
                    {QStringLiteral("epochs"), double(sustain)}},
                   limit, findings);
        }
    }

    void report(const Observation& o, const LayerSample& sample, const QString& how, QVector<Evidence> evidence,
                double limit, QVector<Finding>& findings)
    {
        Finding f = findingAt(o, symptom::UnchangedWeights, sample.layer, location::Weights);
        f.summary = QStringLiteral("the weights of %1 did not move: %2 by less than %3 of their size")
                        .arg(o.run.model.layers[sample.layer].displayName(), how)
                        .arg(limit);
        const TensorStats& g = sample.stats(TensorKind::WeightGrad);
        if (g.present)
            evidence.append({QStringLiteral("gradient_rms"), rms(g)});
        f.evidence = evidence;
        f.faulty = !hasConverged(o);
        findings.append(f);
        m_reported.insert(sample.layer);
    }

    QHash<int, QVector<double>> m_ratios;
    QHash<int, int> m_stillEpochs;
    QSet<int> m_reported;
};

// AUTOTRAINER's test on the RMS gradient of the first layer against the last, taken
// per element so that layers of different sizes compare, and required to persist.
class GradientScaleDetector : public Detector {
public:
    void observe(const Observation& o, QVector<Finding>& findings) override
    {
        if (!o.snapshot || o.snapshot->initial)
            return;
        const QVector<int>& layers = o.facts.parametric();
        if (layers.size() < 2)
            return;
        const LayerSample* first = o.snapshot->layer(layers.first());
        const LayerSample* last = o.snapshot->layer(layers.last());
        if (!first || !last || !first->stats(TensorKind::WeightGrad).present || !last->stats(TensorKind::WeightGrad).present)
            return;
        const TensorStats& gFirst = first->stats(TensorKind::WeightGrad);
        const TensorStats& gLast = last->stats(TensorKind::WeightGrad);
        if (gFirst.nonFinite() + gLast.nonFinite() > 0)
            return; // numerical_error says it better
        const double rmsFirst = rms(gFirst), rmsLast = rms(gLast);
        if (!(rmsLast > 0))
            return; // zero_signal says it better
        const double ratio = rmsFirst / rmsLast;

        const bool vanishing = ratio < o.thresholds[QStringLiteral("vanishing_ratio")]
            && rmsFirst < o.thresholds[QStringLiteral("vanishing_first_rms")] && !hasConverged(o);
        m_vanishing = vanishing ? m_vanishing + 1 : 0;
        if (m_vanishing >= 2 && !m_vanishingReported) {
            Finding f = findingAt(o, symptom::VanishingGradient, layers.first(), location::Gradients);
            f.summary = QStringLiteral("the gradient reaching %1 is %2 times smaller than at %3 (RMS %4 against %5)")
                            .arg(o.run.model.layers[layers.first()].displayName())
                            .arg(1.0 / ratio, 0, 'g', 3)
                            .arg(o.run.model.layers[layers.last()].displayName())
                            .arg(rmsFirst, 0, 'g', 3)
                            .arg(rmsLast, 0, 'g', 3);
            f.evidence = {{QStringLiteral("gradient_rms_first"), rmsFirst},
                          {QStringLiteral("gradient_rms_last"), rmsLast},
                          {QStringLiteral("ratio"), ratio},
                          {QStringLiteral("threshold"), o.thresholds[QStringLiteral("vanishing_ratio")]}};
            findings.append(f);
            m_vanishingReported = true;
        }

        // Exploding: a first/last ratio far above one while the loss is not improving, or
        // a gradient that is huge in absolute terms, or that keeps growing tenfold.
        const double largest = std::max(rmsFirst, rmsLast);
        const bool stalled = !lossImproving(o);
        const bool exploding = (ratio > o.thresholds[QStringLiteral("exploding_ratio")] && stalled)
            || largest > o.thresholds[QStringLiteral("exploding_norm")] || growing(o, largest);
        m_exploding = exploding ? m_exploding + 1 : 0;
        if (m_exploding >= 2 && !m_explodingReported) {
            const int layer = rmsFirst >= rmsLast ? layers.first() : layers.last();
            Finding f = findingAt(o, symptom::ExplodingGradient, layer, location::Gradients);
            f.summary = QStringLiteral("the gradient of %1 has grown to RMS %2 (first/last layer ratio %3)")
                            .arg(o.run.model.layers[layer].displayName())
                            .arg(largest, 0, 'g', 3)
                            .arg(ratio, 0, 'g', 3);
            f.evidence = {{QStringLiteral("gradient_rms_first"), rmsFirst},
                          {QStringLiteral("gradient_rms_last"), rmsLast},
                          {QStringLiteral("ratio"), ratio}};
            if (m_previousLargest > 0)
                f.evidence.append({QStringLiteral("growth"), largest / m_previousLargest});
            findings.append(f);
            m_explodingReported = true;
        }
        if (o.snapshot->epochEnd)
            m_previousLargest = largest;
    }

private:
    static bool lossImproving(const Observation& o)
    {
        const QVector<double> loss = epochSeries(o.run, QStringLiteral("train_loss"));
        if (loss.size() < 2)
            return true; // too early to say
        return loss.last() < 0.99 * loss[loss.size() - 2];
    }

    bool growing(const Observation& o, double largest)
    {
        if (!o.snapshot->epochEnd || m_previousLargest <= 0)
            return false;
        // Growth from a tiny gradient to a normal one is learning starting, not an explosion.
        const bool grew = largest > o.thresholds[QStringLiteral("exploding_growth")] * m_previousLargest && largest > 1.0;
        m_growthRun = grew ? m_growthRun + 1 : 0;
        return m_growthRun >= 1 && !lossImproving(o);
    }

    int m_vanishing = 0, m_exploding = 0, m_growthRun = 0;
    double m_previousLargest = 0;
    bool m_vanishingReported = false, m_explodingReported = false;
};

} // namespace

std::unique_ptr<Detector> makeUnchangedWeightsDetector()
{
    return std::make_unique<UnchangedWeightsDetector>();
}

std::unique_ptr<Detector> makeGradientScaleDetector()
{
    return std::make_unique<GradientScaleDetector>();
}

} // namespace traindx
