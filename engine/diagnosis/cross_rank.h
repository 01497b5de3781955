// Findings about a multi-rank job as a whole, from its ranks' runs side by side: weights
// that should be identical on every rank but differ (a missing or partial all-reduce), the
// rank where non-finite values appear first, a rank the others wait for, and a rank that
// ended before the job. Each finding names the rank it is about (and the layer, where one
// layer shows it); the rules of each rank's own stream run as for one process.
#pragma once

#include "run_state.h"

namespace traindx {

// `ranks[r]` is rank r's run; a null entry is a rank never heard from.
QVector<Finding> diagnoseJob(const QVector<RunStatePtr>& ranks);
// The same findings for a job served reduced, from rank 0's run alone (its snapshots' JobSummary).
QVector<Finding> diagnoseReducedJob(const RunState& run);

} // namespace traindx
