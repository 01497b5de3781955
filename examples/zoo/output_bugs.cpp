// Output layers that do not fit the loss: the model cannot produce what the loss needs.
#include "scenarios.h"

namespace zoo {

namespace {

namespace nn = torch::nn;
namespace optim = torch::optim;
using examples::Scoring;
using traindx::Loss;

nn::Sequential hidden(int in, int width)
{
    return nn::Sequential(nn::Linear(in, width), nn::ReLU(), nn::Linear(width, width), nn::ReLU());
}

examples::Training classifier(nn::Sequential model, Loss loss, const examples::Options& o)
{
    auto optimizer = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(o.number("lr", 1e-3)));
    return training(model, loss, std::move(optimizer), blobs(o.integer("rows", 3000), 4, 8), o.integer("epochs", 8),
                    o.integer("batch-size", 32), Scoring::ArgMax);
}

// Schoop et al.'s A3 and many questions since: a softmax before a loss that applies its own.
const Register softmax_before_cross_entropy {{
    "softmax_before_cross_entropy",
    "Softmax at the output, then CrossEntropyLoss, which applies log-softmax again",
    [](const examples::Options& o) {
        nn::Sequential model = hidden(8, 32);
        model->push_back(nn::Linear(32, 4));
        model->push_back(nn::Softmax(nn::SoftmaxOptions(1)));
        return classifier(model, Loss::CrossEntropy, o);
    },
}};

// Stack Overflow 47352366 in PyTorch terms: logits through a ReLU cannot be negative.
const Register relu_before_cross_entropy {{
    "relu_before_cross_entropy",
    "Stack Overflow 47352366: a ReLU on the logits fed to CrossEntropyLoss",
    [](const examples::Options& o) {
        nn::Sequential model = hidden(8, 32);
        model->push_back(nn::Linear(32, 4));
        model->push_back(nn::ReLU());
        return classifier(model, Loss::CrossEntropy, o);
    },
}};

// NLLLoss wants log-probabilities; a plain softmax gives probabilities.
const Register nll_without_log_softmax {{
    "nll_without_log_softmax",
    "Softmax (not LogSoftmax) at the output of a model trained with NLLLoss",
    [](const examples::Options& o) {
        nn::Sequential model = hidden(8, 32);
        model->push_back(nn::Linear(32, 4));
        model->push_back(nn::Softmax(nn::SoftmaxOptions(1)));
        return classifier(model, Loss::NLL, o);
    },
}};

// Counts (0 to 4) as BCE targets: the loss is for probabilities.
const Register bce_on_counts {{
    "bce_on_counts",
    "BCELoss on targets that are counts from 0 to 4, not probabilities",
    [](const examples::Options& o) {
        nn::Sequential model = hidden(8, 32);
        model->push_back(nn::Linear(32, 1));
        model->push_back(nn::Sigmoid());
        examples::Dataset data = blobs(o.integer("rows", 3000), 5, 8);
        data.targets = data.targets.to(torch::kFloat).unsqueeze(1);
        auto optimizer = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(o.number("lr", 1e-3)));
        return training(model, Loss::BCE, std::move(optimizer), data, o.integer("epochs", 8), o.integer("batch-size", 32),
                        Scoring::None);
    },
}};

} // namespace

} // namespace zoo
