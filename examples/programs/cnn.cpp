// A Fashion-MNIST CNN written the way LibTorch's own examples are: modules for the weights,
// functions for the activations and pooling, a Dataset class and a DataLoader with workers,
// SGD with momentum. The lines marked TrainDx are all it takes to debug it.
//   traindx-example-cnn [--epochs 3] [--limit 8000] [--bug lr_x100]
// --bug plants a bug for the tests: lr_x100 multiplies the learning rate by 100.
#include <traindx/probe.h> // TrainDx

#include "fashion_mnist_data.h"
#include "options.h"

#include <torch/torch.h>

#include <cstdio>
#include <iostream>

struct Net : torch::nn::Module {
    Net()
        : conv1(torch::nn::Conv2dOptions(1, 10, 5))
        , conv2(torch::nn::Conv2dOptions(10, 20, 5))
        , fc1(320, 50)
        , fc2(50, 10)
    {
        register_module("conv1", conv1);
        register_module("conv2", conv2);
        register_module("conv2_drop", conv2_drop);
        register_module("fc1", fc1);
        register_module("fc2", fc2);
    }

    torch::Tensor forward(torch::Tensor x, traindx::Probe& probe)
    {
        x = torch::relu(torch::max_pool2d(conv1->forward(x), 2));
        probe.tap("conv1", x, traindx::Activation::ReLU); // TrainDx
        x = torch::relu(torch::max_pool2d(conv2_drop->forward(conv2->forward(x)), 2));
        probe.tap("conv2", x, traindx::Activation::ReLU); // TrainDx
        x = x.view({-1, 320});
        x = torch::relu(fc1->forward(x));
        probe.tap("fc1", x, traindx::Activation::ReLU); // TrainDx
        x = torch::dropout(x, 0.5, is_training());
        x = fc2->forward(x);
        return torch::log_softmax(x, 1);
    }

    torch::nn::Conv2d conv1;
    torch::nn::Conv2d conv2;
    torch::nn::Dropout2d conv2_drop;
    torch::nn::Linear fc1;
    torch::nn::Linear fc2;
};

// Images and labels held in memory, served one example at a time.
class FashionMnist : public torch::data::datasets::Dataset<FashionMnist> {
public:
    FashionMnist(torch::Tensor images, torch::Tensor labels) : images_(std::move(images)), labels_(std::move(labels)) {}
    torch::data::Example<> get(size_t index) override { return {images_[index], labels_[index]}; }
    torch::optional<size_t> size() const override { return size_t(images_.size(0)); }

private:
    torch::Tensor images_, labels_;
};

int main(int argc, char** argv)
{
    const examples::Options options(argc, argv);
    const int epochs = options.integer("epochs", 3);
    const long limit = options.integer("limit", 8000);
    const std::string bug = options.text("bug", "");
    torch::manual_seed(1);

    examples::Dataset train;
    try {
        train = examples::load_fashion_mnist(true, limit);
    } catch (const std::exception& error) {
        std::cerr << "traindx-example-cnn: " << error.what() << std::endl;
        return 2;
    }
    auto loader = torch::data::make_data_loader(
        FashionMnist(train.inputs, train.targets).map(torch::data::transforms::Stack<>()),
        torch::data::DataLoaderOptions().batch_size(64).workers(2));

    Net model;
    const double lr = bug == "lr_x100" ? 1.0 : 0.01;
    torch::optim::SGD optimizer(model.parameters(), torch::optim::SGDOptions(lr).momentum(0.5));
    traindx::Probe probe(model, traindx::ProbeOptions().name("cnn").loss(traindx::Loss::NLL)); // TrainDx
    probe.watch(optimizer); // TrainDx

    for (int epoch = 1; epoch <= epochs; ++epoch) {
        model.train();
        double loss_sum = 0;
        long correct = 0, seen = 0, batches = 0;
        for (auto& batch : *loader) {
            if (epoch == 1 && batches == 0)
                probe.describe_data(batch.data, batch.target); // TrainDx
            optimizer.zero_grad();
            const torch::Tensor output = model.forward(batch.data, probe);
            const torch::Tensor loss = torch::nll_loss(output, batch.target);
            loss.backward();
            optimizer.step();
            const long right = output.argmax(1).eq(batch.target).sum().item<long>();
            probe.step(loss, double(right) / double(batch.data.size(0))); // TrainDx
            loss_sum += loss.item<double>();
            correct += right;
            seen += batch.data.size(0);
            ++batches;
        }
        probe.end_epoch(); // TrainDx
        std::printf("epoch %d: loss %.4f, accuracy %.3f\n", epoch, loss_sum / double(batches),
                    double(correct) / double(seen));
        if (probe.stop_requested()) // TrainDx
            break;
    }
    return 0;
}
