// What rank 0's stream of a job served reduced says about the ranks over a run, row by row
// as the Ranks dock and the report show it: the ranks combined, the slowest, the largest
// gradient (from the latest snapshot), the first non-finite value and the weights farthest
// apart (over the whole run), and whether the probes still combine.
#pragma once

#include "run_state.h"

namespace traindx {

struct JobFact {
    QString what;
    QString rank;  // "" when the row is about no one rank, "—" when none stands out
    QString value;
    bool bad = false;
};

// Empty for a run that is not a reduced job's.
QVector<JobFact> reducedJobFacts(const RunState& run);

} // namespace traindx
