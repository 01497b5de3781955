// Reductions of a tensor to the statistics that travel on the wire. Runs in the training
// process; reads tensors, never changes them.
#pragma once

#include <torch/torch.h>

#include "traindx.pb.h"

namespace traindx::probe {

constexpr int kHistogramBins = 64;

// Where the histogram's bins lie: over [min, max] of the finite values, or on the finest
// dyadic grid that holds them (dyadic_grid.h), for histograms that ranks add up.
enum class HistogramGrid { Span, Dyadic };
// For every tensor_stats() call of the process from now on.
void set_histogram_grid(HistogramGrid grid);

// Count of all elements; NaN, infinite and zero elements; mean, standard deviation, min, max
// and L2 norm of the finite ones; with_histogram: kHistogramBins equal-width bins over
// [min, max] of the finite values (all in the first bin when they are equal). Tensors on the
// CPU are read where they lie, in one pass for the moments and one for the histogram, split
// over threads when large; other devices go through tensor_stats_by_tensor_ops.
void tensor_stats(const torch::Tensor& tensor, bool with_histogram, wire::TensorStats* out);

// The same statistics from tensor operations on the tensor's own device; only the results and
// the bins come to the host. Any device, the CPU included.
void tensor_stats_by_tensor_ops(const torch::Tensor& tensor, bool with_histogram, wire::TensorStats* out);

// Per unit (dimension 1: feature or channel), the fraction of rows where the unit is
// positive somewhere. For a ReLU output, 0 means a dead unit on this batch.
std::vector<float> unit_activity(const torch::Tensor& activation);

// Fraction of elements of a Sigmoid or Tanh output whose input lay beyond +-5.
double saturated_fraction(const torch::Tensor& output, bool tanh);

} // namespace traindx::probe
