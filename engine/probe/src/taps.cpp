#include "taps.h"

#include "tensor_stats.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/accumulate_grad.h>

#include <cstdio>
#include <deque>
#include <unordered_map>
#include <unordered_set>

namespace traindx::probe {

namespace {

bool is_relu_like(const std::string& type)
{
    return type == "ReLU" || type == "ReLU6";
}

struct FunctionNames {
    std::string type;     // the torch::nn module that computes the same
    std::string function; // what the program wrote
    std::string suffix;   // of the new layer's path
};

FunctionNames names_of(Activation activation, int64_t dims)
{
    const std::string pool_dims = std::to_string(std::clamp<int64_t>(dims - 2, 1, 3)) + "d";
    switch (activation) {
    case Activation::ReLU: return {"ReLU", "torch::relu", "relu"};
    case Activation::LeakyReLU: return {"LeakyReLU", "torch::leaky_relu", "leaky_relu"};
    case Activation::Sigmoid: return {"Sigmoid", "torch::sigmoid", "sigmoid"};
    case Activation::Tanh: return {"Tanh", "torch::tanh", "tanh"};
    case Activation::Softmax: return {"Softmax", "torch::softmax", "softmax"};
    case Activation::LogSoftmax: return {"LogSoftmax", "torch::log_softmax", "log_softmax"};
    case Activation::GELU: return {"GELU", "torch::gelu", "gelu"};
    case Activation::ELU: return {"ELU", "torch::elu", "elu"};
    case Activation::MaxPool: return {"MaxPool" + pool_dims, "torch::max_pool" + pool_dims, "max_pool"};
    case Activation::AvgPool: return {"AvgPool" + pool_dims, "torch::avg_pool" + pool_dims, "avg_pool"};
    case Activation::Unspecified:
    case Activation::None: break;
    }
    return {};
}

// A module that computes nothing a tap could add to: an activation, a pooling, a dropout.
bool is_function_module(const LayerInfo& layer)
{
    return layer.parameters.empty() && layer.leaf && layer.module;
}

std::string percent(double fraction)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %%", 100.0 * fraction);
    return text;
}

} // namespace

std::pair<std::string, std::string> activation_names(Activation activation)
{
    const FunctionNames names = names_of(activation, 2);
    return {names.type, names.function};
}

void activation_stats(const torch::Tensor& output, const std::string& type, wire::LayerStats* stats)
{
    tensor_stats(output, true, stats->mutable_activation());
    if (is_relu_like(type)) {
        const auto activity = unit_activity(output);
        int dead = 0;
        for (float active : activity)
            dead += active == 0.0f;
        stats->set_dead_fraction(activity.empty() ? 0.0f : float(dead) / float(activity.size()));
        if (activity.size() <= 4096)
            stats->mutable_unit_active()->Add(activity.begin(), activity.end());
    } else if (type == "Sigmoid" || type == "Tanh") {
        stats->set_saturated_fraction(float(saturated_fraction(output, type == "Tanh")));
    }
}

Activation infer_activation(const torch::Tensor& tensor, std::string& evidence)
{
    torch::NoGradGuard no_grad;
    if (!tensor.defined() || !tensor.is_floating_point() || tensor.numel() < 16)
        return Activation::None;
    const torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kDouble);
    if (!torch::isfinite(t).all().item<bool>())
        return Activation::None;
    const double min = t.min().item<double>();
    const double max = t.max().item<double>();
    if (t.dim() >= 2 && t.size(-1) > 1) {
        if (min >= 0 && (t.sum(-1) - 1).abs().max().item<double>() < 1e-3) {
            evidence = "every row sums to 1";
            return Activation::Softmax;
        }
        if (max <= 0 && t.logsumexp(-1).abs().max().item<double>() < 1e-3) {
            evidence = "the exponentials of every row sum to 1";
            return Activation::LogSoftmax;
        }
    }
    if (min >= 0 && max > 0) {
        const double zeros = t.eq(0).sum().item<double>() / double(t.numel());
        if (zeros >= 0.01) {
            evidence = "no negative value and " + percent(zeros) + " exact zeros";
            return Activation::ReLU;
        }
    }
    if (min > 0 && max < 1) {
        evidence = "every value strictly between 0 and 1";
        return Activation::Sigmoid;
    }
    return Activation::None;
}

