// Two recorded runs side by side: each replayed through today's diagnosis, and their
// findings matched — what the second fixed, what it added, what both share.
#pragma once

#include "run_state.h"

namespace traindx {

// The run as a replay of its file leaves it (the same path a live stream takes). Blocks
// while the replay runs, serving the caller's event loop; nullptr with `error` when the
// file cannot be read.
RunStatePtr replayRunFile(const QString& path, QString* error);

struct FindingDiff {
    QVector<Finding> fixed;  // in A, not in B
    QVector<Finding> added;  // in B, not in A
    QVector<Finding> shared; // in both, as B has them
    int addedFaults() const;
};

// The same finding in two runs is the same symptom at the same layer (by path and type,
// which survive a change elsewhere in the model) and place.
FindingDiff diffFindings(const RunState& a, const RunState& b);

// The last value of an epoch metric ("train_loss"), or NaN when the run has none.
double lastEpochMetric(const RunState& run, const QString& name);

} // namespace traindx
