// The motivating bug of DeepDiagnosis, Stack Overflow question 31880720: a binary
// classifier that ends in a softmax over one unit. Its output is always 1, so BCELoss
// sees a constant and every gradient is exactly zero.
#include "scenarios.h"

namespace zoo {

namespace {

// Rows of all ones (label 1) alternating with rows of all zeros (label 0).
examples::Dataset ones_and_zeros(std::int64_t rows)
{
    const torch::Tensor label = (torch::arange(rows) % 2 == 0).to(torch::kFloat).unsqueeze(1);
    return {label.expand({rows, 128}).contiguous(), label};
}

const Register so31880720 {{
    "so31880720",
    "Stack Overflow 31880720: softmax over a single output unit under BCELoss (never learns)",
    [](const examples::Options& options) {
        torch::nn::Sequential model(
            torch::nn::Linear(128, 50), torch::nn::ReLU(), torch::nn::Dropout(0.2),
            torch::nn::Linear(50, 50), torch::nn::ReLU(), torch::nn::Dropout(0.2),
            torch::nn::Linear(50, 1), torch::nn::Softmax(torch::nn::SoftmaxOptions(1)));
        examples::Training training;
        training.model = model.ptr();
        training.forward = examples::forward_of(model);
        training.loss = [](const torch::Tensor& output, const torch::Tensor& target) {
            return torch::nn::functional::binary_cross_entropy(output, target);
        };
        training.loss_kind = traindx::Loss::BCE;
        training.optimizer = std::make_unique<torch::optim::RMSprop>(
            model->parameters(), torch::optim::RMSpropOptions(options.number("lr", 1e-3)));
        training.train = ones_and_zeros(options.integer("rows", 4000));
        training.epochs = options.integer("epochs", 20);
        training.batch_size = options.integer("batch-size", 32);
        training.scoring = examples::Scoring::Probability;
        return training;
    },
}};

} // namespace

} // namespace zoo
