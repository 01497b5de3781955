// Healthy controls: models that train well. A diagnosis that flags them raises a false
// alarm; the research tools raised many on exactly these (ReLU CNNs, deep ReLU MLPs).
#include "scenarios.h"

namespace zoo {

namespace {

namespace nn = torch::nn;
namespace optim = torch::optim;
using examples::Scoring;
using traindx::Loss;

const Register healthy_bn_dropout {{
    "healthy_bn_dropout",
    "healthy: MLP with BatchNorm and Dropout on Gaussian blobs (SGD with momentum)",
    [](const examples::Options& o) {
        nn::Sequential model(nn::Linear(2, 32), nn::BatchNorm1d(32), nn::ReLU(), nn::Dropout(0.3), nn::Linear(32, 32),
                             nn::BatchNorm1d(32), nn::ReLU(), nn::Dropout(0.3), nn::Linear(32, 3));
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(),
                                                      optim::SGDOptions(o.number("lr", 0.05)).momentum(0.9));
        examples::Training t = training(model, Loss::CrossEntropy, std::move(optimizer), blobs(o.integer("rows", 3000)),
                                        o.integer("epochs", 8), o.integer("batch-size", 32), Scoring::ArgMax);
        t.validation = blobs(600);
        return t;
    },
}};

const Register healthy_fmnist_cnn {{
    "healthy_fmnist_cnn",
    "healthy: ReLU CNN on Fashion-MNIST (two convolutions, max pooling, Adam)",
    [](const examples::Options& o) {
        nn::Sequential model(nn::Conv2d(nn::Conv2dOptions(1, 8, 5)), nn::ReLU(), nn::MaxPool2d(2),
                             nn::Conv2d(nn::Conv2dOptions(8, 16, 5)), nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(),
                             nn::Linear(256, 64), nn::ReLU(), nn::Linear(64, 10));
        auto optimizer = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(o.number("lr", 2e-3)));
        examples::Training t = training(model, Loss::CrossEntropy, std::move(optimizer),
                                        examples::load_fashion_mnist(true, o.integer("train-limit", 8000)),
                                        o.integer("epochs", 3), o.integer("batch-size", 64), Scoring::ArgMax);
        t.validation = examples::load_fashion_mnist(false, 2000);
        return t;
    },
}};

const Register healthy_fmnist_deep_mlp {{
    "healthy_fmnist_deep_mlp",
    "healthy: deep ReLU MLP (six layers) on Fashion-MNIST with He initialisation",
    [](const examples::Options& o) {
        nn::Sequential model{nn::Flatten()};
        const int widths[] = {784, 256, 128, 128, 64, 64};
        for (int i = 0; i + 1 < 6; ++i) {
            nn::Linear linear(widths[i], widths[i + 1]);
            torch::NoGradGuard no_grad;
            nn::init::kaiming_normal_(linear->weight, 0.0, torch::kFanIn, torch::kReLU);
            linear->bias.zero_();
            model->push_back(linear);
            model->push_back(nn::ReLU());
        }
        model->push_back(nn::Linear(64, 10));
        auto optimizer = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(o.number("lr", 1e-3)));
        examples::Training t = training(model, Loss::CrossEntropy, std::move(optimizer),
                                        examples::load_fashion_mnist(true, o.integer("train-limit", 10000)),
                                        o.integer("epochs", 3), o.integer("batch-size", 64), Scoring::ArgMax);
        t.validation = examples::load_fashion_mnist(false, 2000);
        return t;
    },
}};

const Register healthy_sigmoid_binary {{
    "healthy_sigmoid_binary",
    "healthy: binary classifier with a Sigmoid output and BCELoss on two circles",
    [](const examples::Options& o) {
        nn::Sequential model(nn::Linear(2, 32), nn::ReLU(), nn::Linear(32, 32), nn::ReLU(), nn::Linear(32, 1),
                             nn::Sigmoid());
        auto optimizer = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(o.number("lr", 1e-2)));
        return training(model, Loss::BCE, std::move(optimizer), circles(o.integer("rows", 3000)),
                        o.integer("epochs", 12), o.integer("batch-size", 32), Scoring::Probability);
    },
}};

const Register healthy_regression {{
    "healthy_regression",
    "healthy: Tanh MLP regression with a linear output and MSELoss",
    [](const examples::Options& o) {
        nn::Sequential model(nn::Linear(4, 32), nn::Tanh(), nn::Linear(32, 1));
        auto optimizer = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(o.number("lr", 1e-2)));
        return training(model, Loss::MSE, std::move(optimizer), linear_regression(o.integer("rows", 3000), 4, -1, 1),
                        o.integer("epochs", 12), o.integer("batch-size", 32), Scoring::None);
    },
}};

const Register healthy_log_softmax_nll {{
    "healthy_log_softmax_nll",
    "healthy: LogSoftmax output with NLLLoss, Tanh hidden layers, SGD with momentum",
    [](const examples::Options& o) {
        nn::Sequential model(nn::Linear(8, 32), nn::Tanh(), nn::Linear(32, 32), nn::Tanh(), nn::Linear(32, 4),
                             nn::LogSoftmax(nn::LogSoftmaxOptions(1)));
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(),
                                                      optim::SGDOptions(o.number("lr", 0.05)).momentum(0.9));
        return training(model, Loss::NLL, std::move(optimizer), blobs(o.integer("rows", 3000), 4, 8),
                        o.integer("epochs", 10), o.integer("batch-size", 32), Scoring::ArgMax);
    },
}};

const Register healthy_converged_flat {{
    "healthy_converged_flat",
    "healthy: XOR learned within a few epochs, then a flat, low loss for many more",
    [](const examples::Options& o) {
        nn::Sequential model(nn::Linear(2, 16), nn::Tanh(), nn::Linear(16, 1), nn::Sigmoid());
        auto optimizer = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(o.number("lr", 0.05)));
        const examples::Dataset table = xor_table();
        const auto copies = o.integer("copies", 64);
        return training(model, Loss::BCE, std::move(optimizer),
                        {table.inputs.repeat({copies, 1}), table.targets.repeat({copies, 1})}, o.integer("epochs", 30),
                        o.integer("batch-size", 16), Scoring::Probability);
    },
}};

} // namespace

} // namespace zoo
