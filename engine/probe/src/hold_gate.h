// Where TrainDx holds the training loop: pause, continue, step one epoch or one batch,
// stop. Commands arrive on the probe's I/O thread; the training thread passes through
// boundaries. Holding never outlives the client: when it goes, the loop runs on.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>

namespace traindx::probe {

// Gradient: inside backward, where a gradient broke, before the optimizer uses it.
enum class Boundary { Batch, Epoch, Gradient };

class HoldGate {
public:
    enum class Command { Pause, Continue, StepEpoch, StepBatch, Stop };

    struct Position {
        int epoch = 0;
        int batch = 0;
        long long step = 0;
        Boundary boundary = Boundary::Batch;
    };
    // Told when the loop becomes held and when it leaves the hold.
    using Notify = std::function<void(bool held, const Position&)>;

    explicit HoldGate(Notify notify);

    void command(Command command);
    void client_gone();

    // Called by the training thread at each boundary; returns when the loop may go on.
    void pass(const Position& position);
    // Holds at `position` whatever the mode, until a command releases it (or the client
    // goes, or a stop was asked for).
    void hold(const Position& position);

    bool stop_requested() const;

private:
    enum class Mode { Run, Pause, StepEpoch, StepBatch };

    bool should_hold(Boundary boundary) const;
    void wait_here(std::unique_lock<std::mutex>& lock, const Position& position);

    Notify notify_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    Mode mode_ = Mode::Run;
    bool held_ = false;
    bool stop_ = false;
    unsigned long long generation_ = 0; // bumped by every command that releases a hold
};

} // namespace traindx::probe
