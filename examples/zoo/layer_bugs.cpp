// Bugs inside the network: how it is initialised, how deep it is, what it is fed.
#include "scenarios.h"

namespace zoo {

namespace {

namespace nn = torch::nn;
namespace optim = torch::optim;
using examples::Scoring;
using traindx::Loss;

template <typename Init>
void initialise_linears(nn::Sequential& model, Init init)
{
    torch::NoGradGuard no_grad;
    for (auto& module : model->children())
        if (auto linear = std::dynamic_pointer_cast<nn::LinearImpl>(module))
            init(*linear);
}

examples::Training blob_classifier(nn::Sequential model, std::unique_ptr<optim::Optimizer> optimizer,
                                   const examples::Options& o, int epochs)
{
    return training(model, Loss::CrossEntropy, std::move(optimizer), blobs(o.integer("rows", 3000), 4, 8),
                    o.integer("epochs", epochs), o.integer("batch-size", 32), Scoring::ArgMax);
}

// Every weight and bias at zero: all units of a layer compute the same thing forever. The
// twin keeps LibTorch's default initialisation.
const RegisterWithTwin zero_init {
    "zero_init",
    "every weight initialised to zero: hidden units stay identical and silent",
    "LibTorch's default initialisation instead of zeros",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model(nn::Linear(8, 32), nn::ReLU(), nn::Linear(32, 32), nn::ReLU(), nn::Linear(32, 4));
        if (!fixed)
            initialise_linears(model, [](nn::LinearImpl& l) {
                l.weight.zero_();
                l.bias.zero_();
            });
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(o.number("lr", 0.1)));
        return blob_classifier(model, std::move(optimizer), o, 8);
    },
};

// A large negative bias before a ReLU: most units never switch on. The twin keeps the
// default biases.
const RegisterWithTwin dead_relu_negative_bias {
    "dead_relu_negative_bias",
    "first layer's biases initialised to -3: most of the following ReLU units are dead",
    "the first layer keeps LibTorch's default biases instead of -3",
    [](const examples::Options& o, bool fixed) {
        nn::Linear first(8, 64);
        if (!fixed) {
            torch::NoGradGuard no_grad;
            first->bias.fill_(-3.0);
        }
        nn::Sequential model(first, nn::ReLU(), nn::Linear(64, 4));
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(o.number("lr", 0.01)));
        return blob_classifier(model, std::move(optimizer), o, 8);
    },
};

// Weights far too large for a Tanh: its input sits deep in the flat tails. The twin keeps
// the default initialisation, scaled by the fan-in.
const RegisterWithTwin saturated_tanh_large_init {
    "saturated_tanh_large_init",
    "weights drawn from N(0, 5^2) in front of a Tanh: the Tanh saturates",
    "LibTorch's default initialisation in front of the Tanh instead of N(0, 5^2)",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model(nn::Linear(8, 64), nn::Tanh(), nn::Linear(64, 4));
        if (!fixed) {
            torch::NoGradGuard no_grad;
            model[0]->as<nn::Linear>()->weight.normal_(0, 5);
        }
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(o.number("lr", 0.01)));
        return blob_classifier(model, std::move(optimizer), o, 8);
    },
};

// Eight Sigmoid layers: each one shrinks the gradient by at least four on the way back.
// The twin uses ReLU in the hidden layers with the initialisation made for them (Kaiming,
// fan-in): at LibTorch's default, eight ReLU layers still sit at chance for several epochs.
const RegisterWithTwin deep_sigmoid_vanishing {
    "deep_sigmoid_vanishing",
    "eight hidden Sigmoid layers: the gradient vanishes before it reaches the first",
    "ReLU with Kaiming initialisation instead of Sigmoid in the eight hidden layers",
    [](const examples::Options& o, bool fixed) {
        const auto activation = [fixed]() -> nn::AnyModule {
            return fixed ? nn::AnyModule(nn::ReLU()) : nn::AnyModule(nn::Sigmoid());
        };
        nn::Sequential model(nn::Linear(8, 32));
        model->push_back(activation());
        for (int i = 0; i < 7; ++i) {
            model->push_back(nn::Linear(32, 32));
            model->push_back(activation());
        }
        model->push_back(nn::Linear(32, 4));
        if (fixed) {
            torch::NoGradGuard no_grad;
            for (auto& linear : model->modules(false))
                if (auto* l = linear->as<nn::Linear>()) {
                    nn::init::kaiming_normal_(l->weight, 0.0, torch::kFanIn, torch::kReLU);
                    l->bias.zero_();
                }
        }
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(o.number("lr", 0.1)));
        return blob_classifier(model, std::move(optimizer), o, 8);
    },
};

