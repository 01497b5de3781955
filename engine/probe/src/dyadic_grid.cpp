#include "dyadic_grid.h"

#include <algorithm>
#include <cmath>

namespace traindx::probe {

namespace {

// Edges exact in float: a grid start is a multiple of its width, with at most this many
// significant bits above it.
constexpr int kFloatBits = 20;
constexpr double kTiny = 1e-30;

// `hi` a value: the grid's end must lie above it; `hi` the end of a grid: it may equal it.
DyadicGrid aligned(double lo, double hi, int exponent, bool hi_is_an_end)
{
    for (;; ++exponent) {
        const double width = std::ldexp(1.0, exponent);
        const DyadicGrid grid {std::floor(lo / width) * width, exponent};
        if (grid.end() > hi || (hi_is_an_end && grid.end() == hi) || !std::isfinite(grid.end()))
            return grid;
    }
}

} // namespace

double DyadicGrid::width() const
{
    return std::ldexp(1.0, exponent);
}

DyadicGrid dyadic_grid(double lo, double hi)
{
    const double magnitude = std::max({std::abs(lo), std::abs(hi), kTiny});
    int exponent = std::ilogb(magnitude) - kFloatBits;
    if (hi > lo)
        exponent = std::max(exponent, std::ilogb((hi - lo) / kGridBins));
    return aligned(lo, hi, exponent, false);
}

DyadicGrid common_grid(double lo, double hi, int least_exponent)
{
    return aligned(lo, hi, least_exponent, true);
}

void add_rebinned(const std::uint32_t* bins, const DyadicGrid& from, const DyadicGrid& to, double* into)
{
    const double width = from.width(), coarse = to.width();
    for (int bin = 0; bin < kGridBins; ++bin) {
        if (bins[bin] == 0)
            continue;
        const double position = std::floor((from.start + bin * width - to.start) / coarse);
        into[int(std::clamp(position, 0.0, double(kGridBins - 1)))] += bins[bin];
    }
}

} // namespace traindx::probe
