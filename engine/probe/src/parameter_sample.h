// Update ratios ||W_now - W_then|| / ||W_then|| without a copy of the model: each parameter
// is remembered by a fixed, seeded sample of at most kSampledElements of its elements (all
// of them when it has fewer), and the sums of squares over the sample are scaled up to the
// whole tensor. Memory: O(parameters x kSampledElements), whatever the model's size.
//
// Error: the sample is drawn uniformly (with replacement), so each scaled sum of squares is
// unbiased with a relative standard error of CV(x^2) / sqrt(n); for weights and updates of
// roughly Gaussian spread (CV = sqrt(2)) and n = 4096 that is 2.2 %, and the ratio, a square
// root of a quotient of two such sums, is within about 5 % at three standard errors.
// Tensors of at most kSampledElements elements are measured exactly.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace traindx::probe {

class ParameterSampler {
public:
    static constexpr std::int64_t kSampledElements = 4096;

    // The remembered values of some parameters, in the order given.
    using Sample = std::vector<torch::Tensor>;

    // `key` names the group of parameters (a layer); the same key and position always draw
    // the same elements, from a generator of the probe's own, never the program's.
    Sample remember(int key, const std::vector<torch::Tensor>& parameters);
    // ||now - then|| / ||then|| over the parameters together; -1 without a sample, infinity
    // for weights that moved from 0, 0 when neither moved nor had size.
    double relative_change(int key, const std::vector<torch::Tensor>& parameters, const Sample& then);

private:
    struct Drawn {
        torch::Tensor index; // element positions in the flattened parameter
        std::int64_t count = 0; // elements the parameter had when they were drawn
    };
    torch::Tensor values(int key, std::size_t position, const torch::Tensor& parameter);
    std::map<std::pair<int, std::size_t>, Drawn> m_drawn;
};

} // namespace traindx::probe
