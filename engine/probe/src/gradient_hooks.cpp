#include "gradient_hooks.h"

#include <cmath>
#include <limits>

namespace traindx::probe {

double sum_of_squares(const torch::Tensor& t)
{
    if (t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.is_contiguous()) {
        // 32 lanes: four vectors of eight accumulating side by side, so the adds do not wait
        // on each other and the loop runs at the speed of the cache, not of one add chain.
        const float* p = t.data_ptr<float>();
        const std::int64_t n = t.numel();
        float lanes[32] = {};
        std::int64_t i = 0;
        for (; i + 32 <= n; i += 32)
            for (int k = 0; k < 32; ++k)
                lanes[k] += p[i + k] * p[i + k];
        double sum = 0;
        for (float lane : lanes)
            sum += lane;
        for (; i < n; ++i)
            sum += double(p[i]) * p[i];
        return sum;
    }
    return t.detach().to(torch::kDouble).pow(2).sum().item<double>();
}

void GradientHooks::watch(const std::shared_ptr<GradientHooks>& hooks, int layer, const std::string& name,
                          torch::Tensor parameter)
{
    const std::size_t index = hooks->watches.size();
    hooks->watches.push_back({layer, name});
    parameter.register_hook([hooks, index](const torch::Tensor& gradient) -> torch::Tensor {
        if (!hooks->alive.load() || !gradient.defined())
            return {};
        try {
            return hooks->see(index, gradient);
        } catch (...) {
            return {}; // never into the trainer's backward pass
        }
    });
}

void GradientHooks::begin_step()
{
    if (calls_this_step > 0)
        expected_calls = calls_this_step;
    calls_this_step = 0;
    first_broken = false;
    step_sum_of_squares = 0;
    step_measured = false;
    for (auto& sentinel : sentinels) {
        sentinel.norm = -1;
        sentinel.sum = torch::Tensor();
    }
}

void GradientHooks::set_sentinels(const std::vector<std::size_t>& indices)
{
    sentinels.clear();
    for (std::size_t index : indices)
        sentinels.push_back({index, -1, torch::Tensor()});
}

torch::Tensor GradientHooks::see(std::size_t index, const torch::Tensor& gradient)
{
    const Watch& watch = watches[index];
    const double sum = sum_of_squares(gradient);
    // A float sum of squares can overflow on finite values: then ask the tensor.
    const bool finite = std::isfinite(sum) || torch::isfinite(gradient).all().item<bool>();
    if (calls_this_step++ == 0)
        first_broken = !finite;
    last_gradient = std::chrono::steady_clock::now();
    step_sum_of_squares += finite && std::isfinite(sum) ? sum : std::numeric_limits<double>::infinity();
    step_measured = true;
    for (auto& sentinel : sentinels)
        if (index == sentinel.index) {
            // Every backward of the step counts (a GAN's generator loss reaches the discriminator
            // after its optimizer stepped): only gradients older than the step are accumulation.
            const torch::Tensor contribution = gradient.detach();
            sentinel.sum = sentinel.sum.defined() ? sentinel.sum + contribution : contribution.clone();
            sentinel.norm = std::sqrt(sum_of_squares(sentinel.sum));
        }
    if (!finite && !held && break_on_nonfinite.load() && on_nonfinite) {
        held = true;
        on_nonfinite(watch, first_broken);
    }
    const double limit = clip_norm.load();
    if (limit > 0 && calls_this_step == expected_calls && scale_others) {
        const double norm = std::sqrt(step_sum_of_squares);
        if (std::isfinite(norm) && norm > limit) { // a norm that is not finite is not scaled into one
            const double factor = limit / (norm + 1e-6);
            scale_others(factor, index);
            ++clipped_steps;
            return gradient * factor;
        }
    }
    return {};
}

double GradientHooks::accumulation_ratio(std::size_t which, const torch::Tensor& sentinel_parameter) const
{
    if (which >= sentinels.size() || !(sentinels[which].norm > 0))
        return 0.0;
    const torch::Tensor& gradient = sentinel_parameter.grad();
    if (!gradient.defined())
        return 0.0;
    const double ratio = std::sqrt(sum_of_squares(gradient)) / sentinels[which].norm;
    return std::isfinite(ratio) ? ratio : 0.0;
}

} // namespace traindx::probe
