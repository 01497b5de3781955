#include "sample_clock.h"

namespace traindx::probe {

namespace {

double seconds(SampleClock::Clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

} // namespace

SampleClock::SampleClock(double budget, Clock::time_point start)
    : budget_(budget)
    , start_(start)
    , last_flush_(start)
{
}

void SampleClock::restart(Clock::time_point start)
{
    start_ = last_flush_ = start;
}

void SampleClock::sampled(Clock::time_point start, Clock::time_point end)
{
    last_sample_ = end;
    last_sample_cost_ = end - start;
}

bool SampleClock::sample_due(Clock::time_point now) const
{
    if (now - last_sample_ < kMinInterval)
        return false;
    return probe_seconds() + 2 * seconds(last_sample_cost_) <= budget_ * loop_seconds(now);
}

double SampleClock::probe_seconds() const
{
    return seconds(probe_);
}

double SampleClock::loop_seconds(Clock::time_point now) const
{
    return seconds(now - start_ - held_);
}

} // namespace traindx::probe
