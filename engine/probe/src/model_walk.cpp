#include "model_walk.h"

#include <sstream>

namespace traindx::probe {

namespace {

std::string strip(std::string text, const std::string& part)
{
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part))
        text.erase(at, part.size());
    return text;
}

std::string type_name(const torch::nn::Module& module)
{
    std::string name = module.name();
    if (const auto colon = name.rfind("::"); colon != std::string::npos)
        name = name.substr(colon + 2);
    if (name.size() > 4 && name.compare(name.size() - 4, 4, "Impl") == 0)
        name.resize(name.size() - 4);
    return name;
}

std::string options_text(const torch::nn::Module& module)
{
    std::ostringstream text;
    module.pretty_print(text);
    return strip(text.str(), "torch::nn::");
}

std::string parent_path(const std::string& path)
{
    const auto dot = path.rfind('.');
    return dot == std::string::npos ? std::string() : path.substr(0, dot);
}

} // namespace

ModelWalk::ModelWalk(std::shared_ptr<torch::nn::Module> root)
    : root_(std::move(root))
{
    std::unordered_map<std::string, int> by_path;
    // The root by hand: a module the program holds by value is not in a shared_ptr, and
    // named_modules() including itself would ask it for one.
    std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> modules {{"", root_}};
    for (const auto& item : root_->named_modules("", /*include_self=*/false))
        modules.emplace_back(item.key(), item.value());
    for (const auto& [path, module] : modules) {
        LayerInfo layer;
        layer.id = int(layers_.size());
        layer.path = path;
        layer.module = module;
        layer.type = type_name(*layer.module);
        layer.options = options_text(*layer.module);
        layer.leaf = layer.module->children().empty();
        if (layer.id > 0) {
            const auto parent = by_path.find(parent_path(layer.path));
            layer.parent = parent == by_path.end() ? 0 : parent->second;
        }
        for (const auto& parameter : layer.module->named_parameters(/*recurse=*/false))
            layer.parameters.emplace_back(parameter.key(), parameter.value());
        by_path[layer.path] = layer.id;
        by_module_[layer.module.get()] = layer.id;
        layers_.push_back(std::move(layer));
    }

    sequential_ = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(root_) != nullptr;
    std::vector<int> order;
    if (sequential_) {
        // Forward order is the order of the Sequential's children, nested ones flattened.
        std::function<void(const torch::nn::Module&)> visit = [&](const torch::nn::Module& module) {
            for (const auto& child : module.children()) {
                if (std::dynamic_pointer_cast<torch::nn::SequentialImpl>(child))
                    visit(*child);
                else
                    order.push_back(by_module_.at(child.get()));
            }
        };
        visit(*root_);
    } else {
        for (const auto& layer : layers_)
            if (layer.leaf && layer.id > 0)
                order.push_back(layer.id);
    }
    for (std::size_t i = 0; i < order.size(); ++i) {
        layers_[order[i]].index = int(i);
        layers_[order[i]].forward_known = sequential_;
        if (sequential_ && i > 0)
            edges_.emplace_back(order[i - 1], order[i]);
    }
}

void ModelWalk::add_model(const std::string& name, std::shared_ptr<torch::nn::Module> model)
{
    int next_index = 0;
    for (const auto& layer : layers_)
        next_index = std::max(next_index, layer.index + 1);
    std::unordered_map<std::string, int> by_path;
    std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> modules {{name, model}};
    for (const auto& item : model->named_modules("", /*include_self=*/false))
        modules.emplace_back(name + "." + item.key(), item.value());
    for (const auto& [path, module] : modules) {
        LayerInfo layer;
        layer.id = int(layers_.size());
        layer.path = path;
        layer.module = module;
        layer.type = type_name(*module);
        layer.options = options_text(*module);
        layer.leaf = module->children().empty();
        const auto parent = by_path.find(parent_path(path));
        layer.parent = parent == by_path.end() ? 0 : parent->second;
        for (const auto& parameter : module->named_parameters(/*recurse=*/false))
            layer.parameters.emplace_back(parameter.key(), parameter.value());
        if (layer.leaf)
            layer.index = next_index++;
        by_path[path] = layer.id;
        by_module_[module.get()] = layer.id;
        layers_.push_back(std::move(layer));
    }
}

int ModelWalk::find(const std::string& path) const
{
    for (const auto& layer : layers_)
        if (layer.path == path)
            return layer.id;
    return -1;
}

