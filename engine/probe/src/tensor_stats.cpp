#include "tensor_stats.h"

#include "dyadic_grid.h"

#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

namespace traindx::probe {

namespace {

// The statistics are those of the values as floats, whatever the tensor's dtype. Elements are
// taken in blocks: a block is summed in float lanes that the compiler vectorises, then folded
// into double totals. A block of floats (8 KB) stays in the first-level cache, so that the
// rare block that needs a second look costs no memory traffic.
constexpr int kBlock = 2048;
constexpr int kLanes = 16;
// Blocks a thread takes at least: tensors below 256 K elements stay on the calling thread.
constexpr std::int64_t kGrainBlocks = 128;
// Copies of the histogram that consecutive elements count into, so that a run of equal bins
// does not make each increment wait for the previous one.
constexpr int kCopies = 4;
// Bin positions are estimated in float, runs of this many elements at a time; in a run where
// the estimate of a value lies within kEdgeMargin of an inner bin edge, the values are compared
// with the bins' edges. The estimate is off by at most 64 * 3 * 2^-24 < 1.2e-5, plus 2^-19 for
// the rounding of the margin itself. Below kEstimateMinimum elements, finding the edges would
// cost more than it saves.
constexpr int kEstimateRun = 256;
constexpr float kEdgeMargin = 2e-5f;
constexpr std::int64_t kEstimateMinimum = 4096;

constexpr float kInfinity = std::numeric_limits<float>::infinity();

// The loops that touch every element are compiled for x86-64-v4 (AVX-512) and x86-64-v3
// (AVX2) as well as for the baseline; the process takes the best its CPU runs.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define TRAINDX_ELEMENT_LOOPS __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), flatten))
#elif defined(__GNUC__)
#define TRAINDX_ELEMENT_LOOPS __attribute__((flatten))
#else
#define TRAINDX_ELEMENT_LOOPS
#endif

// Loops over lanes (independent accumulators, one vector lane each) are vectorised as such,
// not across their enclosing loop.
#if defined(_OPENMP) || defined(TRAINDX_OPENMP_SIMD)
#define TRAINDX_SIMD _Pragma("omp simd")
#else
#define TRAINDX_SIMD
#endif

inline void prefetch(const void* address)
{
#if defined(__GNUC__)
    __builtin_prefetch(address);
#else
    (void)address;
#endif
}

inline std::uint32_t bits_of(float value)
{
    std::uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
}

inline float float_of(std::uint32_t bits)
{
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

// Element tests as masks, all ones when true: selecting with them is arithmetic, not a
// branch.
inline std::int32_t finite_mask(std::uint32_t bits) { return -std::int32_t((bits & 0x7f800000u) != 0x7f800000u); }
inline std::int32_t nan_mask(std::uint32_t bits) { return -std::int32_t((bits & 0x7fffffffu) > 0x7f800000u); }
inline std::int32_t zero_mask(std::uint32_t bits) { return -std::int32_t((bits & 0x7fffffffu) == 0); }

// `value` where `mask` is set, else 0.
inline float keep(float value, std::int32_t mask) { return float_of(bits_of(value) & std::uint32_t(mask)); }

inline double keep(double value, std::int32_t mask)
{
    std::uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    bits &= std::uint64_t(std::int64_t(mask));
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

inline std::int32_t select(std::int32_t mask, std::int32_t yes, std::int32_t no) { return (yes & mask) | (no & ~mask); }

// Floats other than NaN ordered as signed integers: min and max of these vectorise where
// those of floats do not (a float min is not associative once NaN can occur).
inline std::int32_t order_key(std::uint32_t bits)
{
    const auto key = std::int32_t(bits);
    return key ^ ((key >> 31) & 0x7fffffff);
}

inline float from_order_key(std::int32_t key) { return float_of(std::uint32_t(key ^ ((key >> 31) & 0x7fffffff))); }

constexpr std::int32_t kLowestKey = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kHighestKey = std::numeric_limits<std::int32_t>::max();

// Counts, range and moments of the finite values among some elements.
struct Moments {
    std::int64_t elements = 0;
    std::int64_t finite = 0;
    std::int64_t nan = 0;
    std::int64_t zeros = 0;
    float lo = kInfinity;
    float hi = -kInfinity;
    double mean = 0;
    double m2 = 0; // sum of the squared deviations from the mean

    std::int64_t inf() const { return elements - finite - nan; }

    // The pairwise update of Chan, Golub and LeVeque.
    void add(const Moments& other)
    {
        elements += other.elements;
        nan += other.nan;
        zeros += other.zeros;
        lo = std::min(lo, other.lo);
        hi = std::max(hi, other.hi);
        if (other.finite == 0)
            return;
        if (finite == 0) {
            finite = other.finite;
            mean = other.mean;
            m2 = other.m2;
            return;
        }
        const double share = double(other.finite) / (double(finite) + double(other.finite));
        const double delta = other.mean - mean;
        mean += delta * share;
        m2 += other.m2 + delta * delta * double(finite) * share;
        finite += other.finite;
    }
};

// One look at a block: counts, range, and the sum and the sum of squares of the deviations
// of the finite values from `center`, times `scale`, accumulated in float lanes. The values
// that are not finite count as no deviation and drop out of the range.
struct MomentLanes {
    float sums[kLanes] = {};
    float squares[kLanes] = {};
    std::int32_t lo[kLanes];
    std::int32_t hi[kLanes];
    std::int32_t finite[kLanes] = {};
    std::int32_t nan[kLanes] = {};
    std::int32_t zeros[kLanes] = {};
    float center;
    float scale;

    MomentLanes(float center, float scale) : center(center), scale(scale)
    {
        std::fill(std::begin(lo), std::end(lo), kHighestKey);
        std::fill(std::begin(hi), std::end(hi), kLowestKey);
    }

    void look(int lane, float value)
    {
        const std::uint32_t bits = bits_of(value);
        const std::int32_t is_finite = finite_mask(bits);
        const std::int32_t key = order_key(bits);
        const float deviation = keep((value - center) * scale, is_finite);
        sums[lane] += deviation;
        squares[lane] += deviation * deviation;
        lo[lane] = std::min(lo[lane], select(is_finite, key, kHighestKey));
        hi[lane] = std::max(hi[lane], select(is_finite, key, kLowestKey));
        finite[lane] -= is_finite;
        nan[lane] -= nan_mask(bits);
        zeros[lane] -= zero_mask(bits);
    }
};

// The sums of a block in double, for the blocks that float does not suit: the sum of the
// finite values less `center`, and the sum of their squares.
struct WideLanes {
    double sums[kLanes] = {};
    double squares[kLanes] = {};
    double center;

    explicit WideLanes(double center) : center(center) {}

    void look(int lane, float value)
    {
        const double deviation = keep(double(value) - center, finite_mask(bits_of(value)));
        sums[lane] += deviation;
        squares[lane] += deviation * deviation;
    }
};

// Looks at each value; asks for the elements from `ahead` on as it goes, if given.
template <typename Lanes>
void look_at_block(const float* values, int n, Lanes* lanes, const float* ahead = nullptr)
{
    const int whole = n - n % kLanes;
    for (int i = 0; i < whole; i += kLanes) {
        if (ahead != nullptr)
            prefetch(ahead + i);
        TRAINDX_SIMD
        for (int lane = 0; lane < kLanes; ++lane)
            lanes->look(lane, values[i + lane]);
    }
    for (int lane = 0; lane < n - whole; ++lane)
        lanes->look(lane, values[whole + lane]);
}

template <typename Lanes>
void add_up_sums(const Lanes& lanes, double* sum, double* sum_squares)
{
    *sum = 0;
    *sum_squares = 0;
    for (int lane = 0; lane < kLanes; ++lane) {
        *sum += double(lanes.sums[lane]);
        *sum_squares += double(lanes.squares[lane]);
    }
}

// Mean and squared deviations from the sums of the deviations from `center`, times `scale`
// (the corrected two-pass formula).
void settle_moments(Moments* block, double center, double scale, double sum, double sum_squares)
{
    const double mean_deviation = sum / double(block->finite);
    const double unscale = 1 / scale; // a power of two: exact
    block->mean = center + mean_deviation * unscale;
    block->m2 = std::max(0.0, sum_squares - sum * mean_deviation) * unscale * unscale;
}

// A power of two near the inverse of `size`, so that deviations of that size, scaled by it,
// are near one: 2^-floor(log2 size), kept within 2^±100; 1 for 0.
float scale_for(double size)
{
    if (!(size > 0))
        return 1.0f;
    std::uint64_t bits;
    std::memcpy(&bits, &size, sizeof bits);
    const int exponent = std::clamp(int((bits >> 52) & 0x7ff) - 1023, -100, 100);
    return float_of(std::uint32_t(127 - exponent) << 23);
}

// Sets the mean and squared deviations of a block from the sums of a look, if float held
// them well: no sum overflowed, and the scaled deviations neither reached 2^40 (their squares
// could overflow) nor all stayed below 2^-40 (their squares could fall below the normal
// floats).
bool settle_from_lanes(Moments* block, const MomentLanes& lanes)
{
    double sum, squares;
    add_up_sums(lanes, &sum, &squares);
    const double center = lanes.center;
    const double reach = std::max(double(block->hi) - center, center - double(block->lo)) * lanes.scale;
    const double spread = (double(block->hi) - double(block->lo)) * lanes.scale;
    if (!std::isfinite(sum) || !std::isfinite(squares) || reach > 0x1p40 || spread < 0x1p-40)
        return false;
    settle_moments(block, center, lanes.scale, sum, squares);
    return true;
}

// The moments of a block, the blocks `before` it being done. The deviations are taken from
// their mean, which is near the block's own in all but odd tensors, so that little cancels;
// they are scaled by a power of two near the inverse of their spread. A first block is looked
// at twice: around its first value, then around the mean that this finds. A block that float
// does not suit (tiny values, a sudden huge one) is done again in double.
Moments block_moments(const float* values, int n, const Moments& before, const float* ahead)
{
    float center = 0;
    double size = 0;
    if (before.finite > 0) {
        center = float(before.mean);
        size = double(before.hi) - double(before.lo);
    } else if (finite_mask(bits_of(values[0])) != 0) {
        center = values[0];
    }
    if (size == 0)
        size = std::abs(double(center));
    MomentLanes lanes(center, scale_for(size));
    look_at_block(values, n, &lanes, ahead);

    Moments block;
    block.elements = n;
    std::int32_t lowest = kHighestKey, highest = kLowestKey;
    for (int lane = 0; lane < kLanes; ++lane) {
        lowest = std::min(lowest, lanes.lo[lane]);
        highest = std::max(highest, lanes.hi[lane]);
        block.finite += lanes.finite[lane];
        block.nan += lanes.nan[lane];
        block.zeros += lanes.zeros[lane];
    }
    if (block.finite == 0)
        return block;
    block.lo = from_order_key(lowest);
    block.hi = from_order_key(highest);
    const double spread = double(block.hi) - double(block.lo);
    if (spread == 0) {
        block.mean = block.lo;
        return block;
    }

    if (before.finite == 0) {
        double sum, squares;
        add_up_sums(lanes, &sum, &squares);
        const double found = center + sum / (double(block.finite) * lanes.scale);
        if (std::isfinite(found)) {
            lanes = MomentLanes(std::clamp(float(found), block.lo, block.hi), scale_for(spread));
            look_at_block(values, n, &lanes);
        }
    }
    if (settle_from_lanes(&block, lanes))
        return block;

    double sum, squares;
    WideLanes first(0.0);
    look_at_block(values, n, &first);
    add_up_sums(first, &sum, &squares);
    WideLanes second(sum / double(block.finite));
    look_at_block(values, n, &second);
    add_up_sums(second, &sum, &squares);
    settle_moments(&block, second.center, 1.0, sum, squares);
    return block;
}

// A block of elements as floats: the tensor's own memory for float, else converted into
// `buffer`.
inline const float* as_floats(const float* values, int, float*) { return values; }

template <typename T>
const float* as_floats(const T* values, int n, float* buffer)
{
    for (int i = 0; i < n; ++i)
        buffer[i] = float(values[i]);
    return buffer;
}

// For float tensors, each block asks for the next one as it goes: with memory busy, the
// hardware prefetcher alone falls behind.
template <typename T>
Moments moments_of_blocks(const T* data, std::int64_t count, std::int64_t first, std::int64_t last)
{
    Moments part;
    float buffer[kBlock];
    for (std::int64_t b = first; b < last; ++b) {
        const std::int64_t begin = b * kBlock;
        const int n = int(std::min<std::int64_t>(kBlock, count - begin));
        const float* ahead = nullptr;
        if constexpr (std::is_same_v<T, float>) {
            if (begin + 2 * kBlock <= count)
                ahead = data + begin + kBlock;
        }
        part.add(block_moments(as_floats(data + begin, n, buffer), n, part, ahead));
    }
    return part;
}

struct Bins {
    std::int64_t counts[kHistogramBins] = {};

    void add(const Bins& other)
    {
        for (int bin = 0; bin < kHistogramBins; ++bin)
            counts[bin] += other.counts[bin];
    }
};

// kHistogramBins bins of equal width over [lo, lo + kHistogramBins * width]; a value's bin is
// floor((value - lo) / width) in double, the last bin also taking the maximum. The values that
// are not finite are counted in the first bin, and taken out of it at the end.
class HistogramRange {
public:
    HistogramRange(float min, float max, std::int64_t count)
    {
        m_lo = min;
        const double range = double(max) - double(min);
        m_width = range / kHistogramBins;
        m_estimated = count >= kEstimateMinimum && range >= 1e-30 && range <= 1e38;
        m_estimate_lo = min;
        m_estimate_scale = float(kHistogramBins / range);
        std::fill(std::begin(m_edges), std::end(m_edges), kLowestKey);
        if (!m_estimated)
            return;
        // The least float of each bin, by bisection over the floats in order: the exact
        // rule's bin rises with the value. (Walking from the edge one float at a time can
        // take billions of steps: near 0, every tiny float lands in the same bin.)
        for (int bin = 1; bin < kHistogramBins; ++bin) {
            std::int64_t below = order_key(bits_of(-std::numeric_limits<float>::max()));
            std::int64_t at = order_key(bits_of(std::numeric_limits<float>::max()));
            while (at - below > 1) {
                const std::int64_t middle = below + (at - below) / 2;
                (reaches(std::int32_t(middle), bin) ? at : below) = middle;
            }
            m_edges[bin] = std::int32_t(at);
        }
    }

    // The bin of each value by the exact rule.
    void place_exactly(const float* values, int n, std::int32_t* slots) const
    {
        for (int i = 0; i < n; ++i) {
            const std::int32_t finite = finite_mask(bits_of(values[i]));
            const double position = m_width > 0 ? (double(keep(values[i], finite)) - m_lo) / m_width : 0.0;
            const auto bin = std::int32_t(std::clamp(position, 0.0, kHistogramBins - 1.0));
            slots[i] = bin & finite;
        }
    }

    // The bin of each value by the float estimate (value - lo) * kHistogramBins / range: the
    // exact one, or the one above it for a value that lies just below a bin edge. Returns
    // whether the estimate came within kEdgeMargin of an inner edge for some value.
    bool place_estimated(const float* values, int n, std::int32_t* slots) const
    {
        const float lo = m_estimate_lo;
        const float scale = m_estimate_scale;
        std::int32_t near_edge = 0;
        for (int i = 0; i < n; ++i) {
            const std::int32_t finite = finite_mask(bits_of(values[i]));
            const float position = keep((values[i] - lo) * scale, finite); // in [0, kHistogramBins]
            const std::int32_t below = std::min(std::int32_t(position - kEdgeMargin), kHistogramBins - 1);
            const std::int32_t above = std::min(std::int32_t(position + kEdgeMargin), kHistogramBins - 1);
            near_edge |= below ^ above;
            slots[i] = above;
        }
        return near_edge != 0;
    }

    // After place_estimated: moves the values that lie below the lower edge of their bin to
    // the bin below, comparing them with the least float of each bin.
    void correct_estimate(const float* values, int n, std::int32_t* slots) const
    {
        std::int32_t edges[kHistogramBins]; // a copy that `slots` cannot alias, so that the loop vectorises
        std::copy(std::begin(m_edges), std::end(m_edges), edges);
        for (int i = 0; i < n; ++i)
            slots[i] -= std::int32_t(order_key(bits_of(values[i])) < edges[slots[i]]);
    }

    void place(const float* values, int n, std::int32_t* slots) const
    {
        if (!m_estimated)
            place_exactly(values, n, slots);
        else if (place_estimated(values, n, slots))
            correct_estimate(values, n, slots);
    }

private:
    // Whether the float of `key` falls in `bin` or above by the exact rule, int(position)
    // clamped to the bins: the same as position >= bin, without converting a huge position.
    bool reaches(std::int32_t key, int bin) const { return (double(from_order_key(key)) - m_lo) / m_width >= bin; }

    double m_lo = 0;
    double m_width = 0;
    bool m_estimated = false;
    float m_estimate_lo = 0;
    float m_estimate_scale = 0;
    // The order key of the least float of each bin; the lowest key for the first bin.
    std::int32_t m_edges[kHistogramBins];
};

// Counts bins into copies of the histogram taken in turn, so that a run of equal bins does
// not make each increment wait for the previous one.
class SlotCounts {
public:
    void count(const std::int32_t* slots, int n)
    {
        const int whole = n - n % kCopies;
        for (int i = 0; i < whole; i += kCopies) {
            for (int copy = 0; copy < kCopies; ++copy)
                ++m_copies[copy][slots[i + copy]];
        }
        for (int i = whole; i < n; ++i)
            ++m_copies[0][slots[i]];
    }

    void add_to(Bins* bins) const
    {
        for (int bin = 0; bin < kHistogramBins; ++bin) {
            for (int copy = 0; copy < kCopies; ++copy)
                bins->counts[bin] += m_copies[copy][bin];
        }
    }

private:
    std::uint32_t m_copies[kCopies][kHistogramBins] = {};
};

// For many blocks: counts two elements at a time by the pair of their slots, half the
// increments of SlotCounts, in two tables taken in turn. Adding the tables up costs about as
// much as counting a few blocks.
constexpr int kPairs = kHistogramBins * kHistogramBins;
constexpr std::int64_t kPairBlocks = 64;
// Blocks after which the tables are added up, long before a count can overflow.
constexpr std::int64_t kPairFlushBlocks = std::int64_t(1) << 20;

class PairCounts {
public:
    PairCounts() : m_tables(2 * kPairs, 0) {}

    void count(const std::int32_t* slots, int n)
    {
        const int half = n / 2;
        std::int32_t pairs[kEstimateRun / 2];
        TRAINDX_SIMD
        for (int i = 0; i < half; ++i)
            pairs[i] = slots[i] * kHistogramBins + slots[half + i];
        std::uint32_t* first = m_tables.data();
        std::uint32_t* second = first + kPairs;
        int i = 0;
        for (; i + 2 <= half; i += 2) {
            ++first[pairs[i]];
            ++second[pairs[i + 1]];
        }
        if (i < half)
            ++first[pairs[i]];
        if (n % 2 != 0)
            ++m_last[slots[n - 1]];
    }

    // Adds the counts to `bins` and starts again from zero.
    void flush(Bins* bins)
    {
        for (int table = 0; table < 2; ++table) {
            const std::uint32_t* counts = m_tables.data() + table * kPairs;
            for (int a = 0; a < kHistogramBins; ++a) {
                std::int64_t row = 0;
                for (int b = 0; b < kHistogramBins; ++b) {
                    row += counts[a * kHistogramBins + b];
                    bins->counts[b] += counts[a * kHistogramBins + b];
                }
                bins->counts[a] += row;
            }
        }
        for (int bin = 0; bin < kHistogramBins; ++bin)
            bins->counts[bin] += m_last[bin];
        std::fill(m_tables.begin(), m_tables.end(), 0);
        std::fill(std::begin(m_last), std::end(m_last), 0);
    }

private:
    std::vector<std::uint32_t> m_tables;
    std::uint32_t m_last[kHistogramBins] = {}; // the last element of a run of odd length
};

// Places and counts a run at a time, so that the reads of the tensor go on at an even pace,
// and asks for the elements kPrefetchAhead further on: the counting leaves the hardware's
// prefetcher behind when memory is busy.
constexpr std::int64_t kPrefetchAhead = 1024;
template <typename T>
Bins bins_of_blocks(const T* data, std::int64_t count, std::int64_t first, std::int64_t last, const HistogramRange& range)
{
    Bins part;
    float buffer[kEstimateRun];
    std::int32_t slots[kEstimateRun];
    SlotCounts singles;
    std::unique_ptr<PairCounts> pairs;
    if (last - first >= kPairBlocks)
        pairs = std::make_unique<PairCounts>();
    for (std::int64_t b = first; b < last; ++b) {
        const std::int64_t begin = b * kBlock;
        const int n = int(std::min<std::int64_t>(kBlock, count - begin));
        for (int run = 0; run < n; run += kEstimateRun) {
            const int length = std::min(kEstimateRun, n - run);
            if (begin + run + kPrefetchAhead + kEstimateRun <= count) {
                const char* ahead = reinterpret_cast<const char*>(data + begin + run + kPrefetchAhead);
                for (std::size_t byte = 0; byte < kEstimateRun * sizeof(T); byte += 64)
                    prefetch(ahead + byte);
            }
            const float* values = as_floats(data + begin + run, length, buffer);
            range.place(values, length, slots);
            if (pairs)
                pairs->count(slots, length);
            else
                singles.count(slots, length);
        }
        if (pairs && (b - first + 1) % kPairFlushBlocks == 0)
            pairs->flush(&part);
    }
    if (pairs)
        pairs->flush(&part);
    singles.add_to(&part);
    return part;
}

// The loops over the elements of blocks [first, last) of `count`, a function for each dtype so
// that each is compiled for every target above.
TRAINDX_ELEMENT_LOOPS Moments moments_of_range(const float* data, std::int64_t count, std::int64_t first, std::int64_t last)
{
    return moments_of_blocks(data, count, first, last);
}

TRAINDX_ELEMENT_LOOPS Moments moments_of_range(const double* data, std::int64_t count, std::int64_t first, std::int64_t last)
{
    return moments_of_blocks(data, count, first, last);
}

TRAINDX_ELEMENT_LOOPS Moments moments_of_range(const at::Half* data, std::int64_t count, std::int64_t first, std::int64_t last)
{
    return moments_of_blocks(data, count, first, last);
}

TRAINDX_ELEMENT_LOOPS Moments moments_of_range(const at::BFloat16* data, std::int64_t count, std::int64_t first, std::int64_t last)
{
    return moments_of_blocks(data, count, first, last);
}

TRAINDX_ELEMENT_LOOPS Bins bins_of_range(const float* data, std::int64_t count, std::int64_t first, std::int64_t last, const HistogramRange& range)
{
    return bins_of_blocks(data, count, first, last, range);
}

TRAINDX_ELEMENT_LOOPS Bins bins_of_range(const double* data, std::int64_t count, std::int64_t first, std::int64_t last, const HistogramRange& range)
{
    return bins_of_blocks(data, count, first, last, range);
}

TRAINDX_ELEMENT_LOOPS Bins bins_of_range(const at::Half* data, std::int64_t count, std::int64_t first, std::int64_t last, const HistogramRange& range)
{
    return bins_of_blocks(data, count, first, last, range);
}

TRAINDX_ELEMENT_LOOPS Bins bins_of_range(const at::BFloat16* data, std::int64_t count, std::int64_t first, std::int64_t last, const HistogramRange& range)
{
    return bins_of_blocks(data, count, first, last, range);
}

// Runs `reduce(first_block, last_block)` over the blocks of `count` elements, split over
// threads for large tensors; the parts are added in the order of their blocks.
template <typename Part, typename Reduce>
Part over_blocks(std::int64_t count, const Reduce& reduce)
{
    const std::int64_t blocks = (count + kBlock - 1) / kBlock;
    if (blocks <= kGrainBlocks)
        return reduce(0, blocks);
    std::mutex mutex;
    std::vector<std::pair<std::int64_t, Part>> parts;
    at::parallel_for(0, blocks, kGrainBlocks, [&](std::int64_t first, std::int64_t last) {
        Part part = reduce(first, last);
        const std::lock_guard<std::mutex> lock(mutex);
        parts.emplace_back(first, std::move(part));
    });
    std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Part total;
    for (const auto& part : parts)
        total.add(part.second);
    return total;
}

template <typename T>
Moments moments_of(const T* data, std::int64_t count)
{
    return over_blocks<Moments>(count, [&](std::int64_t first, std::int64_t last) {
        return moments_of_range(data, count, first, last);
    });
}

template <typename T>
Bins bins_of(const T* data, std::int64_t count, const HistogramRange& range)
{
    return over_blocks<Bins>(count, [&](std::int64_t first, std::int64_t last) {
        return bins_of_range(data, count, first, last, range);
    });
}

void set_no_finite_values(wire::TensorStats* out)
{
    const double quiet_nan = std::numeric_limits<double>::quiet_NaN();
    out->set_mean(quiet_nan);
    out->set_std(quiet_nan);
    out->set_min(quiet_nan);
    out->set_max(quiet_nan);
    out->set_l2(quiet_nan);
}

std::atomic<HistogramGrid> histogram_grid {HistogramGrid::Span};

// The range the histogram's bins cover, for finite values from `lo` to `hi`.
std::pair<double, double> histogram_span(double lo, double hi)
{
    if (histogram_grid.load(std::memory_order_relaxed) == HistogramGrid::Span)
        return {lo, hi};
    const DyadicGrid grid = dyadic_grid(lo, hi);
    const float start = float(grid.start), end = float(grid.end());
    if (!std::isfinite(start) || !std::isfinite(end))
        return {lo, hi};
    return {start, end};
}

template <typename T>
void stats_on_host(const T* data, std::int64_t count, bool with_histogram, wire::TensorStats* out)
{
    const Moments moments = moments_of(data, count);
    out->set_count(count);
    out->set_nan(moments.nan);
    out->set_inf(moments.inf());
    out->set_zeros(moments.zeros);
    if (moments.finite == 0) {
        set_no_finite_values(out);
        return;
    }
    const double n = double(moments.finite);
    out->set_mean(moments.mean);
    out->set_std(std::sqrt(moments.m2 / n));
    out->set_min(moments.lo);
    out->set_max(moments.hi);
    out->set_l2(std::sqrt(moments.m2 + n * moments.mean * moments.mean));

    if (!with_histogram)
        return;
    const auto [lo, hi] = histogram_span(moments.lo, moments.hi);
    out->set_hist_lo(lo);
    out->set_hist_hi(hi);
    Bins bins = bins_of(data, count, HistogramRange(float(lo), float(hi), count));
    bins.counts[0] -= moments.nan + moments.inf();
    for (const std::int64_t bin : bins.counts)
        out->add_bins(std::uint32_t(bin));
}

// The tensor itself when the kernel reads it in place; else a contiguous copy of its values,
// as float for the dtypes that the kernel does not read itself.
torch::Tensor readable(const torch::Tensor& tensor)
{
    const auto dtype = tensor.scalar_type();
    const bool own_dtype =
        dtype == torch::kFloat || dtype == torch::kDouble || dtype == torch::kHalf || dtype == torch::kBFloat16;
    if (own_dtype && tensor.is_contiguous() && !tensor.is_conj() && !tensor.is_neg())
        return tensor;
    const torch::Tensor values = tensor.detach().resolve_conj().resolve_neg();
    return own_dtype ? values.contiguous() : values.to(torch::kFloat).contiguous();
}

} // namespace

void set_histogram_grid(HistogramGrid grid)
{
    histogram_grid.store(grid, std::memory_order_relaxed);
}

void tensor_stats(const torch::Tensor& tensor, bool with_histogram, wire::TensorStats* out)
{
    out->Clear();
    if (!tensor.defined() || tensor.numel() == 0)
        return;
    if (!tensor.device().is_cpu()) {
        tensor_stats_by_tensor_ops(tensor, with_histogram, out);
        return;
    }
    const torch::Tensor values = readable(tensor);
    const std::int64_t count = values.numel();
    switch (values.scalar_type()) {
    case torch::kDouble:
        stats_on_host(values.data_ptr<double>(), count, with_histogram, out);
        break;
    case torch::kHalf:
        stats_on_host(values.data_ptr<at::Half>(), count, with_histogram, out);
        break;
    case torch::kBFloat16:
        stats_on_host(values.data_ptr<at::BFloat16>(), count, with_histogram, out);
        break;
    default:
        stats_on_host(values.data_ptr<float>(), count, with_histogram, out);
        break;
    }
}

void tensor_stats_by_tensor_ops(const torch::Tensor& tensor, bool with_histogram, wire::TensorStats* out)
{
    out->Clear();
    if (!tensor.defined() || tensor.numel() == 0)
        return;
    // As on the host: the statistics of the values as floats, accumulated in double where the
    // device has it.
    const torch::NoGradGuard no_grad;
    const torch::Tensor values = tensor.detach().reshape({-1}).to(torch::kFloat);
    const auto wide_type = values.device().type() == c10::DeviceType::MPS ? torch::kFloat : torch::kDouble;
    const torch::Tensor finite = torch::isfinite(values);
    const torch::Tensor finite_count = finite.sum();
    const torch::Tensor lo = torch::where(finite, values, kInfinity).amin();
    const torch::Tensor hi = torch::where(finite, values, -kInfinity).amax();
    const torch::Tensor wide = values.to(wide_type);
    const torch::Tensor mean = torch::where(finite, wide, 0.0).sum() / finite_count.to(wide_type);
    const torch::Tensor m2 = torch::where(finite, wide - mean, 0.0).square().sum();
    std::vector<torch::Tensor> counts = {torch::isnan(values).sum(), finite_count, (values == 0).sum()};
    std::pair<double, double> span;
    if (with_histogram) {
        // The host's rule: floor((value - lo) / width), all in the first bin when width is 0.
        torch::Tensor bins_lo = lo.to(wide_type), bins_hi = hi.to(wide_type);
        if (histogram_grid.load(std::memory_order_relaxed) == HistogramGrid::Dyadic && finite_count.item<std::int64_t>() > 0) {
            span = histogram_span(lo.item<double>(), hi.item<double>());
            bins_lo = torch::full({}, span.first, bins_lo.options());
            bins_hi = torch::full({}, span.second, bins_hi.options());
        }
        const torch::Tensor width = (bins_hi - bins_lo) / kHistogramBins;
        const torch::Tensor position =
            torch::where(width > 0, (wide - bins_lo) / width, torch::zeros_like(wide)).clamp(0, kHistogramBins - 1);
        const torch::Tensor slot = torch::where(finite, position, double(kHistogramBins)).to(torch::kLong);
        counts.push_back(torch::bincount(slot, {}, kHistogramBins + 1).narrow(0, 0, kHistogramBins));
    }
    // Only these few numbers travel to the host.
    const torch::Tensor host_counts = torch::cat(
        [&] {
            std::vector<torch::Tensor> flat;
            for (const auto& c : counts)
                flat.push_back(c.to(torch::kLong).reshape({-1}));
            return flat;
        }(),
        0).to(torch::kCPU);
    const torch::Tensor host_moments = torch::stack({mean, m2, lo.to(wide_type), hi.to(wide_type)}).to(torch::kCPU, torch::kDouble);
    const std::int64_t* c = host_counts.data_ptr<std::int64_t>();
    const double* m = host_moments.data_ptr<double>();
    const std::int64_t count = values.numel();
    out->set_count(count);
    out->set_nan(c[0]);
    out->set_inf(count - c[1] - c[0]);
    out->set_zeros(c[2]);
    if (c[1] == 0) {
        set_no_finite_values(out);
        return;
    }
    const double n = double(c[1]);
    out->set_mean(m[0]);
    out->set_std(std::sqrt(m[1] / n));
    out->set_min(m[2]);
    out->set_max(m[3]);
    out->set_l2(std::sqrt(m[1] + n * m[0] * m[0]));
    if (!with_histogram)
        return;
    const bool dyadic = span.second > span.first;
    out->set_hist_lo(dyadic ? span.first : m[2]);
    out->set_hist_hi(dyadic ? span.second : m[3]);
    for (int bin = 0; bin < kHistogramBins; ++bin)
        out->add_bins(std::uint32_t(c[3 + bin]));
}

std::vector<float> unit_activity(const torch::Tensor& activation)
{
    if (!activation.defined() || activation.dim() < 2 || activation.size(0) == 0)
        return {};
    // Reduced on the tensor's device; only one number per unit comes to the host.
    const torch::Tensor values = activation.detach();
    const auto rows = values.size(0);
    const auto units = values.size(1);
    const torch::Tensor positive = (values.reshape({rows, units, -1}) > 0).any(2);
    const torch::Tensor fraction = positive.to(torch::kFloat).mean(0).to(torch::kCPU).contiguous();
    const float* data = fraction.data_ptr<float>();
    return std::vector<float>(data, data + units);
}

double saturated_fraction(const torch::Tensor& output, bool tanh)
{
    if (!output.defined() || output.numel() == 0)
        return 0.0;
    const torch::Tensor values = output.detach().to(torch::kFloat);
    torch::Tensor saturated;
    if (tanh) {
        saturated = values.abs() > std::tanh(5.0f);
    } else {
        const float low = 1.0f / (1.0f + std::exp(5.0f));
        saturated = (values < low) | (values > 1.0f - low);
    }
    return double(saturated.sum().item<std::int64_t>()) / double(output.numel());
}

} // namespace traindx::probe
