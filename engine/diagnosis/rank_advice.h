// The thresholds and the advice of the cross-rank findings, the same whether the ranks' streams are compared
// side by side (cross_rank.cpp) or a reduced job's summary is read (reduced_job.cpp).
// `how` names the comparison in the finding's checker line: "cross-rank" or "cross-rank (reduced)".
#pragma once

#include "finding.h"

namespace traindx {

// Healthy ranks hold the same bytes after every step (an all-reduce leaves one result on
// all of them); anything beyond rounding in a norm means they have parted.
constexpr double kSyncTolerance = 1e-6;
// A rank the others wait for: its own work per step this much longer than theirs, and by
// at least this much time.
constexpr double kStragglerFactor = 1.5;
constexpr double kStragglerSeconds = 0.005;

// `who`: the rank (or ranks) that parted; `unmixed`: whether its gradients were never
// mixed with the others' (the zero_grad sentinel's ratio never varied).
void adviseOutOfSync(Finding& f, const QString& how, bool initial, bool unmixed, const QString& who);
void adviseStraggler(Finding& f, const QString& how, int rank);
// The first non-finite value was in `who`'s loss, at `step` (1-based): the data broke there.
void adviseNonFiniteData(Finding& f, const QString& who, qint64 step);

} // namespace traindx
