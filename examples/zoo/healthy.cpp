// Healthy controls: models that train well. A diagnosis that flags them raises a false alarm.
#include "scenarios.h"

namespace zoo {

namespace {

// Three Gaussian blobs in the plane, shuffled.
examples::Dataset blobs(std::int64_t rows)
{
    const torch::Tensor centres = torch::tensor({{-2.0f, 0.0f}, {2.0f, 0.0f}, {0.0f, 2.5f}});
    const torch::Tensor targets = torch::randint(0, 3, {rows}, torch::kLong);
    const torch::Tensor inputs = centres.index_select(0, targets) + 0.7 * torch::randn({rows, 2});
    return {inputs, targets};
}

const Register healthy_bn_dropout {{
    "healthy_bn_dropout",
    "healthy: MLP with BatchNorm and Dropout on three Gaussian blobs (SGD with momentum)",
    [](const examples::Options& options) {
        torch::nn::Sequential model(
            torch::nn::Linear(2, 32), torch::nn::BatchNorm1d(32), torch::nn::ReLU(), torch::nn::Dropout(0.3),
            torch::nn::Linear(32, 32), torch::nn::BatchNorm1d(32), torch::nn::ReLU(), torch::nn::Dropout(0.3),
            torch::nn::Linear(32, 3));
        examples::Training training;
        training.model = model.ptr();
        training.forward = examples::forward_of(model);
        training.loss = [](const torch::Tensor& output, const torch::Tensor& target) {
            return torch::nn::functional::cross_entropy(output, target);
        };
        training.loss_kind = traindx::Loss::CrossEntropy;
        training.optimizer = std::make_unique<torch::optim::SGD>(
            model->parameters(), torch::optim::SGDOptions(options.number("lr", 0.05)).momentum(0.9));
        training.train = blobs(options.integer("rows", 3000));
        training.validation = blobs(600);
        training.epochs = options.integer("epochs", 8);
        training.batch_size = options.integer("batch-size", 32);
        training.scoring = examples::Scoring::ArgMax;
        return training;
    },
}};

} // namespace

} // namespace zoo
