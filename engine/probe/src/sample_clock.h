// The probe's accounting of time in the training thread: its own, the loop's, and holds,
// which count as neither. From it, when a layer sample may be taken — at most one each
// 100 ms, and only while the probe's time plus twice the last sample's cost stays within
// its budget share of the loop's time — and when the batch points are due to go out.
#pragma once

#include <chrono>

namespace traindx::probe {

class SampleClock {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds kMinInterval {100};

    explicit SampleClock(double budget, Clock::time_point start = Clock::now());

    void restart(Clock::time_point start);
    void add_probe_time(Clock::duration spent) { probe_ += spent; }
    void add_held_time(Clock::duration held) { held_ += held; }
    // A sample that began at `start` was completed at `end`.
    void sampled(Clock::time_point start, Clock::time_point end);
    bool sample_due(Clock::time_point now) const;
    bool flush_due(Clock::time_point now) const { return now - last_flush_ >= kMinInterval; }
    void flushed(Clock::time_point now) { last_flush_ = now; }

    double probe_seconds() const;
    double loop_seconds(Clock::time_point now) const; // since start, holds excluded

private:
    double budget_;
    Clock::time_point start_;
    Clock::duration probe_ {};
    Clock::duration held_ {};
    Clock::duration last_sample_cost_ {};
    Clock::time_point last_sample_ {};
    Clock::time_point last_flush_;
};

} // namespace traindx::probe
