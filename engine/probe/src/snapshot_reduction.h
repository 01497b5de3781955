// A job's snapshot from its ranks' snapshots, reduced over collectives every rank takes in
// the same order: counts, sums and sums of squares add up exactly, minima and maxima are
// reduced as such, and histograms on dyadic grids (dyadic_grid.h) move onto one common
// grid before they are added. Rank 0 also learns each rank's step time, gradient norm,
// first non-finite step and weight norms, and keeps of them only what sets ranks apart
// (wire::JobSummary): what it sends does not grow with the number of ranks.
#pragma once

#include "traindx.pb.h"

#include <optional>
#include <stdexcept>
#include <vector>

namespace traindx::probe {

class Collectives {
public:
    virtual ~Collectives() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    // Element-wise maximum over the ranks, left on every rank.
    virtual void max(std::vector<double>& values) = 0;
    // Element-wise sum over the ranks, left on rank 0 (other ranks' values are then undefined).
    virtual void sum_to_root(std::vector<double>& values) = 0;
};

// The ranks did not reach the same boundary with snapshots of the same shape.
class ReductionMismatch : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Every rank calls it with its own snapshot of the same boundary. Rank 0 gets the job's
// snapshot (its own fields where ranks cannot differ: kind, step, learning rate…); the
// others get nothing. Throws ReductionMismatch, or what the collectives throw.
std::optional<wire::Snapshot> reduce_snapshot(wire::Snapshot local, Collectives& collectives);

} // namespace traindx::probe
