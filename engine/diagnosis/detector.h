// A detector watches the statistics stream for one family of symptoms. It keeps what it
// needs to know across snapshots (how long a symptom has lasted) and reports findings;
// the diagnoser chooses their fixes, removes repeats and ranks them.
#pragma once

#include "model_facts.h"
#include "thresholds.h"

#include <memory>
#include <vector>

namespace traindx {

struct Observation {
    const RunState& run;
    const ModelFacts& facts;
    const Thresholds& thresholds;
    SnapshotPtr snapshot; // the snapshot with layer statistics that just arrived, if any
    int newPoints = 0;    // batch points just appended at the end of run.points
};

class Detector {
public:
    virtual ~Detector() = default;
    virtual void observe(const Observation& observation, QVector<Finding>& findings) = 0;
};

std::vector<std::unique_ptr<Detector>> makeDetectors();

// A finding at `layer` (or the model, -1), positioned at the observed snapshot.
Finding findingAt(const Observation& observation, const QString& symptom, int layer, const QString& location);

// Per-element root mean square of a tensor's values: its L2 norm over sqrt(count).
double rms(const TensorStats& stats);

// Epoch-level training loss and accuracy, from the probe's epoch metrics.
QVector<double> epochSeries(const RunState& run, const QString& metric);

// Whether training has learned: accuracy at the converged level, or loss far below chance.
bool hasConverged(const Observation& observation);

std::unique_ptr<Detector> makeNumericalDetector();
std::unique_ptr<Detector> makeZeroSignalDetector();
std::unique_ptr<Detector> makeUnchangedWeightsDetector();
std::unique_ptr<Detector> makeSaturationDetector();
std::unique_ptr<Detector> makeDeadReluDetector();
std::unique_ptr<Detector> makeOutOfRangeDetector();
std::unique_ptr<Detector> makeProgressDetector();
std::unique_ptr<Detector> makeGradientScaleDetector();
std::unique_ptr<Detector> makeOscillationDetector();

} // namespace traindx
