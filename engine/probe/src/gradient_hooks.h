// Per-step gradient scalars from hooks on the parameters' gradients. A hook sees each
// parameter's gradient as backward produces it, in backward order, before it is added to
// .grad and before the optimizer uses it: the step's gradient norm, the first non-finite
// gradient of the run (and whether the pass was broken from its start, i.e. the loss or
// the output already was), and one small parameter's gradient to tell whether zero_grad()
// ran. The hooks live as long as the parameters, which may outlive the probe: they reach it
// only through this object, and only while `alive`.
#pragma once

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace traindx::probe {

// Sum of squares, NaN and infinity propagating; contiguous float tensors on the CPU in
// lanes the compiler vectorises, others through tensor ops.
double sum_of_squares(const torch::Tensor& t);

struct GradientHooks {
    struct Watch {
        int layer = -1;
        std::string parameter;
    };
    static constexpr std::size_t kNone = std::size_t(-1);

    // Hooks `parameter`'s gradient into `hooks`; its index is the order of the calls.
    static void watch(const std::shared_ptr<GradientHooks>& hooks, int layer, const std::string& name,
                      torch::Tensor parameter);

    // At the end of a step, after the step's values are read.
    void begin_step();
    // One parameter's gradient as backward produced it; a defined result replaces it (clipped).
    torch::Tensor see(std::size_t index, const torch::Tensor& gradient);
    // ||p.grad|| over what this step's backward produced for sentinel `which` (parameter p):
    // 1 when .grad was zeroed before backward, 2 after two steps without zero_grad(); 0 unknown.
    double accumulation_ratio(std::size_t which, const torch::Tensor& sentinel_parameter) const;
    // One sentinel per optimizer: the watch index of one small parameter it updates.
    void set_sentinels(const std::vector<std::size_t>& indices);

    std::atomic<bool> alive {true};
    std::atomic<bool> break_on_nonfinite {false};
    std::vector<Watch> watches;
    int calls_this_step = 0;
    std::chrono::steady_clock::time_point last_gradient; // when the latest gradient arrived
    bool first_broken = false; // the first gradient of this backward pass was already broken
    double step_sum_of_squares = 0;
    bool step_measured = false;
    bool held = false; // the run's first non-finite gradient was reported; later ones are not
    struct Sentinel {
        std::size_t index = kNone;
        double norm = -1; // of the sum of this step's contributions to it
        torch::Tensor sum;
    };
    std::vector<Sentinel> sentinels;
    std::function<void(const Watch& watch, bool forward)> on_nonfinite;

    // Clipping by global norm, asked for by a client: > 0, the largest norm of a step's
    // gradients. The norm is known at the step's last gradient, the count of the step
    // before telling which that is: the others, already in .grad, are scaled by
    // `scale_others` (every watched .grad but that one), the last one as it passes.
    std::atomic<double> clip_norm {0.0};
    int expected_calls = 0;
    long long clipped_steps = 0;
    std::function<void(double factor, std::size_t except)> scale_others;
};

} // namespace traindx::probe
