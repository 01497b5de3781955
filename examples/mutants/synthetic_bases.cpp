// Bases on synthetic data: a custom module without taps on three rings, a regression MLP
// with negative targets, a binary Sigmoid/BCE classifier on two circles, and a deeper Tanh
// MLP on labels from a random teacher network.
#include "mutation.h"

#include <traindx/probe.h>

#include <cmath>

namespace mutants {

namespace {

namespace nn = torch::nn;
namespace optim = torch::optim;
namespace F = torch::nn::functional;

// custom_untapped -------------------------------------------------------------------------

// Three classes on concentric rings of radius 1, 2 and 3.
examples::Dataset rings(std::int64_t rows)
{
    const torch::Tensor label = torch::randint(0, 3, {rows}, torch::kLong);
    const torch::Tensor radius = 1.0 + label.to(torch::kFloat).unsqueeze(1) + 0.2 * torch::randn({rows, 1});
    const torch::Tensor angle = 2 * M_PI * torch::rand({rows, 1});
    return {torch::cat({radius * torch::cos(angle), radius * torch::sin(angle)}, 1), label};
}

struct RingNetImpl : nn::Module {
    RingNetImpl()
        : fc1(register_module("fc1", nn::Linear(2, 64)))
        , fc2(register_module("fc2", nn::Linear(64, 64)))
        , dropout(register_module("dropout", nn::Dropout(0.1)))
        , fc3(register_module("fc3", nn::Linear(64, 3)))
    {
    }

    torch::Tensor forward(torch::Tensor x)
    {
        x = torch::relu(fc1->forward(x));
        x = torch::relu(fc2->forward(x));
        if (detach_features)
            x = x.detach();
        return fc3->forward(dropout->forward(x));
    }