void Taps::arm()
{
    armed_ = true;
    seen_this_pass_.clear();
    previous_ = -1;
}

bool Taps::record(const std::string& name, const torch::Tensor& tensor, Activation activation)
{
    if (!armed_ || !tensor.defined())
        return false;
    if (!seen_this_pass_.insert({name, activation}).second) {
        armed_ = false; // a tap seen twice: the armed forward pass is over
        return false;
    }
    torch::NoGradGuard no_grad;
    bool created = false;
    const int layer = layer_for(name, tensor, activation, created);
    previous_ = layer;
    auto& stats = stats_[layer];
    stats.Clear();
    stats.set_layer(layer);
    activation_stats(tensor, walk_.layers()[layer].type, &stats);
    return created;
}

int Taps::layer_for(const std::string& name, const torch::Tensor& tensor, Activation activation, bool& created)
{
    const auto key = std::make_pair(name, activation);
    if (const auto known = layers_.find(key); known != layers_.end())
        return known->second;

    const int named = walk_.find(name);
    std::string evidence;
    if (activation == Activation::Unspecified) {
        const bool plain_output = named >= 0 && is_function_module(walk_.layers()[named]);
        activation = plain_output ? Activation::None : infer_activation(tensor, evidence);
    }
    int layer = named;
    if (activation == Activation::None) {
        if (layer < 0) {
            layer = walk_.add_tap(name, "Tap", "a tensor tapped in forward()", "", -1);
            created = true;
        }
    } else {
        const FunctionNames names = names_of(activation, tensor.dim());
        const int anchor = anchor_for(named, tensor);
        const std::string path = named >= 0 ? name + "/" + names.suffix : name;
        std::string options = names.function;
        if (anchor >= 0)
            options += " on the output of " + (walk_.layers()[anchor].path.empty() ? "the model" : walk_.layers()[anchor].path);
        options += evidence.empty() ? " (declared by tap)" : " (inferred from its values: " + evidence + ")";
        layer = walk_.find(path);
        if (layer < 0) {
            layer = walk_.add_tap(path, names.type, options, names.function, anchor);
            created = true;
        }
    }
    layers_[key] = layer;
    return layer;
}

int Taps::anchor_for(int named, const torch::Tensor& tensor) const
{
    if (named >= 0)
        return named;
    if (const auto& root = tensor.grad_fn()) {
        std::unordered_map<const c10::TensorImpl*, int> owner;
        for (const auto& layer : walk_.layers())
            for (const auto& parameter : layer.parameters)
                owner.emplace(parameter.second.unsafeGetTensorImpl(), layer.id);
        // Breadth first: the nearest parameter belongs to the layer that produced the input.
        std::deque<std::shared_ptr<torch::autograd::Node>> queue {root};
        std::unordered_set<const torch::autograd::Node*> seen {root.get()};
        for (int visited = 0; !queue.empty() && visited < 256; ++visited) {
            const auto node = queue.front();
            queue.pop_front();
            if (const auto* accumulate = dynamic_cast<const torch::autograd::AccumulateGrad*>(node.get())) {
                if (const auto found = owner.find(accumulate->variable.unsafeGetTensorImpl()); found != owner.end())
                    return found->second;
                continue;
            }
            for (const auto& edge : node->next_edges())
                if (edge.is_valid() && seen.insert(edge.function.get()).second)
                    queue.push_back(edge.function);
        }
    }
    return previous_;
}

} // namespace traindx::probe
