// Bases on a subset of Fashion-MNIST: a Sequential MLP, a Sequential CNN, a custom module
// that taps its hidden outputs, and an autoencoder built from two Sequentials.
#include "mutation.h"

#include <traindx/probe.h>

namespace mutants {

namespace {

namespace nn = torch::nn;
namespace optim = torch::optim;

// mlp -------------------------------------------------------------------------------------

Layout mlp_layout(const std::string&)
{
    Layout l;
    l.hidden = {"1", "4"};
    l.hidden_activations = {"2", "5"};
    l.output = "7";
    l.output_activation = "8"; // an output activation operator appends its module here
    l.dropout = {"3", "6"};
    l.first = "1";
    l.last = "7";
    l.frozen = "4";
    l.before_detach = {"0", "1", "2", "3"};
    return l;
}

int mlp(const Mutation& m, const Settings& s)
{
    const examples::Dataset data = fashion_mnist(m, 4000);
    nn::Sequential model(nn::Flatten(), nn::Linear(784, 128), nn::ReLU(), nn::Dropout(0.2), nn::Linear(128, 64),
                         nn::ReLU(), nn::Dropout(0.2), nn::Linear(64, 10));
    add_output_activation(m, model);
    prepare(m, *model);
    optim::Adam optimizer(optimised_parameters(m, *model), optim::AdamOptions(1e-3));
    adjust_learning_rate(m, optimizer);

    traindx::Probe probe(model, traindx::ProbeOptions().name("mlp"));
    probe.watch(optimizer);
    probe.describe_data(data.inputs.slice(0, 0, 256), data.targets.slice(0, 0, 256));

    const int epochs = s.epochs_or(4);
    auto progress = Progress::accuracy(0.75);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        if (!m.is("eval_mode"))
            model->train();
        for (const auto& index : shuffled_batches(data.inputs.size(0), 64)) {
            const torch::Tensor x = data.inputs.index_select(0, index);
            const torch::Tensor y = data.targets.index_select(0, index);
            if (!m.is("missing_zero_grad"))
                optimizer.zero_grad();
            const torch::Tensor output = forward(m, model, x, 4);
            const torch::Tensor loss = classification_loss(m, output, y);
            loss.backward();
            optimizer.step();
            const double accuracy = argmax_accuracy(output, y);
            probe.step(loss, accuracy);
            progress.add(loss.item<double>(), accuracy);
        }
        probe.end_epoch();
        progress.end_epoch(epoch, epochs);
    }
    return progress.finish();
}

// cnn -------------------------------------------------------------------------------------

Layout cnn_layout(const std::string&)
{
    Layout l;
    l.hidden = {"0", "3", "7"};
    l.hidden_activations = {"1", "4", "8"};
    l.output = "10";
    l.output_activation = "11";
    l.dropout = {"9"};
    l.first = "0";
    l.last = "10";
    l.frozen = "0";
    l.before_detach = {"0", "1", "2", "3", "4", "5"};
    return l;
}

int cnn(const Mutation& m, const Settings& s)
{
    const examples::Dataset data = fashion_mnist(m, 3000);
    nn::Sequential model(nn::Conv2d(nn::Conv2dOptions(1, 8, 5)), nn::ReLU(), nn::MaxPool2d(2),
                         nn::Conv2d(nn::Conv2dOptions(8, 16, 5)), nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(),
                         nn::Linear(256, 64), nn::ReLU(), nn::Dropout(0.25), nn::Linear(64, 10));
    add_output_activation(m, model);
    prepare(m, *model);
    optim::SGD optimizer(optimised_parameters(m, *model), optim::SGDOptions(0.05).momentum(0.9));
    adjust_learning_rate(m, optimizer);

    traindx::Probe probe(model, traindx::ProbeOptions().name("cnn"));
    probe.watch(optimizer);

    const int epochs = s.epochs_or(3);
    auto progress = Progress::accuracy(0.65);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        if (!m.is("eval_mode"))
            model->train();
        bool first_batch = epoch == 1;
        for (const auto& index : shuffled_batches(data.inputs.size(0), 64)) {
            const torch::Tensor x = data.inputs.index_select(0, index);
            const torch::Tensor y = data.targets.index_select(0, index);
            if (first_batch)
                probe.describe_data(x, y);
            first_batch = false;
            if (!m.is("missing_zero_grad"))
                optimizer.zero_grad();
            const torch::Tensor output = forward(m, model, x, 6);
            const torch::Tensor loss = classification_loss(m, output, y);
            loss.backward();
            optimizer.step();
            const double accuracy = argmax_accuracy(output, y);
            probe.step(loss, accuracy);
            progress.add(loss.item<double>(), accuracy);
        }
        probe.end_epoch();
        progress.end_epoch(epoch, epochs);
    }
    return progress.finish();
}

