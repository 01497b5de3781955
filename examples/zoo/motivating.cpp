// Bugs from Stack Overflow questions that DeepDiagnosis studied, ported to LibTorch.
#include "scenarios.h"

namespace zoo {

namespace {

namespace nn = torch::nn;
namespace optim = torch::optim;
using examples::Scoring;
using traindx::Loss;

// Rows of all ones (label 1) alternating with rows of all zeros (label 0).
examples::Dataset ones_and_zeros(std::int64_t rows)
{
    const torch::Tensor label = (torch::arange(rows) % 2 == 0).to(torch::kFloat).unsqueeze(1);
    return {label.expand({rows, 128}).contiguous(), label};
}

// The motivating bug of DeepDiagnosis: a binary classifier that ends in a softmax over
// one unit. Its output is always 1, so BCELoss sees a constant and every gradient is 0.
// The twin ends in a Sigmoid, as a binary classifier under BCELoss should.
const RegisterWithTwin so31880720 {
    "so31880720",
    "Stack Overflow 31880720: softmax over a single output unit under BCELoss (never learns)",
    "a Sigmoid instead of the softmax over the single output unit, under BCELoss",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model(nn::Linear(128, 50), nn::ReLU(), nn::Dropout(0.2), nn::Linear(50, 50), nn::ReLU(),
                             nn::Dropout(0.2), nn::Linear(50, 1));
        if (fixed)
            model->push_back(nn::Sigmoid());
        else
            model->push_back(nn::Softmax(nn::SoftmaxOptions(1)));
        auto optimizer = std::make_unique<optim::RMSprop>(model->parameters(), optim::RMSpropOptions(o.number("lr", 1e-3)));
        return training(model, Loss::BCE, std::move(optimizer), ones_and_zeros(o.integer("rows", 4000)),
                        o.integer("epochs", 20), o.integer("batch-size", 32), Scoring::Probability);
    },
};

// Regression through a softmax over one unit: the output is the constant 1. The twin ends
// in the last Linear, the linear output a regression needs. The question's half of the
// units dropped from layers of three and two, at a rate of 0.1 with momentum 0.9, leaves
// the Tanh layers saturated at the targets' mean: the twin trains without that dropout at
// 0.01, with 16 and 8 units (with 3 and 2, some seeds never leave the mean).
const RegisterWithTwin so33969059 {
    "so33969059",
    "Stack Overflow 33969059: regression that ends in a softmax over one unit",
    "a linear output (the last Linear) instead of the softmax over one unit; no dropout, 16 and 8 hidden units, learning rate 0.01",
    [](const examples::Options& o, bool fixed) {
        const double dropout = fixed ? 0.0 : 0.5;
        const std::int64_t first = fixed ? 16 : 3, second = fixed ? 8 : 2;
        nn::Sequential model(nn::Linear(3, first), nn::Tanh(), nn::Dropout(dropout), nn::Linear(first, second), nn::Tanh(),
                             nn::Dropout(dropout), nn::Linear(second, 1));
        if (!fixed)
            model->push_back(nn::Softmax(nn::SoftmaxOptions(1)));
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(),
                                                      optim::SGDOptions(o.number("lr", fixed ? 0.01 : 0.1)).momentum(0.9));
        // The question's data spans [0, 1e4]: a second bug, so the twin scales it too.
        return training(model, Loss::MSE, std::move(optimizer), linear_regression(o.integer("rows", 2000), 3, 0, fixed ? 1 : 1e4),
                        o.integer("epochs", 12), o.integer("batch-size", 32), Scoring::None);
    },
};

// A sigmoid output for targets far beyond 1: y = x^2 + 3 on [-10, 10]. The twin ends in
// the last Linear, which can reach the targets; it also scales them to [0, 1] (at [3, 103]
// the first steps saturate the hidden Sigmoids and the network settles at the targets'
// mean), takes batches of 50 rather than one step per epoch, and Adam: plain SGD leaves
// five Sigmoids at the mean of a parabola, where the gradient of the even part is 0.
const RegisterWithTwin so48221692 {
    "so48221692",
    "Stack Overflow 48221692: sigmoid output for regression targets in [3, 103]",
    "a linear output (the last Linear) instead of the Sigmoid; targets scaled from [3, 103] to [0, 1], batches of 50, Adam at 0.1",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model(nn::Linear(1, 5), nn::Sigmoid(), nn::Linear(5, 1));
        if (!fixed)
            model->push_back(nn::Sigmoid());
        const auto rows = o.integer("rows", 1000);
        const torch::Tensor x = torch::linspace(-10, 10, rows).unsqueeze(1);
        std::unique_ptr<optim::Optimizer> optimizer;
        if (fixed)
            optimizer = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(o.number("lr", 0.1)));
        else
            optimizer = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(o.number("lr", 0.01)));
        const torch::Tensor y = x * x + 3;
        return training(model, Loss::MSE, std::move(optimizer), {x / 10, fixed ? (y - 3) / 100 : y}, o.integer("epochs", 12),
                        o.integer("batch-size", fixed ? 50 : 1000), Scoring::None);
    },
};

// XOR with mean absolute error and plain SGD: the accuracy never leaves one half. The twin
// changes the optimizer: Adam at 1e-2 (at 1e-3 it does not move in this budget). It sits
// at one half for ten to twenty epochs before it solves XOR, so it gets 60 epochs.
const RegisterWithTwin so31556268 {
    "so31556268",
    "Stack Overflow 31556268: XOR with L1 loss and slow SGD (stuck at 50 % accuracy)",
    "Adam at learning rate 1e-2 instead of the slow SGD (60 epochs)",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model(nn::Linear(2, 4), nn::Sigmoid(), nn::Linear(4, 1), nn::Sigmoid());
        std::unique_ptr<optim::Optimizer> optimizer;
        if (fixed)
            optimizer = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(o.number("lr", 1e-2)));
        else
            optimizer = std::make_unique<optim::SGD>(model->parameters(),
                                                     optim::SGDOptions(o.number("lr", 0.05)).momentum(0.11));
        const examples::Dataset table = xor_table();
        const auto copies = o.integer("copies", 64); // the four rows, repeated so that an epoch has a few batches
        return training(model, Loss::L1, std::move(optimizer), {table.inputs.repeat({copies, 1}), table.targets.repeat({copies, 1})},
                        o.integer("epochs", fixed ? 60 : 40), o.integer("batch-size", 4), Scoring::Probability);
    },
};

} // namespace

} // namespace zoo
