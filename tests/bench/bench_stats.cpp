// traindx-bench-stats [--samples N]: how fast the probe reduces a tensor to its statistics,
// against memcpy of the same bytes. For 64 K, 1 M and 16 M floats, on one thread and on all
// of them: the statistics with the histogram (what the probe sends), without it, and a
// memcpy of the tensor's bytes (split over the same threads). Each figure is the median of
// several samples; a sample repeats the call until it lasts a few milliseconds, so small
// tensors are timed as well as big ones. Then 16 M elements of each floating dtype on one
// thread.
// Last line: stats_vs_memcpy=R, the statistics with histogram over memcpy, 16 M floats, one
// thread.
#include "tensor_stats.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace traindx;

namespace {

constexpr double kSampleSeconds = 0.05;

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double seconds_since(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Median over the samples of the bytes per second of `run`, which handles `bytes` bytes.
double gigabytes_per_second(const std::function<void()>& run, double bytes, int samples)
{
    run(); // warm: pages touched, threads started
    int repeats = 1;
    for (;;) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < repeats; ++i)
            run();
        if (seconds_since(start) >= kSampleSeconds / 4 || repeats >= (1 << 20))
            break;
        repeats *= 2;
    }
    std::vector<double> rates;
    for (int s = 0; s < samples; ++s) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < repeats; ++i)
            run();
        rates.push_back(bytes * repeats / seconds_since(start) / 1e9);
    }
    return median(rates);
}

void copy_bytes(char* destination, const char* source, std::int64_t bytes)
{
    constexpr std::int64_t kGrain = 1 << 20;
    at::parallel_for(0, bytes, kGrain, [&](std::int64_t begin, std::int64_t end) {
        std::memcpy(destination + begin, source + begin, size_t(end - begin));
    });
}

std::string size_name(std::int64_t elements)
{
    return elements >= (1 << 20) ? std::to_string(elements >> 20) + " M" : std::to_string(elements >> 10) + " K";
}

} // namespace

int main(int argc, char** argv)
{
    int samples = 7;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--samples") == 0 && i + 1 < argc)
            samples = std::max(1, std::atoi(argv[++i]));
    }
    torch::manual_seed(1);
    const int initial_threads = at::get_num_threads();
    const int all_threads = std::max<int>(initial_threads, int(std::thread::hardware_concurrency()));
    const std::int64_t sizes[] = {64 << 10, 1 << 20, 16 << 20};
    std::vector<int> thread_counts = {1};
    if (all_threads > 1)
        thread_counts.push_back(all_threads);

    std::printf("%-6s %7s %12s %12s %12s %8s\n", "floats", "threads", "stats GB/s", "no-hist GB/s", "memcpy GB/s",
        "ratio");
    double headline = 0;
    for (const std::int64_t size : sizes) {
        const torch::Tensor tensor = torch::randn({size});
        std::vector<char> destination(size_t(size) * sizeof(float), 1);
        const double bytes = double(size) * sizeof(float);
        for (const int threads : thread_counts) {
            at::set_num_threads(threads);
            wire::TensorStats stats;
            const double with_histogram = gigabytes_per_second(
                [&] { probe::tensor_stats(tensor, true, &stats); }, bytes, samples);
            const double moments = gigabytes_per_second(
                [&] { probe::tensor_stats(tensor, false, &stats); }, bytes, samples);
            const double copy = gigabytes_per_second(
                [&] {
                    copy_bytes(destination.data(), static_cast<const char*>(tensor.data_ptr()),
                        std::int64_t(bytes));
                },
                bytes, samples);
            const double ratio = with_histogram / copy;
            std::printf("%-6s %7d %12.2f %12.2f %12.2f %8.3f\n", size_name(size).c_str(), threads, with_histogram,
                moments, copy, ratio);
            std::fflush(stdout);
            if (size == sizes[2] && threads == 1)
                headline = ratio;
        }
    }

    at::set_num_threads(1);
    std::printf("\n%-9s %7s %12s %12s\n", "dtype", "threads", "stats GB/s", "elements/ns");
    const std::int64_t size = 16 << 20;
    const std::pair<const char*, torch::ScalarType> dtypes[] = {
        {"float", torch::kFloat}, {"double", torch::kDouble}, {"half", torch::kHalf}, {"bfloat16", torch::kBFloat16}};
    for (const auto& [name, dtype] : dtypes) {
        const torch::Tensor tensor = torch::randn({size}).to(dtype);
        wire::TensorStats stats;
        const double bytes = double(size) * double(tensor.element_size());
        const double rate = gigabytes_per_second([&] { probe::tensor_stats(tensor, true, &stats); }, bytes, samples);
        std::printf("%-9s %7d %12.2f %12.2f\n", name, 1, rate, rate / double(tensor.element_size()));
        std::fflush(stdout);
    }
    at::set_num_threads(initial_threads);

    std::printf("stats_vs_memcpy=%.3f\n", headline);
    return 0;
}
