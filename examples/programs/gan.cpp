// A GAN on Fashion-MNIST written as such programs are: two models, two optimizers, two
// losses, a DataLoader with workers. The lines marked TrainDx are all it takes to debug it.
//   traindx-example-gan [--epochs 3] [--limit 8000] [--bug d_lr_x1000|no_g_zero_grad]
// --bug plants a bug for the tests: d_lr_x1000 multiplies the discriminator's learning rate
// by 1000; no_g_zero_grad leaves out the generator's zero_grad().
#include <traindx/probe.h> // TrainDx

#include "fashion_mnist_data.h"
#include "options.h"

#include <torch/torch.h>

#include <cstdio>
#include <iostream>

struct GeneratorImpl : torch::nn::Module {
    GeneratorImpl()
        : fc1(register_module("fc1", torch::nn::Linear(64, 256)))
        , fc2(register_module("fc2", torch::nn::Linear(256, 784)))
    {
    }
    torch::Tensor forward(torch::Tensor z) { return torch::tanh(fc2(torch::relu(fc1(z)))); }
    torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(Generator);

struct DiscriminatorImpl : torch::nn::Module {
    DiscriminatorImpl()
        : fc1(register_module("fc1", torch::nn::Linear(784, 256)))
        , fc2(register_module("fc2", torch::nn::Linear(256, 1)))
    {
    }
    torch::Tensor forward(torch::Tensor x) { return fc2(torch::leaky_relu(fc1(x), 0.2)); }
    torch::nn::Linear fc1, fc2;
};
TORCH_MODULE(Discriminator);

// Images in [-1, 1], the generator's tanh range, served one at a time.
class Images : public torch::data::datasets::Dataset<Images> {
public:
    explicit Images(torch::Tensor images) : images_(std::move(images)) {}
    torch::data::Example<> get(size_t index) override { return {images_[index], torch::ones({1})}; }
    torch::optional<size_t> size() const override { return size_t(images_.size(0)); }

private:
    torch::Tensor images_;
};

int main(int argc, char** argv)
{
    const examples::Options options(argc, argv);
    const int epochs = options.integer("epochs", 3);
    const long limit = options.integer("limit", 8000);
    const std::string bug = options.text("bug", "");
    torch::manual_seed(1);

    torch::Tensor images;
    try {
        images = examples::load_fashion_mnist(true, limit).inputs.view({-1, 784});
    } catch (const std::exception& error) {
        std::cerr << "traindx-example-gan: " << error.what() << std::endl;
        return 2;
    }
    images = (images - images.min()) / (images.max() - images.min()) * 2 - 1;
    auto loader = torch::data::make_data_loader(Images(images).map(torch::data::transforms::Stack<>()),
                                                torch::data::DataLoaderOptions().batch_size(64).workers(2));

    Generator generator;
    Discriminator discriminator;
    torch::optim::Adam g_optimizer(generator->parameters(), torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}));
    const double d_lr = bug == "d_lr_x1000" ? 2e-1 : 2e-4;
    torch::optim::Adam d_optimizer(discriminator->parameters(), torch::optim::AdamOptions(d_lr).betas({0.5, 0.999}));
    traindx::Probe probe(generator, traindx::ProbeOptions().name("generator") // TrainDx
                                        .objective("d_loss", traindx::Objective::Adversarial) // TrainDx
                                        .objective("g_loss", traindx::Objective::Adversarial)); // TrainDx
    probe.add_model("discriminator", discriminator); // TrainDx
    probe.watch(g_optimizer); // TrainDx
    probe.watch(d_optimizer); // TrainDx

    for (int epoch = 1; epoch <= epochs; ++epoch) {
        double d_sum = 0, g_sum = 0;
        long batches = 0;
        for (auto& batch : *loader) {
            const long rows = batch.data.size(0);
            // The discriminator: real images towards 1, generated ones towards 0.
            d_optimizer.zero_grad();
            const torch::Tensor fake = generator->forward(torch::randn({rows, 64}));
            const torch::Tensor d_loss =
                torch::binary_cross_entropy_with_logits(discriminator->forward(batch.data), torch::ones({rows, 1}))
                + torch::binary_cross_entropy_with_logits(discriminator->forward(fake.detach()), torch::zeros({rows, 1}));
            d_loss.backward();
            d_optimizer.step();
            // The generator: make the discriminator say 1 to its images.
            if (bug != "no_g_zero_grad")
                g_optimizer.zero_grad();
            const torch::Tensor g_loss =
                torch::binary_cross_entropy_with_logits(discriminator->forward(fake), torch::ones({rows, 1}));
            g_loss.backward();
            g_optimizer.step();
            probe.step({{"d_loss", d_loss}, {"g_loss", g_loss}}); // TrainDx
            d_sum += d_loss.item<double>();
            g_sum += g_loss.item<double>();
            ++batches;
        }
        probe.end_epoch(); // TrainDx
        std::printf("epoch %d: d_loss %.4f, g_loss %.4f\n", epoch, d_sum / double(batches), g_sum / double(batches));
    }
    return 0;
}