// Twenty-four plain ReLU layers at PyTorch's default initialisation: every layer shrinks
// the signal, and after two dozen nothing is left of it. The twin has three.
const RegisterWithTwin deep_relu_vanishing {
    "deep_relu_vanishing",
    "24 plain Linear+ReLU layers without normalisation: the gradient fades with depth",
    "3 Linear+ReLU layers instead of 24",
    [](const examples::Options& o, bool fixed) {
        const int layers = fixed ? 3 : 24;
        nn::Sequential model(nn::Linear(8, 32), nn::ReLU());
        for (int i = 1; i < layers; ++i) {
            model->push_back(nn::Linear(32, 32));
            model->push_back(nn::ReLU());
        }
        model->push_back(nn::Linear(32, 4));
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(o.number("lr", 0.05)));
        return blob_classifier(model, std::move(optimizer), o, 8);
    },
};

// Weights drawn from N(0, 1) in a deep ReLU regression network: activations and
// gradients grow by about six at every layer, and Adam's small steps cannot undo it. The
// twin draws them by the fan-in rule for ReLU (Kaiming).
const RegisterWithTwin exploding_large_init {
    "exploding_large_init",
    "six 64-wide ReLU layers with weights from N(0, 1) in a regression: gradients explode",
    "Kaiming initialisation (fan-in, ReLU) instead of N(0, 1)",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model(nn::Linear(4, 64), nn::ReLU());
        for (int i = 0; i < 5; ++i) {
            model->push_back(nn::Linear(64, 64));
            model->push_back(nn::ReLU());
        }
        model->push_back(nn::Linear(64, 1));
        if (fixed)
            initialise_linears(model, [](nn::LinearImpl& l) {
                nn::init::kaiming_normal_(l.weight, 0.0, torch::kFanIn, torch::kReLU);
            });
        else
            initialise_linears(model, [](nn::LinearImpl& l) { l.weight.normal_(0, 1); });
        auto optimizer = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(o.number("lr", 1e-4)));
        return training(model, Loss::MSE, std::move(optimizer), linear_regression(o.integer("rows", 3000), 4, -1, 1),
                        o.integer("epochs", 8), o.integer("batch-size", 32), Scoring::None);
    },
};

// Stack Overflow 55328966, in part: Fashion-MNIST pixels left in [0, 255]. The twin keeps
// the normalised pixels the loader gives.
const RegisterWithTwin fmnist_unnormalised {
    "fmnist_unnormalised",
    "Stack Overflow 55328966: Fashion-MNIST pixels left in [0, 255] before a Sigmoid layer",
    "Fashion-MNIST pixels normalised to zero mean and unit variance",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model(nn::Flatten(), nn::Linear(784, 128), nn::Sigmoid(), nn::Linear(128, 10));
        examples::Dataset data = examples::load_fashion_mnist(true, o.integer("train-limit", 6000));
        if (!fixed)
            data.inputs = (data.inputs * 0.3530 + 0.2860) * 255; // undo the normalisation the loader applies
        auto optimizer = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions(o.number("lr", 0.01)));
        return training(model, Loss::CrossEntropy, std::move(optimizer), data, o.integer("epochs", 4),
                        o.integer("batch-size", 64), Scoring::ArgMax);
    },
};

} // namespace

} // namespace zoo
