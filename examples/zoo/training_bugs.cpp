// Bugs in how the model is trained: the step size and what the optimizer updates.
#include "scenarios.h"

namespace zoo {

namespace {

namespace nn = torch::nn;
namespace optim = torch::optim;
using examples::Scoring;
using traindx::Loss;

nn::Sequential mlp(int in, int out)
{
    return nn::Sequential(nn::Linear(in, 32), nn::ReLU(), nn::Linear(32, 32), nn::ReLU(), nn::Linear(32, out));
}

// A step size that sends the weights to infinity within a few steps.
const Register high_lr_nan {{
    "high_lr_nan",
    "regression with SGD at learning rate 0.5: the weights overflow and the loss becomes NaN",
    [](const examples::Options& o) {
        nn::Sequential model = mlp(4, 1);
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(o.number("lr", 0.5)));
        examples::Training t = training(model, Loss::MSE, std::move(optimizer),
                                        linear_regression(o.integer("rows", 3000), 4, 0, 10), o.integer("epochs", 6),
                                        o.integer("batch-size", 32), Scoring::None);
        // "Accuracy" as one minus the relative error, capped: NaN predictions make it NaN.
        t.accuracy = [](const torch::Tensor& output, const torch::Tensor& target) {
            torch::NoGradGuard no_grad;
            return 1.0 - ((output - target).abs() / target.abs()).clamp_max(1.0).mean().item<double>();
        };
        return t;
    },
}};

// A learning rate so small that nothing moves.
const Register tiny_learning_rate {{
    "tiny_learning_rate",
    "SGD at learning rate 1e-9: the weights do not move and the loss stays where it started",
    [](const examples::Options& o) {
        nn::Sequential model = mlp(8, 4);
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(o.number("lr", 1e-9)));
        return training(model, Loss::CrossEntropy, std::move(optimizer), blobs(o.integer("rows", 6000), 4, 8),
                        o.integer("epochs", 10), o.integer("batch-size", 32), Scoring::ArgMax);
    },
}};

// The optimizer is given the last layer's parameters only: the rest never train.
const Register layer_not_in_optimizer {{
    "layer_not_in_optimizer",
    "the optimizer was built with the last layer's parameters only: the hidden layers never train",
    [](const examples::Options& o) {
        nn::Sequential model = mlp(8, 4);
        auto optimizer = std::make_unique<optim::Adam>(model[4]->parameters(), optim::AdamOptions(o.number("lr", 1e-3)));
        return training(model, Loss::CrossEntropy, std::move(optimizer), blobs(o.integer("rows", 6000), 4, 8),
                        o.integer("epochs", 10), o.integer("batch-size", 32), Scoring::ArgMax);
    },
}};

// A step far too large for the curvature: with momentum, the loss bounces from one side
// of the valley to the other instead of settling.
const Register oscillating_high_lr {{
    "oscillating_high_lr",
    "Tanh classifier trained by SGD with momentum at learning rate 1: the loss swings up and down",
    [](const examples::Options& o) {
        nn::Sequential model(nn::Linear(8, 32), nn::Tanh(), nn::Linear(32, 4));
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(),
                                                      optim::SGDOptions(o.number("lr", 1.0)).momentum(0.9));
        return training(model, Loss::CrossEntropy, std::move(optimizer), blobs(o.integer("rows", 3000), 4, 8, 1.5),
                        o.integer("epochs", 10), o.integer("batch-size", 32), Scoring::ArgMax);
    },
}};

} // namespace

} // namespace zoo
