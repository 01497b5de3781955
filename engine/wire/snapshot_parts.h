// A snapshot too large for one frame (thousands of layers, each with its unit activity)
// travels in parts of whole layers: every part but the last carries only layers and
// `continued`; the last carries the rest of the snapshot. Qt-free: the probe splits, the
// engine assembles.
#pragma once

#include "traindx.pb.h"

#include <cstddef>
#include <optional>
#include <vector>

namespace traindx::wire {

// Parts of at most about `part_bytes` each (a single layer larger than that is a part of its
// own); one part, the snapshot itself, when it fits.
std::vector<Snapshot> split_snapshot(Snapshot&& snapshot, std::size_t part_bytes);

class SnapshotAssembler {
public:
    // The whole snapshot once its last part is in; nothing while parts are pending. Parts
    // of another snapshot than the pending one replace it (a part was lost on the way).
    std::optional<Snapshot> add(const Snapshot& part);
    bool pending() const { return pending_.has_value(); }
    // Parts thrown away because the rest of their snapshot never came.
    int discarded() const { return discarded_; }

private:
    std::optional<Snapshot> pending_;
    int discarded_ = 0;
};

} // namespace traindx::wire
