#include "hold_gate.h"

namespace traindx::probe {

HoldGate::HoldGate(Notify notify)
    : notify_(std::move(notify))
{
}

void HoldGate::command(Command command)
{
    std::lock_guard lock(mutex_);
    switch (command) {
    case Command::Pause:
        mode_ = Mode::Pause;
        return; // takes effect at the next boundary; a held loop stays held
    case Command::Continue:
        mode_ = Mode::Run;
        break;
    case Command::StepEpoch:
        mode_ = Mode::StepEpoch;
        break;
    case Command::StepBatch:
        mode_ = Mode::StepBatch;
        break;
    case Command::Stop:
        stop_ = true;
        mode_ = Mode::Run;
        break;
    }
    ++generation_;
    wake_.notify_all();
}

void HoldGate::client_gone()
{
    std::lock_guard lock(mutex_);
    mode_ = Mode::Run;
    ++generation_;
    wake_.notify_all();
}

bool HoldGate::should_hold(Boundary boundary) const
{
    switch (mode_) {
    case Mode::Run:
        return false;
    case Mode::Pause:
    case Mode::StepBatch:
        return true;
    case Mode::StepEpoch:
        return boundary == Boundary::Epoch;
    }
    return false;
}

void HoldGate::pass(const Position& position)
{
    std::unique_lock lock(mutex_);
    if (stop_ || !should_hold(position.boundary))
        return;
    wait_here(lock, position);
}

void HoldGate::hold(const Position& position)
{
    std::unique_lock lock(mutex_);
    if (stop_)
        return;
    wait_here(lock, position);
}

void HoldGate::wait_here(std::unique_lock<std::mutex>& lock, const Position& position)
{
    mode_ = Mode::Pause;
    held_ = true;
    const auto generation = generation_;
    lock.unlock();
    notify_(true, position);
    lock.lock();
    wake_.wait(lock, [&] { return generation_ != generation; });
    held_ = false;
    lock.unlock();
    notify_(false, position);
}

bool HoldGate::stop_requested() const
{
    std::lock_guard lock(mutex_);
    return stop_;
}

} // namespace traindx::probe