    nn::Linear fc1, fc2;
    nn::Dropout dropout;
    nn::Linear fc3;
    bool detach_features = false;
};
TORCH_MODULE(RingNet);

Layout custom_untapped_layout(const std::string&)
{
    Layout l;
    l.hidden = {"fc1", "fc2"};
    l.output = "fc3";
    l.dropout = {"dropout"};
    l.first = "fc1";
    l.last = "fc3";
    l.frozen = "fc1";
    l.before_detach = {"fc1", "fc2"};
    return l;
}

int custom_untapped(const Mutation& m, const Settings& s)
{
    examples::Dataset data = rings(8000);
    data.inputs = scale_inputs(m, data.inputs);
    RingNet model;
    model->detach_features = m.is("detach_in_forward");
    prepare(m, *model);
    optim::SGD optimizer(optimised_parameters(m, *model), optim::SGDOptions(0.05).momentum(0.9));
    adjust_learning_rate(m, optimizer);

    traindx::Probe probe(model, traindx::ProbeOptions().name("custom_untapped"));
    probe.watch(optimizer);
    probe.describe_data(data.inputs.slice(0, 0, 256), data.targets.slice(0, 0, 256));

    const int epochs = s.epochs_or(20);
    auto progress = Progress::accuracy(0.85);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        if (!m.is("eval_mode"))
            model->train();
        for (const auto& index : shuffled_batches(data.inputs.size(0), 32)) {
            const torch::Tensor x = data.inputs.index_select(0, index);
            const torch::Tensor y = data.targets.index_select(0, index);
            if (!m.is("missing_zero_grad"))
                optimizer.zero_grad();
            const torch::Tensor output = output_activation(m, model->forward(x));
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

// regression ------------------------------------------------------------------------------

Layout regression_layout(const std::string& op)
{
    Layout l;
    if (op == "heavy_dropout") {
        // The operator inserts a Dropout after each hidden ReLU.
        l.hidden = {"0", "3"};
        l.hidden_activations = {"1", "4"};
        l.dropout = {"2", "5"};
        l.output = "6";
        l.output_activation = "7";
        l.last = "6";
    } else {
        l.hidden = {"0", "2"};
        l.hidden_activations = {"1", "3"};
        l.output = "4";
        l.output_activation = "5";
        l.last = "4";
    }
    l.first = "0";
    l.frozen = "0";
    l.before_detach = {"0", "1"};
    return l;
}

int regression(const Mutation& m, const Settings& s)
{
    const std::int64_t rows = 8000;
    const torch::Tensor x = torch::randn({rows, 6});
    torch::Tensor y = 1.5 * torch::sin(x.select(1, 0)) + 0.8 * x.select(1, 1) - 0.6 * x.select(1, 2) * x.select(1, 3)
        + 0.3 * x.select(1, 4) + 0.1 * torch::randn({rows});
    y = y.unsqueeze(1);
    if (m.is("rescaled_targets"))
        y = y * 1000.0;
    const torch::Tensor inputs = scale_inputs(m, x);

    nn::Sequential model;
    model->push_back(nn::Linear(6, 64));
    model->push_back(nn::ReLU());
    if (m.is("heavy_dropout"))
        model->push_back(nn::Dropout(0.9));
    model->push_back(nn::Linear(64, 64));
    model->push_back(nn::ReLU());
    if (m.is("heavy_dropout"))
        model->push_back(nn::Dropout(0.9));
    model->push_back(nn::Linear(64, 1));
    add_output_activation(m, model);
    prepare(m, *model);
    optim::SGD optimizer(optimised_parameters(m, *model), optim::SGDOptions(0.01).momentum(0.9));
    adjust_learning_rate(m, optimizer);

    traindx::Probe probe(model, traindx::ProbeOptions().name("regression"));
    probe.watch(optimizer);
    probe.describe_data(inputs.slice(0, 0, 512), y.slice(0, 0, 512));

    const int epochs = s.epochs_or(25);
    auto progress = Progress::r_squared(y.var().item<double>(), 0.8);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        if (!m.is("eval_mode"))
            model->train();
        for (const auto& index : shuffled_batches(rows, 32)) {
            const torch::Tensor xb = inputs.index_select(0, index);
            const torch::Tensor yb = y.index_select(0, index);
            if (!m.is("missing_zero_grad"))
                optimizer.zero_grad();
            const torch::Tensor loss = F::mse_loss(forward(m, model, xb, 2), yb);
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

// binary ----------------------------------------------------------------------------------

// Two classes on concentric circles of radius 1 and 2, targets of shape [N, 1].
examples::Dataset circles(std::int64_t rows)
{
    const torch::Tensor label = torch::randint(0, 2, {rows, 1}).to(torch::kFloat);
    const torch::Tensor radius = 1.0 + label + 0.2 * torch::randn({rows, 1});
    const torch::Tensor angle = 2 * M_PI * torch::rand({rows, 1});
    return {torch::cat({radius * torch::cos(angle), radius * torch::sin(angle)}, 1), label};
}

Layout binary_layout(const std::string&)
{
    Layout l;
    l.hidden = {"0", "3"};
    l.hidden_activations = {"1", "4"};
    l.large_bias = 5.0; // Tanh saturates
    l.output = "5";
    l.output_activation = "6";
    l.dropout = {"2"};
    l.first = "0";
    l.last = "5";
    l.frozen = "0";
    l.before_detach = {"0", "1", "2"};
    return l;
}

int binary(const Mutation& m, const Settings& s)
{
    examples::Dataset data = circles(8000);
    data.inputs = scale_inputs(m, data.inputs);
    nn::Sequential model(nn::Linear(2, 32), nn::Tanh(), nn::Dropout(0.1), nn::Linear(32, 32), nn::Tanh(),
                         nn::Linear(32, 1));
    if (m.is("softmax_one_unit"))
        model->push_back(nn::Softmax(nn::SoftmaxOptions(1)));
    else
        model->push_back(nn::Sigmoid());
    prepare(m, *model);
    optim::Adam optimizer(optimised_parameters(m, *model), optim::AdamOptions(5e-3));
    adjust_learning_rate(m, optimizer);

    traindx::Probe probe(model, traindx::ProbeOptions().name("binary"));
    probe.watch(optimizer);
    probe.describe_data(data.inputs.slice(0, 0, 256), data.targets.slice(0, 0, 256));

    const int epochs = s.epochs_or(20);
    auto progress = Progress::accuracy(0.9);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        if (!m.is("eval_mode"))
            model->train();
        for (const auto& index : shuffled_batches(data.inputs.size(0), 32)) {
            const torch::Tensor x = data.inputs.index_select(0, index);
            const torch::Tensor y = data.targets.index_select(0, index);
            if (!m.is("missing_zero_grad"))
                optimizer.zero_grad();
            const torch::Tensor output = forward(m, model, x, 3);
            const torch::Tensor loss = F::binary_cross_entropy(output, y);
            loss.backward();
            optimizer.step();
            const double accuracy = (output > 0.5).eq(y > 0.5).to(torch::kDouble).mean().item<double>();
            probe.step(loss, accuracy);
            progress.add(loss.item<double>(), accuracy);
        }
        probe.end_epoch();
        progress.end_epoch(epoch, epochs);
    }
    return progress.finish();
}

// deep_mlp --------------------------------------------------------------------------------

// Five classes: the argmax of a random Tanh network on Gaussian inputs.
examples::Dataset teacher_labels(std::int64_t rows)
{
    const torch::Tensor inputs = torch::randn({rows, 10});
    const torch::Tensor w1 = torch::randn({10, 32}) * 2.0 / std::sqrt(10.0);
    const torch::Tensor w2 = torch::randn({32, 5}) / std::sqrt(32.0);
    return {inputs, torch::tanh(inputs.matmul(w1)).matmul(w2).argmax(1)};
}

Layout deep_mlp_layout(const std::string&)
{
    Layout l;
    l.hidden = {"0", "2", "4"};
    l.hidden_activations = {"1", "3", "5"};
    l.large_bias = 5.0;
    l.output = "7";
    l.output_activation = "8";
    l.dropout = {"6"};
    l.first = "0";
    l.last = "7";
    l.frozen = "0";
    l.before_detach = {"0", "1", "2", "3"};
    return l;
}

int deep_mlp(const Mutation& m, const Settings& s)
{
    examples::Dataset data = teacher_labels(8000);
    data.inputs = scale_inputs(m, data.inputs);
    nn::Sequential model(nn::Linear(10, 64), nn::Tanh(), nn::Linear(64, 64), nn::Tanh(), nn::Linear(64, 64),
                         nn::Tanh(), nn::Dropout(0.1), nn::Linear(64, 5));
    add_output_activation(m, model);
    prepare(m, *model);
    optim::SGD optimizer(optimised_parameters(m, *model), optim::SGDOptions(0.05).momentum(0.9));
    adjust_learning_rate(m, optimizer);

    traindx::Probe probe(model, traindx::ProbeOptions().name("deep_mlp"));
    probe.watch(optimizer);
    probe.describe_data(data.inputs.slice(0, 0, 256), data.targets.slice(0, 0, 256));

    const int epochs = s.epochs_or(18);
    auto progress = Progress::accuracy(0.7);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        if (!m.is("eval_mode"))
            model->train();
        for (const auto& index : shuffled_batches(data.inputs.size(0), 32)) {
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

const RegisterBase register_custom_untapped {{"custom_untapped",
                                              "custom module (fc1, fc2, fc3, functional ReLU, no taps) on three "
                                              "rings, SGD with momentum",
                                              Task::CrossEntropy, custom_untapped_layout, custom_untapped}};
const RegisterBase register_regression {{"regression",
                                         "Sequential ReLU MLP regression on 6 Gaussian features, targets about "
                                         "[-3, 3], MSE, SGD with momentum",
                                         Task::Regression, regression_layout, regression}};
const RegisterBase register_binary {{"binary",
                                     "Sequential Tanh MLP ending in a Sigmoid, BCE, on two circles, Adam",
                                     Task::BinaryBCE, binary_layout, binary}};
const RegisterBase register_deep_mlp {{"deep_mlp",
                                       "Sequential Tanh MLP, three hidden layers, on labels of a random teacher "
                                       "network (5 classes), SGD with momentum",
                                       Task::CrossEntropy, deep_mlp_layout, deep_mlp}};

} // namespace

} // namespace mutants
