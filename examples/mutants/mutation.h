// What the base programs share: the hooks where an operator changes their code path, the
// data, and the epoch log that ends in the "result:" line.
#pragma once

#include "catalogue.h"
#include "fashion_mnist_data.h"

#include <torch/torch.h>

#include <chrono>
#include <optional>

namespace mutants {

// Right after the model is built: the initialisation operators, large_bias, heavy_dropout,
// frozen_layer and eval_mode. Throws std::logic_error when a layer of the ground truth is
// not a module of the model.
void prepare(const Mutation& m, torch::nn::Module& model);

// The parameters to give the optimizer: all of them, less the layer an operator leaves
// out or freezes.
std::vector<torch::Tensor> optimised_parameters(const Mutation& m, torch::nn::Module& model);

// The learning-rate operators, on the optimizer's parameter groups.
void adjust_learning_rate(const Mutation& m, torch::optim::Optimizer& optimizer);

// The output activation operators: a module appended to a Sequential model, or a function
// applied to a custom module's output.
void add_output_activation(const Mutation& m, torch::nn::Sequential& model);
torch::Tensor output_activation(const Mutation& m, const torch::Tensor& output);

// Cross-entropy on logits, or the loss a loss operator puts in its place.
torch::Tensor classification_loss(const Mutation& m, const torch::Tensor& logits, const torch::Tensor& targets);

// model->forward(x); under detach_in_forward, the Sequential's children one by one with a
// .detach() before child `cut`.
torch::Tensor forward(const Mutation& m, torch::nn::Sequential& model, const torch::Tensor& x, std::size_t cut);

// The first `limit` Fashion-MNIST training images, normalised (or 0..255 under unscaled_inputs).
examples::Dataset fashion_mnist(const Mutation& m, long limit);
// Synthetic inputs as they are, or x1000 + 500 under unscaled_inputs.
torch::Tensor scale_inputs(const Mutation& m, const torch::Tensor& inputs);

// Row indices in random order, cut into batches.
std::vector<torch::Tensor> shuffled_batches(std::int64_t rows, std::int64_t batch_size);

double argmax_accuracy(const torch::Tensor& logits, const torch::Tensor& targets);

// The epoch log of a base and its last line, "result: quality=Q learned=yes|no ...".
// Quality is the final epoch's mean training accuracy, or its R² (1 - MSE / variance of
// the targets) for a regression.
class Progress {
public:
    static Progress accuracy(double learned_at) { return Progress(learned_at, 0.0); }
    static Progress r_squared(double target_variance, double learned_at)
    {
        return Progress(learned_at, target_variance);
    }

    void add(double loss, std::optional<double> accuracy = std::nullopt);
    void end_epoch(int epoch, int epochs);
    // Prints the result line; returns the exit code.
    int finish() const;

private:
    Progress(double learned_at, double variance);

    double learned_at_;
    double variance_; // > 0: quality is R²
    std::chrono::steady_clock::time_point start_;
    double first_loss_ = 0;
    bool has_first_ = false;
    double loss_sum_ = 0, accuracy_sum_ = 0;
    int batches_ = 0;
    double epoch_loss_ = 0, epoch_quality_ = 0;
    int epochs_done_ = 0;
};

} // namespace mutants