// custom_tapped ---------------------------------------------------------------------------

struct TappedNetImpl : nn::Module {
    TappedNetImpl()
        : fc1(register_module("fc1", nn::Linear(784, 128)))
        , dropout(register_module("dropout", nn::Dropout(0.2)))
        , fc2(register_module("fc2", nn::Linear(128, 64)))
        , fc3(register_module("fc3", nn::Linear(64, 10)))
    {
    }

    torch::Tensor forward(torch::Tensor x, traindx::Probe& probe)
    {
        x = torch::relu(fc1->forward(x.view({x.size(0), 784})));
        probe.tap("fc1", x);
        x = dropout->forward(x);
        x = torch::relu(fc2->forward(x));
        probe.tap("fc2", x);
        if (detach_features)
            x = x.detach();
        return fc3->forward(x);
    }

    nn::Linear fc1;
    nn::Dropout dropout;
    nn::Linear fc2, fc3;
    bool detach_features = false;
};
TORCH_MODULE(TappedNet);

Layout custom_tapped_layout(const std::string&)
{
    Layout l;
    l.hidden = {"fc1", "fc2"}; // functional ReLUs; the taps carry the layers' names
    l.output = "fc3";
    l.dropout = {"dropout"};
    l.first = "fc1";
    l.last = "fc3";
    l.frozen = "fc2";
    l.before_detach = {"fc1", "dropout", "fc2"};
    return l;
}

int custom_tapped(const Mutation& m, const Settings& s)
{
    const examples::Dataset data = fashion_mnist(m, 4000);
    TappedNet model;
    model->detach_features = m.is("detach_in_forward");
    prepare(m, *model);
    optim::Adam optimizer(optimised_parameters(m, *model), optim::AdamOptions(1e-3));
    adjust_learning_rate(m, optimizer);

    traindx::Probe probe(model, traindx::ProbeOptions().name("custom_tapped"));
    probe.watch(optimizer);
    probe.describe_data(data.inputs.slice(0, 0, 256), data.targets.slice(0, 0, 256));

    const int epochs = s.epochs_or(4);
    auto progress = Progress::accuracy(0.75);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        if (!m.is("eval_mode"))
            model->train();
        for (const auto& index : shuffled_batches(data.inputs.size(0), 64)) {
            const torch::Tensor x = data.inputs.index_select(0, index);
            const torch::Tensor y = data.targets.index_select(0, index);
            if (!m.is("missing_zero_grad"))
                optimizer.zero_grad();
            const torch::Tensor output = output_activation(m, model->forward(x, probe));
            const torch::Tensor loss = classification_loss(m, output, y);
            loss.backward();
            optimizer.step();
            const double accuracy = argmax_accuracy(output, y);
            probe.step(loss, accuracy);
            progress.add(loss.item<double>(), accuracy);
        }
        probe.end_epoch();
        progress.end_epoch(epoch, epochs);
    }
    return progress.finish();
}

// autoencoder -----------------------------------------------------------------------------

