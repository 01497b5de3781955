#include "tensor_stats.h"

#include <cmath>
#include <limits>

namespace traindx::probe {

namespace {

torch::Tensor as_cpu_float(const torch::Tensor& tensor)
{
    return tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
}

} // namespace

void tensor_stats(const torch::Tensor& tensor, bool with_histogram, wire::TensorStats* out)
{
    out->Clear();
    if (!tensor.defined() || tensor.numel() == 0)
        return;
    const torch::Tensor values = as_cpu_float(tensor);
    const float* data = values.data_ptr<float>();
    const std::int64_t count = values.numel();

    // One pass for the moments, shifted by the first finite value so that the variance of
    // values far from zero keeps its precision.
    std::int64_t nan = 0, inf = 0, zeros = 0, finite = 0;
    double shift = 0.0, sum = 0.0, sum_sq = 0.0, l2_sq = 0.0;
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
    bool shifted = false;
    for (std::int64_t i = 0; i < count; ++i) {
        const float v = data[i];
        if (std::isnan(v)) {
            ++nan;
            continue;
        }
        if (std::isinf(v)) {
            ++inf;
            continue;
        }
        if (!shifted) {
            shift = v;
            shifted = true;
        }
        ++finite;
        const double d = double(v) - shift;
        sum += d;
        sum_sq += d * d;
        l2_sq += double(v) * double(v);
        zeros += v == 0.0f;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    out->set_count(count);
    out->set_nan(nan);
    out->set_inf(inf);
    out->set_zeros(zeros);
    if (finite == 0) {
        const double quiet_nan = std::numeric_limits<double>::quiet_NaN();
        out->set_mean(quiet_nan);
        out->set_std(quiet_nan);
        out->set_min(quiet_nan);
        out->set_max(quiet_nan);
        out->set_l2(quiet_nan);
        return;
    }
    const double mean_d = sum / double(finite);
    out->set_mean(shift + mean_d);
    out->set_std(std::sqrt(std::max(0.0, sum_sq / double(finite) - mean_d * mean_d)));
    out->set_min(lo);
    out->set_max(hi);
    out->set_l2(std::sqrt(l2_sq));

    if (!with_histogram)
        return;
    out->set_hist_lo(lo);
    out->set_hist_hi(hi);
    std::uint32_t bins[kHistogramBins] = {};
    const double width = (double(hi) - double(lo)) / kHistogramBins;
    for (std::int64_t i = 0; i < count; ++i) {
        const float v = data[i];
        if (!std::isfinite(v))
            continue;
        int bin = width > 0 ? int((double(v) - double(lo)) / width) : 0;
        bins[std::min(bin, kHistogramBins - 1)] += 1;
    }
    out->mutable_bins()->Add(std::begin(bins), std::end(bins));
}

std::vector<float> unit_activity(const torch::Tensor& activation)
{
    if (!activation.defined() || activation.dim() < 2 || activation.size(0) == 0)
        return {};
    const torch::Tensor values = activation.detach().to(torch::kCPU);
    const auto rows = values.size(0);
    const auto units = values.size(1);
    const torch::Tensor positive = (values.reshape({rows, units, -1}) > 0).any(2);
    const torch::Tensor fraction = positive.to(torch::kFloat).mean(0).contiguous();
    const float* data = fraction.data_ptr<float>();
    return std::vector<float>(data, data + units);
}

double saturated_fraction(const torch::Tensor& output, bool tanh)
{
    if (!output.defined() || output.numel() == 0)
        return 0.0;
    const torch::Tensor values = as_cpu_float(output);
    torch::Tensor saturated;
    if (tanh) {
        saturated = values.abs() > std::tanh(5.0f);
    } else {
        const float low = 1.0f / (1.0f + std::exp(5.0f));
        saturated = (values < low) | (values > 1.0f - low);
    }
    return saturated.to(torch::kDouble).mean().item<double>();
}

} // namespace traindx::probe
