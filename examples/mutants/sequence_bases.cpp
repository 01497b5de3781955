// Recurrent bases on synthetic sequences: a GRU that tells whether the sum of a sequence
// is low, middling or high, and an LSTM that tells which half of a sequence is larger.
#include "mutation.h"

#include <traindx/probe.h>

namespace mutants {

namespace {

namespace nn = torch::nn;
namespace optim = torch::optim;
namespace F = torch::nn::functional;

// gru -------------------------------------------------------------------------------------

// Sequences of 16 standard normal values; class 0, 1 or 2 as their sum is below -1.72,
// between, or above 1.72 (a third of the sequences each).
examples::Dataset sum_classes(std::int64_t rows)
{
    const torch::Tensor inputs = torch::randn({rows, 16, 1});
    const torch::Tensor sum = inputs.sum({1, 2});
    const torch::Tensor targets = (sum > -1.72).to(torch::kLong) + (sum > 1.72).to(torch::kLong);
    return {inputs, targets};
}

struct SumClassifierImpl : nn::Module {
    SumClassifierImpl()
        : gru(register_module("gru", nn::GRU(nn::GRUOptions(1, 32).batch_first(true))))
        , dropout(register_module("dropout", nn::Dropout(0.1)))
        , head(register_module("head", nn::Linear(32, 3)))
    {
    }

    torch::Tensor forward(const torch::Tensor& x)
    {
        torch::Tensor last = std::get<0>(gru->forward(x)).select(1, -1);
        if (detach_features)
            last = last.detach();
        return head->forward(dropout->forward(last));
    }

    nn::GRU gru;
    nn::Dropout dropout;
    nn::Linear head;
    bool detach_features = false;
};
TORCH_MODULE(SumClassifier);

Layout gru_layout(const std::string&)
{
    Layout l;
    l.hidden = {"gru"};
    l.large_bias = 5.0; // the gates' Sigmoids and the candidate's Tanh saturate
    l.output = "head";
    l.dropout = {"dropout"};
    l.first = "gru";
    l.last = "head";
    l.frozen = "head";
    l.before_detach = {"gru"};
    return l;
}

int gru(const Mutation& m, const Settings& s)
{
    examples::Dataset data = sum_classes(3000);
    data.inputs = scale_inputs(m, data.inputs);
    SumClassifier model;
    model->detach_features = m.is("detach_in_forward");
    prepare(m, *model);
    optim::Adam optimizer(optimised_parameters(m, *model), optim::AdamOptions(1e-2));
    adjust_learning_rate(m, optimizer);

    traindx::Probe probe(model, traindx::ProbeOptions().name("gru"));
    probe.watch(optimizer);
    probe.describe_data(data.inputs.slice(0, 0, 256), data.targets.slice(0, 0, 256));

    const int epochs = s.epochs_or(8);
    auto progress = Progress::accuracy(0.8);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        if (!m.is("eval_mode"))
            model->train();
        for (const auto& index : shuffled_batches(data.inputs.size(0), 64)) {
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

// lstm ------------------------------------------------------------------------------------

// Sequences of 20 standard normal values; target 1 when the first half sums to more than
// the second, shape [N, 1].
examples::Dataset larger_half(std::int64_t rows)
{
    const torch::Tensor inputs = torch::randn({rows, 20, 1});
    const torch::Tensor first = inputs.slice(1, 0, 10).sum({1, 2});
    const torch::Tensor second = inputs.slice(1, 10, 20).sum({1, 2});
    return {inputs, (first > second).to(torch::kFloat).unsqueeze(1)};
}

struct HalvesClassifierImpl : nn::Module {
    HalvesClassifierImpl()
        : lstm(register_module("lstm", nn::LSTM(nn::LSTMOptions(1, 24).batch_first(true))))
        , dropout(register_module("dropout", nn::Dropout(0.1)))
        , head(register_module("head", nn::Linear(24, 1)))
    {
    }

    torch::Tensor forward(const torch::Tensor& x)
    {
        torch::Tensor last = std::get<0>(lstm->forward(x)).select(1, -1);
        if (detach_features)
            last = last.detach();
        return head->forward(dropout->forward(last));
    }

    nn::LSTM lstm;
    nn::Dropout dropout;
    nn::Linear head;
    bool detach_features = false;
};
TORCH_MODULE(HalvesClassifier);

Layout lstm_layout(const std::string&)
{
    Layout l;
    l.hidden = {"lstm"};
    l.large_bias = 5.0;
    l.output = "head";
    l.dropout = {"dropout"};
    l.first = "lstm";
    l.last = "head";
    l.frozen = "head";
    l.before_detach = {"lstm"};
    return l;
}

int lstm(const Mutation& m, const Settings& s)
{
    examples::Dataset data = larger_half(3000);
    data.inputs = scale_inputs(m, data.inputs);
    HalvesClassifier model;
    model->detach_features = m.is("detach_in_forward");
    prepare(m, *model);
    optim::RMSprop optimizer(optimised_parameters(m, *model), optim::RMSpropOptions(3e-3));
    adjust_learning_rate(m, optimizer);

    traindx::Probe probe(model, traindx::ProbeOptions().name("lstm"));
    probe.watch(optimizer);
    probe.describe_data(data.inputs.slice(0, 0, 256), data.targets.slice(0, 0, 256));

    const int epochs = s.epochs_or(8);
    auto progress = Progress::accuracy(0.75);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        if (!m.is("eval_mode"))
            model->train();
        for (const auto& index : shuffled_batches(data.inputs.size(0), 64)) {
            const torch::Tensor x = data.inputs.index_select(0, index);
            const torch::Tensor y = data.targets.index_select(0, index);
            if (!m.is("missing_zero_grad"))
                optimizer.zero_grad();
            const torch::Tensor logit = output_activation(m, model->forward(x));
            const torch::Tensor loss = F::binary_cross_entropy_with_logits(logit, y);
            loss.backward();
            optimizer.step();
            const double accuracy = (logit > 0).eq(y > 0.5).to(torch::kDouble).mean().item<double>();
            probe.step(loss, accuracy);
            progress.add(loss.item<double>(), accuracy);
        }
        probe.end_epoch();
        progress.end_epoch(epoch, epochs);
    }
    return progress.finish();
}

const RegisterBase register_gru {{"gru",
                                  "custom module: GRU over 16 noisy values and a Linear head telling whether "
                                  "their sum is low, middling or high, Adam",
                                  Task::CrossEntropy, gru_layout, gru}};
const RegisterBase register_lstm {{"lstm",
                                   "custom module: LSTM over 20 noisy values and a one-logit head telling which "
                                   "half sums to more, BCE with logits, RMSprop",
                                   Task::BinaryLogits, lstm_layout, lstm}};

} // namespace

} // namespace mutants
