#include "mutation.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <unordered_set>

namespace mutants {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

// The parameter's own name: "weight_ih_l0" for "gru.weight_ih_l0".
std::string leaf_name(const std::string& path)
{
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::shared_ptr<nn::Module> module_at(nn::Module& model, const std::string& path)
{
    for (const auto& item : model.named_modules())
        if (item.key() == path)
            return item.value();
    throw std::logic_error("no module at path '" + path + "' in the model");
}

void initialise(nn::Module& model, const std::function<void(torch::Tensor&)>& weight,
                const std::function<void(torch::Tensor&)>& bias)
{
    for (auto& item : model.named_parameters()) {
        const std::string name = leaf_name(item.key());
        if (starts_with(name, "weight"))
            weight(item.value());
        else if (starts_with(name, "bias") && bias)
            bias(item.value());
    }
}

std::string format(double value, const char* spec = "%.4f")
{
    if (!std::isfinite(value))
        return "nan";
    char text[64];
    std::snprintf(text, sizeof(text), spec, value);
    return text;
}

} // namespace

void prepare(const Mutation& m, nn::Module& model)
{
    for (const auto& path : m.truth_layers())
        if (path != "*")
            module_at(model, path);

    const Layout& layout = m.layout();
    torch::NoGradGuard no_grad;
    if (m.is("init_normal"))
        initialise(model, [](torch::Tensor& w) { w.normal_(0.0, 1.0); }, nullptr);
    if (m.is("init_constant"))
        initialise(model, [](torch::Tensor& w) { w.fill_(0.05); }, [](torch::Tensor& b) { b.zero_(); });
    if (m.is("init_constant_large"))
        initialise(model, [](torch::Tensor& w) { w.fill_(0.5); }, [](torch::Tensor& b) { b.zero_(); });
    if (m.is("init_zero"))
        initialise(model, [](torch::Tensor& w) { w.zero_(); }, [](torch::Tensor& b) { b.zero_(); });
    if (m.is("large_bias"))
        for (const auto& path : layout.hidden)
            for (auto& item : module_at(model, path)->named_parameters(/*recurse=*/false))
                if (starts_with(item.key(), "bias"))
                    item.value().fill_(layout.large_bias);
    if (m.is("heavy_dropout")) {
        for (const auto& path : layout.dropout) {
            const auto module = module_at(model, path);
            if (auto dropout = std::dynamic_pointer_cast<nn::DropoutImpl>(module))
                dropout->options.p(0.9);
            else if (auto dropout2d = std::dynamic_pointer_cast<nn::Dropout2dImpl>(module))
                dropout2d->options.p(0.9);
            else
                throw std::logic_error("module '" + path + "' is not a dropout");
        }
    }
    if (m.is("frozen_layer"))
        for (auto& parameter : module_at(model, layout.frozen)->parameters())
            parameter.requires_grad_(false);
    if (m.is("eval_mode"))
        model.eval();
}

std::vector<torch::Tensor> optimised_parameters(const Mutation& m, nn::Module& model)
{
    std::string left_out;
    if (m.is("first_layer_not_in_optimizer"))
        left_out = m.layout().first;
    else if (m.is("last_layer_not_in_optimizer"))
        left_out = m.layout().last;
    else if (m.is("frozen_layer"))
        left_out = m.layout().frozen;
    if (left_out.empty())
        return model.parameters();

    std::unordered_set<const void*> skip;
    for (const auto& parameter : module_at(model, left_out)->parameters())
        skip.insert(parameter.unsafeGetTensorImpl());
    std::vector<torch::Tensor> kept;
    for (const auto& parameter : model.parameters())
        if (!skip.count(parameter.unsafeGetTensorImpl()))
            kept.push_back(parameter);
    return kept;
}

void adjust_learning_rate(const Mutation& m, torch::optim::Optimizer& optimizer)
{
    for (auto& group : optimizer.param_groups()) {
        auto& options = group.options();
        const double lr = options.get_lr();
        if (m.is("lr_x1000"))
            options.set_lr(lr * 1000);
        else if (m.is("lr_x10000"))
            options.set_lr(lr * 10000);
        else if (m.is("lr_x1e-5"))
            options.set_lr(lr * 1e-5);
        else if (m.is("lr_negative"))
            options.set_lr(-lr);
        else if (m.is("lr_zero"))
            options.set_lr(0.0);
    }
}

void add_output_activation(const Mutation& m, nn::Sequential& model)
{
    if (m.is("softmax_before_cross_entropy"))
        model->push_back(nn::Softmax(nn::SoftmaxOptions(1)));
    else if (m.is("sigmoid_before_cross_entropy") || m.is("sigmoid_regression_output"))
        model->push_back(nn::Sigmoid());
    else if (m.is("relu_before_cross_entropy") || m.is("relu_regression_output"))
        model->push_back(nn::ReLU());
}

torch::Tensor output_activation(const Mutation& m, const torch::Tensor& output)
{
    if (m.is("softmax_before_cross_entropy") || m.is("softmax_one_unit"))
        return torch::softmax(output, 1);
    if (m.is("sigmoid_before_cross_entropy") || m.is("sigmoid_regression_output")
        || m.is("sigmoid_before_bce_with_logits"))
        return torch::sigmoid(output);
    if (m.is("relu_before_cross_entropy") || m.is("relu_regression_output"))
        return torch::relu(output);
    return output;
}

torch::Tensor classification_loss(const Mutation& m, const torch::Tensor& logits, const torch::Tensor& targets)
{
    if (m.is("nll_loss_on_logits"))
        return F::nll_loss(logits, targets);
    if (m.is("bce_on_class_indices"))
        return F::binary_cross_entropy_with_logits(logits,
                                                   targets.to(torch::kFloat).unsqueeze(1).expand_as(logits));
    return F::cross_entropy(logits, targets);
}

torch::Tensor forward(const Mutation& m, nn::Sequential& model, const torch::Tensor& x, std::size_t cut)
{
    if (!m.is("detach_in_forward"))
        return model->forward(x);
    torch::Tensor h = x;
    std::size_t index = 0;
    for (auto& layer : *model) {
        if (index++ == cut)
            h = h.detach();
        h = layer.forward(h);
    }
    return h;
}

examples::Dataset fashion_mnist(const Mutation& m, long limit)
{
    examples::Dataset data = examples::load_fashion_mnist(true, limit);
    if (m.is("unscaled_inputs"))
        data.inputs = (data.inputs * 0.3530 + 0.2860) * 255.0; // the pixels as stored
    return data;
}

torch::Tensor scale_inputs(const Mutation& m, const torch::Tensor& inputs)
{
    return m.is("unscaled_inputs") ? inputs * 1000.0 + 500.0 : inputs;
}

std::vector<torch::Tensor> shuffled_batches(std::int64_t rows, std::int64_t batch_size)
{
    const torch::Tensor order = torch::randperm(rows, torch::kLong);
    std::vector<torch::Tensor> batches;
    for (std::int64_t first = 0; first < rows; first += batch_size)
        batches.push_back(order.slice(0, first, std::min(rows, first + batch_size)));
    return batches;
}

double argmax_accuracy(const torch::Tensor& logits, const torch::Tensor& targets)
{
    torch::NoGradGuard no_grad;
    return logits.argmax(1).eq(targets).to(torch::kDouble).mean().item<double>();
}

Progress::Progress(double learned_at, double variance)
    : learned_at_(learned_at)
    , variance_(variance)
    , start_(std::chrono::steady_clock::now())
{
}

void Progress::add(double loss, std::optional<double> accuracy)
{
    if (!has_first_) {
        first_loss_ = loss;
        has_first_ = true;
    }
    loss_sum_ += loss;
    accuracy_sum_ += accuracy.value_or(0.0);
    ++batches_;
}

void Progress::end_epoch(int epoch, int epochs)
{
    epoch_loss_ = loss_sum_ / std::max(1, batches_);
    epoch_quality_ = variance_ > 0 ? 1.0 - epoch_loss_ / variance_ : accuracy_sum_ / std::max(1, batches_);
    ++epochs_done_;
    std::cout << "epoch " << epoch << "/" << epochs << " loss " << format(epoch_loss_, "%.6g") << " "
              << (variance_ > 0 ? "r2 " : "accuracy ") << format(epoch_quality_) << std::endl;
    loss_sum_ = accuracy_sum_ = 0;
    batches_ = 0;
}

int Progress::finish() const
{
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const bool finite = std::isfinite(epoch_loss_) && std::isfinite(epoch_quality_);
    const bool learned = epochs_done_ > 0 && finite && epoch_quality_ >= learned_at_;
    char times[64];
    std::snprintf(times, sizeof(times), "%.2f", seconds);
    std::cout << "result: quality=" << format(finite ? epoch_quality_ : NAN) << " learned=" << (learned ? "yes" : "no")
              << " initial_loss=" << format(first_loss_, "%.6g") << " final_loss=" << format(epoch_loss_, "%.6g")
              << " epochs=" << epochs_done_ << " seconds=" << times << std::endl;
    return 0;
}

int run(const Base& base, const Mutation& m, const Settings& settings)
{
    torch::manual_seed(settings.seed);
    try {
        return base.run(m, settings);
    } catch (const std::exception& error) {
        std::string message = error.what();
        message = message.substr(0, message.find('\n'));
        std::cout << "result: quality=nan learned=no error=" << message << std::endl;
        std::cerr << "traindx-mutants: " << base.name << (m.none() ? "" : " --mutate " + m.op()) << ": "
                  << message << std::endl;
        return 1;
    }
}

} // namespace mutants
