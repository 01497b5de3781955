#include "parameter_sample.h"

#include <cmath>
#include <limits>
#include <random>

namespace traindx::probe {

torch::Tensor ParameterSampler::values(int key, std::size_t position, const torch::Tensor& parameter)
{
    const torch::Tensor flat = parameter.detach().reshape(-1);
    const std::int64_t count = flat.numel();
    if (count <= kSampledElements)
        return flat.clone();
    Drawn& drawn_for = m_drawn[{key, position}];
    torch::Tensor& index = drawn_for.index;
    if (!index.defined() || index.device() != flat.device() || drawn_for.count != count) {
        drawn_for.count = count;
        std::mt19937_64 generator(0x5eed0000u + std::uint64_t(key) * 1000003u + position);
        std::uniform_int_distribution<std::int64_t> element(0, count - 1);
        std::vector<std::int64_t> drawn(kSampledElements);
        for (auto& i : drawn)
            i = element(generator);
        index = torch::tensor(drawn, torch::kLong).to(flat.device());
    }
    return flat.index_select(0, index);
}

ParameterSampler::Sample ParameterSampler::remember(int key, const std::vector<torch::Tensor>& parameters)
{
    torch::NoGradGuard no_grad;
    Sample sample;
    sample.reserve(parameters.size());
    for (std::size_t i = 0; i < parameters.size(); ++i)
        sample.push_back(values(key, i, parameters[i]));
    return sample;
}

double ParameterSampler::relative_change(int key, const std::vector<torch::Tensor>& parameters, const Sample& then)
{
    if (then.empty())
        return -1.0;
    torch::NoGradGuard no_grad;
    double delta = 0, norm = 0;
    for (std::size_t i = 0; i < parameters.size() && i < then.size(); ++i) {
        const torch::Tensor now = values(key, i, parameters[i]);
        if (now.numel() != then[i].numel())
            return -1.0; // the parameter was replaced by one of another size
        const double scale = double(parameters[i].numel()) / double(std::max<std::int64_t>(1, now.numel()));
        delta += scale * (now - then[i]).to(torch::kDouble).pow(2).sum().item<double>();
        norm += scale * then[i].to(torch::kDouble).pow(2).sum().item<double>();
    }
    if (norm > 0)
        return std::sqrt(delta / norm);
    return delta > 0 ? std::numeric_limits<double>::infinity() : 0.0;
}

} // namespace traindx::probe
