// Reductions of a tensor to the statistics that travel on the wire. Runs in the training
// process; reads tensors, never changes them.
#pragma once

#include <torch/torch.h>

#include "traindx.pb.h"

namespace traindx::probe {

constexpr int kHistogramBins = 64;

void tensor_stats(const torch::Tensor& tensor, bool with_histogram, wire::TensorStats* out);

// Per unit (dimension 1: feature or channel), the fraction of rows where the unit is
// positive somewhere. For a ReLU output, 0 means a dead unit on this batch.
std::vector<float> unit_activity(const torch::Tensor& activation);

// Fraction of elements of a Sigmoid or Tanh output whose input lay beyond +-5.
double saturated_fraction(const torch::Tensor& output, bool tanh);

} // namespace traindx::probe
