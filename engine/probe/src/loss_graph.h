// The operations between the model's last parameterised layer and the loss, read from the
// loss tensor's autograd graph: what the program really computes, functional activations
// and the loss function included, without the program declaring anything.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace traindx::probe {

// Node names from the loss back to the first node that takes a parameter, loss first, with
// LibTorch's numeric suffix removed: {"NllLossBackward", "LogSoftmaxBackward",
// "SigmoidBackward", "AddmmBackward"}. The walk stops where the graph branches (a loss
// made of several terms), and then ends with "…". Empty when the loss has no graph.
std::vector<std::string> loss_graph(const torch::Tensor& loss, int max_nodes = 24);

} // namespace traindx::probe