struct AutoEncoderImpl : nn::Module {
    AutoEncoderImpl()
        : encoder(register_module("encoder", nn::Sequential(nn::Linear(784, 128), nn::ReLU(), nn::Dropout(0.1),
                                                            nn::Linear(128, 32), nn::ReLU())))
        , decoder(register_module("decoder", nn::Sequential(nn::Linear(32, 128), nn::ReLU(), nn::Linear(128, 784))))
    {
    }

    torch::Tensor forward(const torch::Tensor& x)
    {
        torch::Tensor code = encoder->forward(x);
        if (detach_code)
            code = code.detach();
        return decoder->forward(code);
    }

    nn::Sequential encoder, decoder;
    bool detach_code = false;
};
TORCH_MODULE(AutoEncoder);

Layout autoencoder_layout(const std::string&)
{
    Layout l;
    l.hidden = {"encoder.0", "encoder.3", "decoder.0"};
    l.hidden_activations = {"encoder.1", "encoder.4", "decoder.1"};
    l.output = "decoder.2";
    l.output_activation = "decoder.3";
    l.dropout = {"encoder.2"};
    l.first = "encoder.0";
    l.last = "decoder.2";
    l.frozen = "encoder.0";
    l.before_detach = {"encoder", "encoder.0", "encoder.1", "encoder.2", "encoder.3", "encoder.4"};
    return l;
}

int autoencoder(const Mutation& m, const Settings& s)
{
    const torch::Tensor images = fashion_mnist(m, 2500).inputs.view({-1, 784});
    AutoEncoder model;
    add_output_activation(m, model->decoder);
    model->detach_code = m.is("detach_in_forward");
    prepare(m, *model);
    optim::Adam optimizer(optimised_parameters(m, *model), optim::AdamOptions(1e-3));
    adjust_learning_rate(m, optimizer);

    traindx::Probe probe(model, traindx::ProbeOptions().name("autoencoder"));
    probe.watch(optimizer);
    probe.describe_data(images.slice(0, 0, 256), images.slice(0, 0, 256));

    const int epochs = s.epochs_or(5);
    auto progress = Progress::r_squared(images.var().item<double>(), 0.6);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        if (!m.is("eval_mode"))
            model->train();
        for (const auto& index : shuffled_batches(images.size(0), 64)) {
            const torch::Tensor x = images.index_select(0, index);
            if (!m.is("missing_zero_grad"))
                optimizer.zero_grad();
            const torch::Tensor loss = torch::mse_loss(model->forward(x), x);
            loss.backward();
            optimizer.step();
            probe.step(loss);
            progress.add(loss.item<double>());
        }
        probe.end_epoch();
        progress.end_epoch(epoch, epochs);
    }
    return progress.finish();
}

const RegisterBase register_mlp {{"mlp",
                                  "Sequential MLP 784-128-64-10 (ReLU, dropout 0.2) on 4000 Fashion-MNIST images, Adam",
                                  Task::CrossEntropy, mlp_layout, mlp}};
const RegisterBase register_cnn {{"cnn",
                                  "Sequential CNN (two 5x5 convolutions, max pooling, dropout 0.25) on 3000 "
                                  "Fashion-MNIST images, SGD with momentum",
                                  Task::CrossEntropy, cnn_layout, cnn}};
const RegisterBase register_custom_tapped {{"custom_tapped",
                                            "custom module (fc1, fc2, fc3, functional ReLU) tapping its hidden "
                                            "outputs, on 4000 Fashion-MNIST images, Adam",
                                            Task::CrossEntropy, custom_tapped_layout, custom_tapped}};
const RegisterBase register_autoencoder {{"autoencoder",
                                          "autoencoder 784-128-32-128-784 (encoder and decoder Sequentials) on 2500 "
                                          "Fashion-MNIST images, MSE, Adam",
                                          Task::Reconstruction, autoencoder_layout, autoencoder}};

} // namespace

} // namespace mutants
