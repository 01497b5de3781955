#include "snapshot_reduction.h"

#include "dyadic_grid.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>

namespace traindx::probe {

namespace {

// Below anything a maximum is taken of: "no value on this rank".
constexpr double kNothing = -1e300;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Per tensor, maximised: -min, max, -grid start, grid end, grid exponent.
constexpr int kRangeValues = 5;
// Per tensor, summed: count, nan, inf, zeros, finite, sum, sum of squares, then the bins.
constexpr int kMomentValues = 7;
constexpr int kTensorSums = kMomentValues + kGridBins;
// Per layer, summed: update ratio (sum, ranks), epoch update ratio (sum, ranks), dead
// fraction, saturated fraction, ranks without a gradient, accumulated gradient.
constexpr int kLayerSums = 8;
// Per point, summed: loss, accuracy, ranks with one, gradient norm, ranks with one,
// compute seconds, ranks with them, accumulation ratio.
constexpr int kPointSums = 8;
// Per rank (a row of its own, zeros elsewhere): present, compute seconds (sum, points),
// largest gradient norm, first non-finite step + 1, whether that was the loss, the zero_grad
// sentinel's ratio (least, greatest, points); then one weight norm per weight tensor.
constexpr int kRankColumns = 9;
// Points with a sentinel ratio that say a rank's gradients were never mixed with the others'.
constexpr double kFewestUnmixedPoints = 10;
constexpr int kMostDeviations = 16;

struct Tensor {
    wire::TensorStats* stats;
    int layer;
    bool weight;
};

std::vector<Tensor> tensors_of(wire::Snapshot& snapshot)
{
    std::vector<Tensor> tensors;
    for (auto& layer : *snapshot.mutable_layers()) {
        if (layer.has_weight())
            tensors.push_back({layer.mutable_weight(), layer.layer(), true});
        if (layer.has_bias())
            tensors.push_back({layer.mutable_bias(), layer.layer(), false});
        if (layer.has_weight_grad())
            tensors.push_back({layer.mutable_weight_grad(), layer.layer(), false});
        if (layer.has_bias_grad())
            tensors.push_back({layer.mutable_bias_grad(), layer.layer(), false});
        if (layer.has_activation())
            tensors.push_back({layer.mutable_activation(), layer.layer(), false});
    }
    return tensors;
}

// What must be the same on every rank for the reduction's vectors to line up.
std::uint64_t shape_of(const wire::Snapshot& snapshot)
{
    std::uint64_t hash = 1469598103934665603ull;
    const auto mix = [&hash](std::uint64_t value) {
        for (int byte = 0; byte < 8; ++byte) {
            hash ^= (value >> (8 * byte)) & 0xff;
            hash *= 1099511628211ull;
        }
    };
    mix(std::uint64_t(snapshot.kind()));
    mix(std::uint64_t(snapshot.step()));
    mix(std::uint64_t(snapshot.points_size()));
    for (const auto& layer : snapshot.layers()) {
        mix(std::uint64_t(layer.layer()));
        mix(layer.has_weight() | layer.has_bias() << 1 | layer.has_weight_grad() << 2 | layer.has_bias_grad() << 3
            | layer.has_activation() << 4);
        mix(std::uint64_t(layer.unit_active_size()));
    }
    for (const auto& [name, value] : std::map<std::string, double>(snapshot.metrics().begin(), snapshot.metrics().end()))
        for (const char c : name)
            mix(std::uint64_t(c));
    return hash;
}

// The grid of a histogram the probe took on a dyadic grid; nothing for any other.
std::optional<DyadicGrid> grid_of(const wire::TensorStats& stats)
{
    if (stats.bins_size() != kGridBins || !(stats.hist_hi() > stats.hist_lo()))
        return std::nullopt;
    const double width = (stats.hist_hi() - stats.hist_lo()) / kGridBins;
    const DyadicGrid grid {stats.hist_lo(), std::ilogb(width)};
    if (grid.width() != width || std::fmod(grid.start, width) != 0)
        return std::nullopt;
    return grid;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

void set_moments(wire::TensorStats& stats, const double* sums, double lo, double hi)
{
    stats.set_count(std::int64_t(sums[0]));
    stats.set_nan(std::int64_t(sums[1]));
    stats.set_inf(std::int64_t(sums[2]));
    stats.set_zeros(std::int64_t(sums[3]));
    const double finite = sums[4];
    if (finite == 0) {
        stats.set_mean(kNaN);
        stats.set_std(kNaN);
        stats.set_min(kNaN);
        stats.set_max(kNaN);
        stats.set_l2(kNaN);
        return;
    }
    const double mean = sums[5] / finite;
    stats.set_mean(mean);
    stats.set_std(std::sqrt(std::max(0.0, sums[6] / finite - mean * mean)));
    stats.set_l2(std::sqrt(sums[6]));
    stats.set_min(lo);
    stats.set_max(hi);
}

void summarise_ranks(const std::vector<double>& table, const std::vector<Tensor>& tensors, int world,
                     wire::JobSummary& job)
{
    std::vector<int> weights;
    for (int t = 0; t < int(tensors.size()); ++t)
        if (tensors[std::size_t(t)].weight)
            weights.push_back(t);
    const int columns = kRankColumns + int(weights.size());
    const auto at = [&](int rank, int column) { return table[std::size_t(rank * columns + column)]; };
    job.set_world_size(world);
    job.set_slowest_rank(-1);
    job.set_largest_gradient_rank(-1);
    job.set_first_nonfinite_rank(-1);
    std::vector<double> seconds;
    int ranks = 0;
    for (int r = 0; r < world; ++r) {
        if (at(r, 0) == 0)
            continue;
        ++ranks;
        if (at(r, 2) > 0) {
            const double mean = at(r, 1) / at(r, 2);
            seconds.push_back(mean);
            if (job.slowest_rank() < 0 || mean > job.slowest_seconds()) {
                job.set_slowest_rank(r);
                job.set_slowest_seconds(mean);
            }
        }
        if (at(r, 3) > 0 && (job.largest_gradient_rank() < 0 || at(r, 3) > job.largest_gradient_norm())) {
            job.set_largest_gradient_rank(r);
            job.set_largest_gradient_norm(at(r, 3));
        }
        const double first = at(r, 4); // step + 1 of the rank's first non-finite value, 0: none
        if (first > 0 && (job.first_nonfinite_rank() < 0 || first - 1 < job.first_nonfinite_step())) {
            job.set_first_nonfinite_rank(r);
            job.set_first_nonfinite_step(std::int64_t(first - 1));
            job.set_first_nonfinite_in_loss(at(r, 5) > 0);
        }
        if (at(r, 8) >= kFewestUnmixedPoints && at(r, 7) - at(r, 6) <= 1e-6 * at(r, 6))
            job.add_unmixed_ranks(r);
    }
    job.set_ranks(ranks);
    job.set_timed_ranks(int(seconds.size()));
    if (seconds.size() >= 2) {
        std::vector<double> others;
        for (int r = 0; r < world; ++r)
            if (r != job.slowest_rank() && at(r, 0) != 0 && at(r, 2) > 0)
                others.push_back(at(r, 1) / at(r, 2));
        job.set_median_seconds(median(others));
    }

    std::vector<wire::RankDeviation> deviations;
    for (int w = 0; w < int(weights.size()); ++w) {
        std::vector<double> norms;
        for (int r = 0; r < world; ++r)
            if (at(r, 0) != 0 && std::isfinite(at(r, kRankColumns + w)))
                norms.push_back(at(r, kRankColumns + w));
        if (norms.size() < 2)
            continue;
        const double reference = median(norms);
        wire::RankDeviation worst;
        for (int r = 0; r < world; ++r) {
            const double norm = at(r, kRankColumns + w);
            if (at(r, 0) == 0 || !std::isfinite(norm))
                continue;
            const double deviation = std::abs(norm - reference) / std::max(std::abs(reference), 1e-12);
            if (deviation > worst.deviation()) {
                worst.set_layer(tensors[std::size_t(weights[std::size_t(w)])].layer);
                worst.set_rank(r);
                worst.set_deviation(deviation);
                worst.set_norm(norm);
                worst.set_median(reference);
            }
        }
        if (worst.deviation() > 0)
            deviations.push_back(worst);
    }
    std::sort(deviations.begin(), deviations.end(),
              [](const auto& a, const auto& b) { return a.deviation() > b.deviation(); });
    for (std::size_t i = 0; i < deviations.size() && i < std::size_t(kMostDeviations); ++i)
        *job.add_deviations() = deviations[i];
}

} // namespace

std::optional<wire::Snapshot> reduce_snapshot(wire::Snapshot local, Collectives& collectives)
{
    const int world = collectives.size(), rank = collectives.rank();

    // 1. The same boundary, the same shape, on every rank.
    const std::uint64_t shape = shape_of(local);
    const double high = double(shape >> 38), low = double((shape >> 12) & ((1ull << 26) - 1));
    std::vector<double> agreement {high, low, -high, -low};
    collectives.max(agreement);
    if (agreement[0] != -agreement[2] || agreement[1] != -agreement[3])
        throw ReductionMismatch("the ranks sent snapshots of different steps or shapes (step " + std::to_string(local.step())
                                + ")");

    // 2. Ranges: every rank learns the common extremes and the common histogram grid.
    std::vector<Tensor> tensors = tensors_of(local);
    std::vector<double> ranges(tensors.size() * kRangeValues, kNothing);
    std::vector<std::optional<DyadicGrid>> grids(tensors.size());
    for (std::size_t t = 0; t < tensors.size(); ++t) {
        const wire::TensorStats& stats = *tensors[t].stats;
        double* range = &ranges[t * kRangeValues];
        if (std::isfinite(stats.min()) && std::isfinite(stats.max()) && stats.count() > stats.nan() + stats.inf()) {
            range[0] = -stats.min();
            range[1] = stats.max();
        }
        if ((grids[t] = grid_of(stats))) {
            range[2] = -grids[t]->start;
            range[3] = grids[t]->end();
            range[4] = grids[t]->exponent;
        }
    }
    collectives.max(ranges);

    // 3. Sums: moments and histograms of the tensors, the layers' scalars, the points, the
    // metrics, and one row per rank.
    const auto& layers = local.layers();
    std::size_t units = 0;
    for (const auto& layer : layers)
        units += std::size_t(layer.unit_active_size());
    std::map<std::string, double> metrics(local.metrics().begin(), local.metrics().end());
    const int weight_count = int(std::count_if(tensors.begin(), tensors.end(), [](const Tensor& t) { return t.weight; }));
    const std::size_t columns = std::size_t(kRankColumns + weight_count);
    const std::size_t layer_base = tensors.size() * kTensorSums;
    const std::size_t unit_base = layer_base + std::size_t(layers.size()) * kLayerSums;
    const std::size_t point_base = unit_base + units;
    const std::size_t metric_base = point_base + std::size_t(local.points_size()) * kPointSums;
    const std::size_t rank_base = metric_base + metrics.size();
    std::vector<double> sums(rank_base + std::size_t(world) * columns, 0.0);

    std::vector<std::optional<DyadicGrid>> common(tensors.size());
    for (std::size_t t = 0; t < tensors.size(); ++t) {
        const wire::TensorStats& stats = *tensors[t].stats;
        double* sum = &sums[t * kTensorSums];
        const double finite = double(stats.count() - stats.nan() - stats.inf());
        sum[0] = double(stats.count());
        sum[1] = double(stats.nan());
        sum[2] = double(stats.inf());
        sum[3] = double(stats.zeros());
        sum[4] = finite;
        if (finite > 0) {
            sum[5] = stats.mean() * finite;
            sum[6] = stats.l2() * stats.l2();
        }
        const double* range = &ranges[t * kRangeValues];
        if (range[4] > kNothing) {
            common[t] = common_grid(-range[2], range[3], int(range[4]));
            if (grids[t])
                add_rebinned(stats.bins().data(), *grids[t], *common[t], sum + kMomentValues);
        }
    }
    std::size_t unit = unit_base;
    for (int l = 0; l < layers.size(); ++l) {
        const wire::LayerStats& layer = layers[l];
        double* sum = &sums[layer_base + std::size_t(l) * kLayerSums];
        if (layer.update_ratio() >= 0) {
            sum[0] = layer.update_ratio();
            sum[1] = 1;
        }
        if (layer.epoch_update_ratio() >= 0) {
            sum[2] = layer.epoch_update_ratio();
            sum[3] = 1;
        }
        sum[4] = layer.dead_fraction();
        sum[5] = layer.saturated_fraction();
        sum[6] = layer.no_gradient() ? 1 : 0;
        sum[7] = layer.accumulated_gradient();
        for (const float active : layer.unit_active())
            sums[unit++] = active;
    }
    double* row = &sums[rank_base + std::size_t(rank) * columns];
    row[0] = 1;
    for (int p = 0; p < local.points_size(); ++p) {
        const wire::BatchPoint& point = local.points(p);
        double* sum = &sums[point_base + std::size_t(p) * kPointSums];
        sum[0] = point.loss();
        if (point.has_accuracy()) {
            sum[1] = point.accuracy();
            sum[2] = 1;
        }
        if (point.has_grad_norm()) {
            sum[3] = point.grad_norm();
            sum[4] = 1;
            row[3] = std::max(row[3], std::isfinite(point.grad_norm()) ? point.grad_norm() : 0.0);
        }
        if (point.compute_seconds() > 0) {
            sum[5] = point.compute_seconds();
            sum[6] = 1;
            row[1] += point.compute_seconds();
            row[2] += 1;
        }
        sum[7] = point.accumulated();
        if (point.accumulated() > 0 && std::isfinite(point.accumulated())) {
            row[6] = row[8] == 0 ? point.accumulated() : std::min(row[6], point.accumulated());
            row[7] = std::max(row[7], point.accumulated());
            row[8] += 1;
        }
        const bool loss_broken = !std::isfinite(point.loss());
        const bool broken = loss_broken || (point.has_grad_norm() && !std::isfinite(point.grad_norm()));
        if (broken && row[4] == 0) {
            row[4] = double(point.step()) + 1;
            row[5] = loss_broken ? 1 : 0;
        }
    }
    {
        std::size_t m = metric_base;
        for (const auto& [name, value] : metrics)
            sums[m++] = value;
    }
    {
        int w = 0;
        for (const Tensor& tensor : tensors)
            if (tensor.weight)
                row[kRankColumns + w++] = tensor.stats->l2();
    }
    collectives.sum_to_root(sums);
    if (rank != 0)
        return std::nullopt;

    // 4. Rank 0 writes the job's snapshot over its own.
    const double ranks = std::max(1.0, [&] {
        double present = 0;
        for (int r = 0; r < world; ++r)
            present += sums[rank_base + std::size_t(r) * columns];
        return present;
    }());
    for (std::size_t t = 0; t < tensors.size(); ++t) {
        wire::TensorStats& stats = *tensors[t].stats;
        const double* range = &ranges[t * kRangeValues];
        const double* sum = &sums[t * kTensorSums];
        set_moments(stats, sum, -range[0], range[1]);
        stats.clear_bins();
        if (common[t]) {
            stats.set_hist_lo(common[t]->start);
            stats.set_hist_hi(common[t]->end());
            for (int bin = 0; bin < kGridBins; ++bin)
                stats.add_bins(std::uint32_t(std::min(sum[kMomentValues + bin], 4294967295.0)));
        }
    }
    unit = unit_base;
    for (int l = 0; l < layers.size(); ++l) {
        wire::LayerStats& layer = *local.mutable_layers(l);
        const double* sum = &sums[layer_base + std::size_t(l) * kLayerSums];
        layer.set_update_ratio(sum[1] > 0 ? sum[0] / sum[1] : -1);
        layer.set_epoch_update_ratio(sum[3] > 0 ? sum[2] / sum[3] : -1);
        layer.set_dead_fraction(float(sum[4] / ranks));
        layer.set_saturated_fraction(float(sum[5] / ranks));
        layer.set_no_gradient(sum[6] > 0);
        layer.set_accumulated_gradient(sum[7] / ranks);
        for (auto& active : *layer.mutable_unit_active())
            active = float(sums[unit++] / ranks);
    }
    for (int p = 0; p < local.points_size(); ++p) {
        wire::BatchPoint& point = *local.mutable_points(p);
        const double* sum = &sums[point_base + std::size_t(p) * kPointSums];
        point.set_loss(sum[0] / ranks);
        if (sum[2] > 0)
            point.set_accuracy(sum[1] / sum[2]);
        if (sum[4] > 0)
            point.set_grad_norm(sum[3] / sum[4]);
        point.set_compute_seconds(sum[6] > 0 ? sum[5] / sum[6] : 0);
        point.set_accumulated(sum[7] / ranks);
    }
    {
        std::size_t m = metric_base;
        for (const auto& [name, value] : metrics)
            (*local.mutable_metrics())[name] = sums[m++] / ranks;
    }
    summarise_ranks(std::vector<double>(sums.begin() + std::ptrdiff_t(rank_base), sums.end()), tensors, world,
                    *local.mutable_job());
    return local;
}

} // namespace traindx::probe
