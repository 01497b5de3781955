// Runs the detectors on each piece of the statistics stream, chooses each finding's fix,
// links consequences to their causes and ranks everything. The same code diagnoses live
// runs, recorded runs and the command line.
#pragma once

#include "detector.h"

namespace traindx {

class Diagnoser {
public:
    explicit Diagnoser(Thresholds thresholds = Thresholds());

    // Looks at what just arrived in `run` and returns the findings seen for the first time.
    QVector<Finding> observe(const RunState& run, const SnapshotPtr& snapshot, int newPoints);

    const Thresholds& thresholds() const { return m_thresholds; }

    // Links consequences to causes found since, then ranks: faulty before warnings,
    // causes before consequences, then by symptom (structural before behavioural), then
    // by time.
    static void settle(QVector<Finding>& findings);
    static int priority(const QString& symptom);

private:
    static void explain(Finding& finding, const QVector<Finding>& known);

    Thresholds m_thresholds;
    std::vector<std::unique_ptr<Detector>> m_detectors;
    ModelFacts m_facts;
};

} // namespace traindx
