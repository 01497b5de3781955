#include "live_changes.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace traindx::probe {

namespace {

std::string number(double value)
{
    std::ostringstream out;
    out.precision(4);
    out << value;
    return out.str();
}

wire::Event answer(const wire::Change& change, wire::Event::Kind kind, const std::string& text)
{
    wire::Event event;
    event.set_kind(kind);
    event.set_change_id(change.id());
    event.set_change_kind(change.kind());
    event.set_layer(-1);
    event.set_text(text);
    return event;
}

wire::Event refused(const wire::Change& change, const std::string& why)
{
    return answer(change, wire::Event::CHANGE_REFUSED, why);
}

wire::Event applied(const wire::Change& change, const std::string& what)
{
    return answer(change, wire::Event::CHANGE_APPLIED, what);
}

// The optimizer is the program's; watch() took it as const only to promise not to change it
// unless a client asks.
torch::optim::Optimizer& mutable_optimizer(const torch::optim::Optimizer* optimizer)
{
    return *const_cast<torch::optim::Optimizer*>(optimizer);
}

std::string layer_name(const LayerInfo& layer)
{
    // As the findings name it: by forward index, with the path when it says more.
    const std::string path = layer.path.empty() || layer.path == std::to_string(layer.index) ? "" : ", " + layer.path;
    return "layer " + std::to_string(layer.index >= 0 ? layer.index : layer.id) + " (" + layer.type + path + ")";
}

wire::Event learning_rate(const wire::Change& change, const std::vector<const torch::optim::Optimizer*>& optimizers)
{
    if (optimizers.empty())
        return refused(change, "no optimizer is watched: call probe.watch(optimizer) to change its learning rate");
    if (change.optimizer() < 0 || change.optimizer() > int(optimizers.size()))
        return refused(change, "there is no optimizer " + std::to_string(change.optimizer()));
    const bool scale = change.kind() == wire::Change::SCALE_LEARNING_RATE;
    if (!(change.value() > 0) || !std::isfinite(change.value()))
        return refused(change, std::string(scale ? "a factor" : "a learning rate") + " must be positive and finite, not "
                                   + number(change.value()));
    std::string said;
    for (std::size_t o = 0; o < optimizers.size(); ++o) {
        if (change.optimizer() != 0 && int(o) + 1 != change.optimizer())
            continue;
        for (auto& group : mutable_optimizer(optimizers[o]).param_groups()) {
            const double before = group.options().get_lr();
            const double after = scale ? before * change.value() : change.value();
            group.options().set_lr(after);
            if (said.empty())
                said = "learning rate " + number(before) + " -> " + number(after);
        }
    }
    return applied(change, said);
}

wire::Event reinitialise(const wire::Change& change, const LayerInfo& layer)
{
    const std::string scheme = change.scheme().empty() ? "kaiming_normal" : change.scheme();
    if (scheme != "kaiming_normal" && scheme != "kaiming_uniform" && scheme != "xavier_normal" && scheme != "xavier_uniform")
        return refused(change, "unknown initialisation \"" + scheme
                                   + "\": kaiming_normal, kaiming_uniform, xavier_normal or xavier_uniform");
    auto generator = at::make_generator<at::CPUGeneratorImpl>(change.seed());
    torch::NoGradGuard no_grad;
    std::string said = layer_name(layer) + " re-initialised (" + scheme + ", seed " + std::to_string(change.seed()) + "):";
    for (const auto& [name, tensor] : layer.parameters) {
        const torch::Tensor values = tensor.detach();
        if (values.dim() >= 2) {
            const double receptive = values.dim() > 2 ? double(values[0][0].numel()) : 1.0;
            const double fan_in = double(values.size(1)) * receptive, fan_out = double(values.size(0)) * receptive;
            const bool kaiming = scheme.rfind("kaiming", 0) == 0;
            const double variance = kaiming ? 2.0 / fan_in : 2.0 / (fan_in + fan_out);
            const double before = values.std().item<double>();
            const torch::Tensor fresh = torch::empty(values.sizes(), torch::TensorOptions().dtype(torch::kFloat64));
            if (scheme.find("uniform") != std::string::npos)
                fresh.uniform_(-std::sqrt(3 * variance), std::sqrt(3 * variance), generator);
            else
                fresh.normal_(0, std::sqrt(variance), generator);
            values.copy_(fresh.to(values.device(), values.scalar_type()));
            said += " " + name + " std " + number(before) + " -> " + number(values.std().item<double>()) + ";";
        } else {
            const double before = values.mean().item<double>();
            values.zero_();
            said += " " + name + " mean " + number(before) + " -> 0;";
        }
    }
    said.pop_back();
    return applied(change, said);
}

wire::Event clip(const wire::Change& change, GradientHooks& hooks)
{
    if (!(change.value() >= 0) || !std::isfinite(change.value()))
        return refused(change, "a gradient norm must be positive and finite (0 to stop clipping), not " + number(change.value()));
    const double before = hooks.clip_norm.exchange(change.value());
    if (change.value() == 0)
        return applied(change, before > 0 ? "gradient clipping off (it was at norm " + number(before) + ")"
                                          : "gradient clipping off (it was not on)");
    return applied(change, "gradients clipped to global norm " + number(change.value())
                               + " from now on, before the optimizer steps");
}

wire::Event add_to_optimizer(const wire::Change& change, const LayerInfo& layer,
                             const std::vector<const torch::optim::Optimizer*>& optimizers)
{
    if (optimizers.empty())
        return refused(change, "no optimizer is watched: call probe.watch(optimizer) to give it parameters");
    const int which = change.optimizer() > 0 ? change.optimizer() - 1 : 0;
    if (which >= int(optimizers.size()))
        return refused(change, "there is no optimizer " + std::to_string(change.optimizer()));
    torch::optim::Optimizer& optimizer = mutable_optimizer(optimizers[std::size_t(which)]);
    if (optimizer.param_groups().empty())
        return refused(change, "the optimizer has no parameter group whose options a new one could take");
    std::vector<torch::Tensor> missing;
    std::string names;
    for (const auto& [name, tensor] : layer.parameters) {
        bool in = false;
        for (const auto* other : optimizers)
            for (const auto& group : other->param_groups())
                for (const auto& parameter : group.params())
                    in = in || parameter.unsafeGetTensorImpl() == tensor.unsafeGetTensorImpl();
        if (!in) {
            missing.push_back(tensor);
            names += (names.empty() ? "" : ", ") + name;
        }
    }
    if (missing.empty())
        return refused(change, "every parameter of " + layer_name(layer) + " is already given to an optimizer");
    optimizer.add_param_group(torch::optim::OptimizerParamGroup(missing, optimizer.param_groups().front().options().clone()));
    return applied(change, layer_name(layer) + "'s " + names + " given to the optimizer (learning rate "
                               + number(optimizer.param_groups().back().options().get_lr()) + ")");
}

// A layer as the findings name it: its module path, else its position in forward order.
int layer_named(const std::string& name, const std::vector<LayerInfo>& layers)
{
    for (const auto& layer : layers)
        if (layer.path == name && !layer.parameters.empty())
            return layer.id;
    char* end = nullptr;
    const long index = std::strtol(name.c_str(), &end, 10);
    if (!name.empty() && end && *end == '\0')
        for (const auto& layer : layers)
            if (layer.index == index)
                return layer.id;
    for (const auto& layer : layers)
        if (layer.path == name)
            return layer.id;
    return -1;
}

} // namespace

