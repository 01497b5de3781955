// Applies the probe's frames to a RunState: the one place where wire messages become
// the engine's own types. Live connections and recorded runs both go through it.
#pragma once

#include "run_state.h"
#include "snapshot_parts.h"

#include <optional>

namespace traindx {

namespace wire {
class Frame;
class Hello;
} // namespace wire

class RunBuilder {
public:
    struct Applied {
        bool model = false;
        bool data = false;
        SnapshotPtr snapshot;      // a snapshot with layer statistics
        int newPoints = 0;         // points appended at the end of RunState::points
        bool event = false;
    };

    // Batch samples kept in memory (epoch ends and the initial snapshot are all kept); the
    // run file keeps everything.
    static constexpr int kBatchSamplesKept = 256;
    // Epoch ends whose layer statistics stay in memory: the first, the newest
    // kRecentEpochEndLayers and an evenly thinned choice of at most kOlderEpochEndLayers of
    // the others. Every epoch end keeps its step, epoch and metrics; the run file keeps all.
    static constexpr int kRecentEpochEndLayers = 256;
    static constexpr int kOlderEpochEndLayers = 512;

    RunState& state() { return state_; }
    const RunState& state() const { return state_; }

    void applyHello(const wire::Hello& hello);
    Applied apply(const wire::Frame& frame);

private:
    void addPoint(const BatchPoint& point, Applied& applied);
    void forgetOldestBatchSample();
    void thinOldEpochEnds();

    int batchSamples_ = 0;
    wire::SnapshotAssembler parts_;

    RunState state_;
};

} // namespace traindx
