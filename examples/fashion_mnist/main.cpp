// A healthy MLP on Fashion-MNIST, instrumented with the TrainDx probe.
//   traindx-fashion-mnist [--epochs 3] [--batch-size 64] [--lr 0.001] [--seed 1] [--train-limit 0]
//                         [--hidden 256] [--detect-anomaly]
// --hidden sets the first hidden layer's width (the second is half of it); --detect-anomaly
// runs the loop under LibTorch's anomaly mode, to compare its cost with the probe's.
#include "options.h"
#include "trainer.h"

#include <algorithm>
#include <iostream>

int main(int argc, char** argv)
{
    const examples::Options options(argc, argv);
    if (options.has("help")) {
        std::cout << "usage: traindx-fashion-mnist [--epochs N] [--batch-size N] [--lr X] [--seed N] [--train-limit N]\n"
                     "                             [--hidden N] [--detect-anomaly]\n";
        return 0;
    }
    try {
        torch::manual_seed(options.integer("seed", 1));
        const int hidden = std::max(2, options.integer("hidden", 256));
        torch::nn::Sequential model(torch::nn::Flatten(), torch::nn::Linear(784, hidden), torch::nn::ReLU(),
                                    torch::nn::Linear(hidden, hidden / 2), torch::nn::ReLU(),
                                    torch::nn::Linear(hidden / 2, 10));
        examples::Training training;
        training.name = "fashion-mnist-mlp";
        training.model = model.ptr();
        training.forward = examples::forward_of(model);
        training.loss = [](const torch::Tensor& output, const torch::Tensor& target) {
            return torch::nn::functional::cross_entropy(output, target);
        };
        training.loss_kind = traindx::Loss::CrossEntropy;
        training.optimizer = std::make_unique<torch::optim::Adam>(
            model->parameters(), torch::optim::AdamOptions(options.number("lr", 1e-3)));
        training.train = examples::load_fashion_mnist(true, options.integer("train-limit", 0));
        training.validation = examples::load_fashion_mnist(false);
        training.epochs = options.integer("epochs", 3);
        training.batch_size = options.integer("batch-size", 64);
        training.scoring = examples::Scoring::ArgMax;
        training.detect_anomaly = options.has("detect-anomaly");
        return examples::train(training, std::cout);
    } catch (const std::exception& error) {
        std::cerr << "traindx-fashion-mnist: " << error.what() << std::endl;
        return 2;
    }
}