int ModelWalk::add_tap(const std::string& path, const std::string& type, const std::string& options,
                       const std::string& function, int follows)
{
    LayerInfo layer;
    layer.id = int(layers_.size());
    layer.path = path;
    layer.type = type;
    layer.options = options;
    layer.function = function;
    layer.parent = follows >= 0 ? std::max(0, layers_[follows].parent) : 0;
    layer.forward_known = follows >= 0 && layers_[follows].forward_known;
    const int after = follows >= 0 ? last_index_within(follows) : -1;
    if (after >= 0) {
        layer.index = after + 1;
        int next = -1;
        for (auto& other : layers_) {
            if (other.index == layer.index)
                next = other.id;
            if (other.index >= layer.index)
                ++other.index;
        }
        if (sequential_) {
            for (auto& edge : edges_)
                if (edge.first == follows && edge.second == next)
                    edge.first = layer.id;
            edges_.emplace_back(follows, layer.id);
        }
    }
    layers_.push_back(std::move(layer));
    return layers_.back().id;
}

int ModelWalk::last_index_within(int id) const
{
    if (layers_[id].index >= 0)
        return layers_[id].index;
    const std::string prefix = layers_[id].path + ".";
    int last = -1;
    for (const auto& layer : layers_)
        if (layer.path.compare(0, prefix.size(), prefix) == 0 || id == 0)
            last = std::max(last, layer.index);
    return last;
}

torch::Device ModelWalk::device() const
{
    for (const auto& layer : layers_)
        for (const auto& parameter : layer.parameters)
            return parameter.second.device();
    return torch::kCPU;
}

std::int64_t ModelWalk::parameter_count() const
{
    std::int64_t count = 0;
    for (const auto& layer : layers_)
        for (const auto& parameter : layer.parameters)
            count += parameter.second.numel();
    return count;
}

torch::Tensor ModelWalk::run_sequential(torch::nn::SequentialImpl& sequential, torch::Tensor x, const Visit& visit)
{
    for (std::size_t i = 0; i < sequential.size(); ++i) {
        const auto child = sequential.ptr(i);
        if (auto nested = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(child))
            x = run_sequential(*nested, x, visit);
        else
            x = sequential.begin()[i].forward<torch::Tensor>(x);
        LayerInfo& layer = layers_[by_module_.at(child.get())];
        layer.output_shape = x.sizes().vec();
        visit(layer, x);
    }
    return x;
}

void ModelWalk::capture(const torch::Tensor& batch, const Visit& visit)
{
    auto sequential = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(root_);
    if (!sequential || !batch.defined())
        return;

    std::vector<std::pair<torch::nn::Module*, bool>> modes;
    for (const auto& layer : layers_)
        if (layer.module)
            modes.emplace_back(layer.module.get(), layer.module->is_training());
    // Modules' train() recurses into children, so restoring in pre-order (parents first)
    // leaves every module exactly as it was, even in a mixed train/eval model.
    struct Restore {
        std::vector<std::pair<torch::nn::Module*, bool>>& modes;
        ~Restore()
        {
            for (auto& [module, training] : modes)
                module->train(training);
        }
    } restore {modes};

    torch::NoGradGuard no_grad;
    root_->eval();
    try {
        run_sequential(*sequential, batch.to(device()), visit);
    } catch (const std::exception&) {
        // A child whose forward() does not take and return one tensor: keep what was captured.
    }
}

void ModelWalk::describe(wire::Model* model) const
{
    model->clear_layers();
    model->clear_edges();
    for (const auto& info : layers_) {
        auto* layer = model->add_layers();
        layer->set_id(info.id);
        layer->set_index(info.index);
        layer->set_path(info.path);
        layer->set_type(info.type);
        layer->set_options(info.options);
        layer->set_function(info.function);
        layer->set_parent(info.parent);
        layer->set_leaf(info.leaf);
        layer->set_in_forward_order(info.forward_known && info.index >= 0);
        for (const auto& [name, tensor] : info.parameters) {
            auto* shape = layer->add_parameters();
            shape->set_name(name);
            shape->set_frozen(!tensor.requires_grad());
            for (auto d : tensor.sizes())
                shape->add_dims(d);
        }
        for (auto d : info.output_shape)
            layer->add_output_shape(d);
    }
    for (const auto& [from, to] : edges_) {
        auto* edge = model->add_edges();
        edge->set_from(from);
        edge->set_to(to);
    }
    model->set_parameter_count(parameter_count());
}

} // namespace traindx::probe
