// Histograms that ranks can add up exactly. A dyadic grid has bins whose width is a power of
// two and whose edges are multiples of that width; the bins of a finer dyadic grid then lie
// each inside one bin of any coarser one that covers it, so histograms taken on different
// ranks over their own ranges move onto one common grid without splitting a bin.
#pragma once

#include <cstdint>

namespace traindx::probe {

constexpr int kGridBins = 64;

struct DyadicGrid {
    double start = 0;
    int exponent = 0; // bins are 2^exponent wide
    double width() const;
    double end() const { return start + kGridBins * width(); }
};

// The finest dyadic grid whose bins hold [lo, hi] with hi below its end, and whose edges
// are exact in float. lo and hi finite, lo <= hi.
DyadicGrid dyadic_grid(double lo, double hi);
// The finest dyadic grid with bins at least 2^least_exponent wide that holds [lo, hi]
// (lo: the least start of the grids to merge, hi: their greatest end).
DyadicGrid common_grid(double lo, double hi, int least_exponent);
// Adds the bins of a histogram on `from` to `into`, a histogram on the coarser `to`.
void add_rebinned(const std::uint32_t* bins, const DyadicGrid& from, const DyadicGrid& to, double* into);

} // namespace traindx::probe
