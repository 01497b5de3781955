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
// The twin feeds CrossEntropyLoss the raw logits of the last Linear.
const RegisterWithTwin softmax_before_cross_entropy {
    "softmax_before_cross_entropy",
    "Softmax at the output, then CrossEntropyLoss, which applies log-softmax again",
    "the raw logits of the last Linear go to CrossEntropyLoss, without the Softmax",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model = hidden(8, 32);
        model->push_back(nn::Linear(32, 4));
        if (!fixed)
            model->push_back(nn::Softmax(nn::SoftmaxOptions(1)));
        return classifier(model, Loss::CrossEntropy, o);
    },
};

// Stack Overflow 47352366 in PyTorch terms: logits through a ReLU cannot be negative. The
// twin drops the ReLU at the output.
const RegisterWithTwin relu_before_cross_entropy {
    "relu_before_cross_entropy",
    "Stack Overflow 47352366: a ReLU on the logits fed to CrossEntropyLoss",
    "the raw logits of the last Linear go to CrossEntropyLoss, without the ReLU",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model = hidden(8, 32);
        model->push_back(nn::Linear(32, 4));
        if (!fixed)
            model->push_back(nn::ReLU());
        return classifier(model, Loss::CrossEntropy, o);
    },
};

// NLLLoss wants log-probabilities; a plain softmax gives probabilities. The twin ends in a
// LogSoftmax.
const RegisterWithTwin nll_without_log_softmax {
    "nll_without_log_softmax",
    "Softmax (not LogSoftmax) at the output of a model trained with NLLLoss",
    "LogSoftmax instead of Softmax at the output, under NLLLoss",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model = hidden(8, 32);
        model->push_back(nn::Linear(32, 4));
        if (fixed)
            model->push_back(nn::LogSoftmax(nn::LogSoftmaxOptions(1)));
        else
            model->push_back(nn::Softmax(nn::SoftmaxOptions(1)));
        return classifier(model, Loss::NLL, o);
    },
};

// Counts (0 to 4) as BCE targets: the loss is for probabilities. The twin treats the counts
// as the values they are: MSELoss, on the last Linear's output, since the Sigmoid that was
// there for BCELoss could never reach a count above 1.
const RegisterWithTwin bce_on_counts {
    "bce_on_counts",
    "BCELoss on targets that are counts from 0 to 4, not probabilities",
    "MSELoss on a linear output instead of BCELoss on a Sigmoid, for the counts from 0 to 4",
    [](const examples::Options& o, bool fixed) {
        nn::Sequential model = hidden(8, 32);
        model->push_back(nn::Linear(32, 1));
        if (!fixed)
            model->push_back(nn::Sigmoid());
        examples::Dataset data = blobs(o.integer("rows", 3000), 5, 8);
        data.targets = data.targets.to(torch::kFloat).unsqueeze(1);
        auto optimizer = std::make_unique<optim::Adam>(model->parameters(), optim::AdamOptions(o.number("lr", 1e-3)));
        return training(model, fixed ? Loss::MSE : Loss::BCE, std::move(optimizer), data, o.integer("epochs", 8),
                        o.integer("batch-size", 32), Scoring::None);
    },
};

} // namespace

} // namespace zoo
