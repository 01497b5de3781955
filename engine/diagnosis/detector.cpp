#include "detector.h"

#include <cmath>

namespace traindx {

std::vector<std::unique_ptr<Detector>> makeDetectors()
{
    std::vector<std::unique_ptr<Detector>> detectors;
    detectors.push_back(makeNumericalDetector());
    detectors.push_back(makeOutOfRangeDetector());
    detectors.push_back(makeZeroSignalDetector());
    detectors.push_back(makeGradientScaleDetector());
    detectors.push_back(makeDeadReluDetector());
    detectors.push_back(makeSaturationDetector());
    detectors.push_back(makeUnchangedWeightsDetector());
    detectors.push_back(makeProgressDetector());
    detectors.push_back(makeOscillationDetector());
    return detectors;
}

Finding findingAt(const Observation& observation, const QString& symptom, int layer, const QString& location)
{
    Finding finding;
    finding.symptom = symptom;
    finding.layer = layer;
    finding.location = location;
    if (const Layer* l = observation.run.model.layer(layer)) {
        finding.layerPath = l->path;
        finding.layerType = l->type;
        finding.layerIndex = l->index;
    }
    if (observation.snapshot) {
        const Snapshot& s = *observation.snapshot;
        finding.epoch = s.epoch;
        // Batches completed in that epoch: a sample is taken after its batch's step.
        finding.batch = s.epochEnd || s.initial ? s.batch : s.batch + 1;
        finding.step = s.step;
    } else if (!observation.run.points.isEmpty()) {
        const BatchPoint& last = observation.run.points.last();
        finding.epoch = last.epoch;
        finding.batch = last.batch + 1;
        finding.step = last.step;
    }
    return finding;
}

double rms(const TensorStats& stats)
{
    const qint64 finite = stats.count - stats.nonFinite();
    return finite > 0 ? stats.l2 / std::sqrt(double(finite)) : 0;
}

QVector<double> epochSeries(const RunState& run, const QString& metric)
{
    QVector<double> values;
    for (int index : run.epochEnds) {
        const auto& metrics = run.snapshots[index]->metrics;
        if (metrics.contains(metric))
            values.append(metrics.value(metric));
    }
    return values;
}

bool hasConverged(const Observation& o)
{
    const QVector<double> accuracy = epochSeries(o.run, QStringLiteral("train_accuracy"));
    if (!accuracy.isEmpty() && accuracy.last() >= o.thresholds[QStringLiteral("converged_accuracy")])
        return true;
    const QVector<double> loss = epochSeries(o.run, QStringLiteral("train_loss"));
    if (loss.isEmpty() || !std::isfinite(loss.last()))
        return false;
    const double chance = o.facts.chanceLoss();
    if (chance > 0)
        return loss.last() <= o.thresholds[QStringLiteral("converged_loss_fraction")] * chance;
    return loss.last() < 1e-6;
}

} // namespace traindx
