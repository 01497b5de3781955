// The training loop the example trainers share, reporting to the TrainDx probe like any
// user's loop would: step() after each optimizer step, end_epoch() after each epoch.
#pragma once

#include "fashion_mnist_data.h"

#include <traindx/probe.h>

#include <functional>
#include <iosfwd>
#include <memory>

namespace examples {

// How outputs are scored for the accuracy the loop reports.
enum class Scoring {
    Probability, // one output in [0, 1] against targets 0 / 1
    Logit,       // one output, positive means class 1
    ArgMax,      // one output per class against class indices
    None,        // regression: no accuracy
};

struct Training {
    std::string name;
    std::shared_ptr<torch::nn::Module> model;
    std::function<torch::Tensor(const torch::Tensor&)> forward;
    std::function<torch::Tensor(const torch::Tensor& output, const torch::Tensor& target)> loss;
    traindx::Loss loss_kind = traindx::Loss::Unspecified;
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    Dataset train;
    Dataset validation; // optional
    int epochs = 10;
    int batch_size = 32;
    Scoring scoring = Scoring::ArgMax;
    // > 0: the program aborts (SIGABRT) after this many epochs, as a crashing trainer would.
    int abort_after_epochs = 0;
    // Runs the loop under LibTorch's anomaly mode (torch::autograd::DetectAnomalyGuard).
    bool detect_anomaly = false;
    // Replaces `scoring` when set: the program's own notion of accuracy.
    std::function<double(const torch::Tensor& output, const torch::Tensor& target)> accuracy;
};

// Trains and prints one line per epoch; the line carries the epoch's summed loss as a
// hexadecimal float so that runs can be compared bit for bit. Returns the exit code.
int train(Training& training, std::ostream& log);

// For a Sequential: forward() of the model.
std::function<torch::Tensor(const torch::Tensor&)> forward_of(torch::nn::Sequential model);

} // namespace examples