wire::Event apply_change(const wire::Change& change, const std::vector<LayerInfo>& layers,
                         const std::vector<const torch::optim::Optimizer*>& optimizers, GradientHooks& hooks)
{
    switch (change.kind()) {
    case wire::Change::CLIP_GRADIENT_NORM:
        return clip(change, hooks);
    case wire::Change::SET_LEARNING_RATE:
    case wire::Change::SCALE_LEARNING_RATE:
        return learning_rate(change, optimizers);
    case wire::Change::RESET_OPTIMIZER_STATE: {
        if (optimizers.empty())
            return refused(change, "no optimizer is watched: call probe.watch(optimizer)");
        for (const auto* optimizer : optimizers)
            mutable_optimizer(optimizer).state().clear();
        return applied(change, "optimizer state reset (moments and buffers start again)");
    }
    case wire::Change::REINITIALISE:
    case wire::Change::FREEZE:
    case wire::Change::UNFREEZE:
    case wire::Change::ADD_TO_OPTIMIZER: {
        const int id = change.layer_name().empty() ? change.layer() : layer_named(change.layer_name(), layers);
        if (id < 0 || id >= int(layers.size()))
            return refused(change, "there is no layer " + (change.layer_name().empty() ? std::to_string(change.layer())
                                                                                       : "\"" + change.layer_name() + "\""));
        const LayerInfo& layer = layers[std::size_t(id)];
        if (layer.parameters.empty())
            return refused(change, layer_name(layer) + " has no parameters of its own");
        for (const auto& [name, tensor] : layer.parameters)
            if (!torch::isFloatingType(tensor.scalar_type()))
                return refused(change, layer_name(layer) + "." + name + " is not a floating-point tensor");
        wire::Event event;
        if (change.kind() == wire::Change::REINITIALISE) {
            event = reinitialise(change, layer);
        } else if (change.kind() == wire::Change::ADD_TO_OPTIMIZER) {
            event = add_to_optimizer(change, layer, optimizers);
        } else {
            const bool train = change.kind() == wire::Change::UNFREEZE;
            for (const auto& [name, tensor] : layer.parameters)
                tensor.set_requires_grad(train);
            event = applied(change, layer_name(layer) + (train ? " unfrozen" : " frozen"));
        }
        event.set_layer(layer.id);
        return event;
    }
    default:
        return refused(change, "a kind of change this probe does not know");
    }
}

void LiveChanges::request(const wire::Change& change)
{
    std::lock_guard lock(mutex_);
    queue_.push_back(change);
}

bool LiveChanges::pending() const
{
    std::lock_guard lock(mutex_);
    return !queue_.empty();
}

std::vector<wire::Event> LiveChanges::apply(const std::vector<LayerInfo>& layers,
                                            const std::vector<const torch::optim::Optimizer*>& optimizers, GradientHooks& hooks,
                                            long long steps, int epochs)
{
    std::vector<wire::Change> changes;
    {
        std::lock_guard lock(mutex_);
        std::vector<wire::Change> later;
        for (auto& change : queue_)
            (steps >= change.at_step() && epochs >= change.at_epoch() ? changes : later).push_back(std::move(change));
        queue_.swap(later);
    }
    std::vector<wire::Event> events;
    for (const auto& change : changes)
        events.push_back(apply_change(change, layers, optimizers, hooks));
    return events;
}

} // namespace traindx::probe
