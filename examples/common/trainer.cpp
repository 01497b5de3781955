#include "trainer.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <ostream>

namespace examples {

namespace {

double accuracy(const torch::Tensor& output, const torch::Tensor& target, Scoring scoring)
{
    torch::NoGradGuard no_grad;
    switch (scoring) {
    case Scoring::Probability:
        return (output.reshape(-1) > 0.5).eq(target.reshape(-1) > 0.5).to(torch::kDouble).mean().item<double>();
    case Scoring::Logit:
        return (output.reshape(-1) > 0).eq(target.reshape(-1) > 0.5).to(torch::kDouble).mean().item<double>();
    case Scoring::ArgMax:
        return output.argmax(1).eq(target).to(torch::kDouble).mean().item<double>();
    case Scoring::None:
        break;
    }
    return 0.0;
}

std::optional<double> maybe(Scoring scoring, double value)
{
    return scoring == Scoring::None ? std::nullopt : std::optional<double>(value);
}

} // namespace

std::function<torch::Tensor(const torch::Tensor&)> forward_of(torch::nn::Sequential model)
{
    return [model](const torch::Tensor& x) mutable { return model->forward(x); };
}

int train(Training& training, std::ostream& log)
{
    traindx::Probe probe(training.model, traindx::ProbeOptions().name(training.name).loss(training.loss_kind));
    probe.watch(*training.optimizer);
    // An evenly spaced sample: the data's ranges, and the rows whose activations the probe follows.
    const std::int64_t stride = std::max<std::int64_t>(1, training.train.inputs.size(0) / 1024);
    probe.describe_data(training.train.inputs.slice(0, 0, c10::nullopt, stride),
                        training.train.targets.slice(0, 0, c10::nullopt, stride));

    std::optional<torch::autograd::DetectAnomalyGuard> anomaly_mode;
    if (training.detect_anomaly)
        anomaly_mode.emplace();
    const std::int64_t rows = training.train.inputs.size(0);
    for (int epoch = 0; epoch < training.epochs; ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        training.model->train();
        const torch::Tensor order = torch::randperm(rows, torch::kLong);
        double loss_sum = 0, accuracy_sum = 0;
        int batches = 0;
        for (std::int64_t first = 0; first < rows; first += training.batch_size) {
            const torch::Tensor index = order.slice(0, first, std::min(rows, first + training.batch_size));
            const torch::Tensor x = training.train.inputs.index_select(0, index);
            const torch::Tensor y = training.train.targets.index_select(0, index);
            training.optimizer->zero_grad();
            const torch::Tensor output = training.forward(x);
            const torch::Tensor loss = training.loss(output, y);
            loss.backward();
            training.optimizer->step();
            const double batch_accuracy = training.accuracy ? training.accuracy(output, y)
                                                            : accuracy(output, y, training.scoring);
            probe.step(loss, training.accuracy ? std::optional<double>(batch_accuracy)
                                               : maybe(training.scoring, batch_accuracy));
            loss_sum += loss.item<double>();
            accuracy_sum += batch_accuracy;
            ++batches;
            if (probe.stop_requested()) {
                log << "stopped by TrainDx at epoch " << epoch << std::endl;
                return 0;
            }
        }

        std::map<std::string, double> metrics;
        if (training.validation.inputs.defined()) {
            torch::NoGradGuard no_grad;
            training.model->eval();
            const torch::Tensor output = training.forward(training.validation.inputs);
            metrics["val_loss"] = training.loss(output, training.validation.targets).item<double>();
            if (training.accuracy)
                metrics["val_accuracy"] = training.accuracy(output, training.validation.targets);
            else if (training.scoring != Scoring::None)
                metrics["val_accuracy"] = accuracy(output, training.validation.targets, training.scoring);
            training.model->train();
        }
        probe.end_epoch(metrics);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        char line[512];
        std::snprintf(line, sizeof(line), "epoch %d/%d loss %.6f accuracy %.4f", epoch + 1, training.epochs,
                      loss_sum / std::max(1, batches), accuracy_sum / std::max(1, batches));
        log << line;
        if (metrics.count("val_accuracy")) {
            std::snprintf(line, sizeof(line), " val_accuracy %.4f", metrics["val_accuracy"]);
            log << line;
        }
        std::snprintf(line, sizeof(line), " time %.3f s loss_bits %a", seconds, loss_sum);
        log << line << std::endl;
        if (probe.stop_requested()) {
            log << "stopped by TrainDx after epoch " << epoch + 1 << std::endl;
            return 0;
        }
        if (training.abort_after_epochs > 0 && epoch + 1 >= training.abort_after_epochs) {
            log << "aborting after epoch " << epoch + 1 << " (--abort-after-epochs)" << std::endl;
            std::abort();
        }
    }
    return 0;
}

} // namespace examples
