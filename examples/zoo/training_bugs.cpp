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

// A step size that sends the weights to infinity within a few steps. The twin steps at
// 1e-4: on these inputs in [0, 10], 1e-3 no longer overflows but leaves the loss swinging.
const RegisterWithTwin high_lr_nan {
    "high_lr_nan",
    "regression with SGD at learning rate 0.5: the weights overflow and the loss becomes NaN",
    "SGD at learning rate 1e-4 instead of 0.5",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model = mlp(4, 1);
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(),
                                                      optim::SGDOptions(o.number("lr", fixed ? 1e-4 : 0.5)));
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
};

// A learning rate so small that nothing moves. The twin steps at 0.05.
const RegisterWithTwin tiny_learning_rate {
    "tiny_learning_rate",
    "SGD at learning rate 1e-9: the weights do not move and the loss stays where it started",
    "SGD at learning rate 0.05 instead of 1e-9",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model = mlp(8, 4);
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(),
                                                      optim::SGDOptions(o.number("lr", fixed ? 0.05 : 1e-9)));
        return training(model, Loss::CrossEntropy, std::move(optimizer), blobs(o.integer("rows", 6000), 4, 8),
                        o.integer("epochs", 10), o.integer("batch-size", 32), Scoring::ArgMax);
    },
};

// The optimizer is given the last layer's parameters only: the rest never train. The twin
// gives it all of the model's parameters.
const RegisterWithTwin layer_not_in_optimizer {
    "layer_not_in_optimizer",
    "the optimizer was built with the last layer's parameters only: the hidden layers never train",
    "the optimizer is built with model->parameters(), every layer's",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model = mlp(8, 4);
        auto optimizer = std::make_unique<optim::Adam>(fixed ? model->parameters() : model[4]->parameters(),
                                                       optim::AdamOptions(o.number("lr", 1e-3)));
        return training(model, Loss::CrossEntropy, std::move(optimizer), blobs(o.integer("rows", 6000), 4, 8),
                        o.integer("epochs", 10), o.integer("batch-size", 32), Scoring::ArgMax);
    },
};

// A step far too large for the curvature: with momentum, the loss bounces from one side
// of the valley to the other instead of settling. The twin steps at 0.05, momentum kept.
const RegisterWithTwin oscillating_high_lr {
    "oscillating_high_lr",
    "Tanh classifier trained by SGD with momentum at learning rate 1: the loss swings up and down",
    "SGD with momentum at learning rate 0.05 instead of 1",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model(nn::Linear(8, 32), nn::Tanh(), nn::Linear(32, 4));
        const double lr = o.number("lr", fixed ? 0.05 : 1.0);
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(lr).momentum(0.9));
        return training(model, Loss::CrossEntropy, std::move(optimizer), blobs(o.integer("rows", 3000), 4, 8, 1.5),
                        o.integer("epochs", 10), o.integer("batch-size", 32), Scoring::ArgMax);
    },
};

} // namespace

} // namespace zoo
