#include "loss_graph.h"

#include <torch/csrc/autograd/function.h>

#include <cctype>

namespace traindx::probe {

namespace {

std::string short_name(const torch::autograd::Node& node)
{
    std::string name = node.name();
    if (const auto colon = name.rfind("::"); colon != std::string::npos)
        name.erase(0, colon + 2);
    while (!name.empty() && std::isdigit(static_cast<unsigned char>(name.back())))
        name.pop_back();
    return name;
}

} // namespace

std::vector<std::string> loss_graph(const torch::Tensor& loss, int max_nodes)
{
    std::vector<std::string> names;
    if (!loss.defined() || !loss.requires_grad())
        return names;
    std::shared_ptr<torch::autograd::Node> node = loss.grad_fn();
    while (node && int(names.size()) < max_nodes) {
        names.push_back(short_name(*node));
        std::shared_ptr<torch::autograd::Node> next;
        int branches = 0;
        bool takes_parameter = false;
        for (const auto& edge : node->next_edges()) {
            if (!edge.is_valid())
                continue;
            if (short_name(*edge.function) == "AccumulateGrad") {
                takes_parameter = true;
                continue;
            }
            if (!next)
                next = edge.function;
            ++branches;
        }
        if (takes_parameter)
            break;
        if (branches > 1) {
            names.push_back("…");
            break;
        }
        node = next;
    }
    return names;
}

} // namespace traindx::probe
