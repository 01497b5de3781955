#include "synthetic_data.h"

#include <cmath>

namespace zoo {

examples::Dataset blobs(std::int64_t rows, int classes, int features, double spread)
{
    // Centres on a circle (first two dimensions), far enough apart to be learnable.
    torch::Tensor centres = torch::zeros({classes, features});
    for (int c = 0; c < classes; ++c) {
        centres[c][0] = 2.5 * std::cos(2 * M_PI * c / classes);
        centres[c][1] = 2.5 * std::sin(2 * M_PI * c / classes);
    }
    const torch::Tensor targets = torch::randint(0, classes, {rows}, torch::kLong);
    const torch::Tensor inputs = centres.index_select(0, targets) + spread * torch::randn({rows, features});
    return {inputs, targets};
}

examples::Dataset xor_table()
{
    return {torch::tensor({{0.0f, 0.0f}, {0.0f, 1.0f}, {1.0f, 0.0f}, {1.0f, 1.0f}}),
            torch::tensor({{0.0f}, {1.0f}, {1.0f}, {0.0f}})};
}

examples::Dataset circles(std::int64_t rows)
{
    const torch::Tensor label = torch::randint(0, 2, {rows, 1}).to(torch::kFloat);
    const torch::Tensor radius = 1.0 + label + 0.15 * torch::randn({rows, 1});
    const torch::Tensor angle = 2 * M_PI * torch::rand({rows, 1});
    return {torch::cat({radius * torch::cos(angle), radius * torch::sin(angle)}, 1), label};
}

examples::Dataset linear_regression(std::int64_t rows, int features, double lo, double hi)
{
    const torch::Tensor inputs = lo + (hi - lo) * torch::rand({rows, features});
    const torch::Tensor weights = torch::linspace(2.0, 0.5, features).unsqueeze(1);
    const torch::Tensor targets = inputs.matmul(weights) + 2.2 + 0.05 * torch::randn({rows, 1});
    return {inputs, targets};
}

} // namespace zoo
