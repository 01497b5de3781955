// traindx-bench-stats [--samples N]: how fast the probe reduces a tensor to its statistics,
// against memcpy of the same bytes. For 64 K, 1 M and 16 M floats, on one thread and on all
// of them: the statistics with the histogram (what the probe sends), without it, and a
// memcpy of the tensor's bytes split over the same threads. A sample times each of the three
// in turn, each repeated until it lasts a few milliseconds; the figures are medians over the
// samples, the ratio the median of the samples' own ratios, so that the load of a shared
// machine falls on both sides of it. Then 16 M elements of each floating dtype, one thread.
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
#include <utility>
#include <vector>

using namespace traindx;

namespace {

constexpr double kSampleSeconds = 0.02;

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

// Something to time: `run` handles `bytes` bytes.
struct Timed {
    std::function<void()> run;
    double bytes = 0;
    int repeats = 1;
    std::vector<double> rates; // GB/s, one per sample

    Timed(std::function<void()> run, double bytes) : run(std::move(run)), bytes(bytes) {}

    void calibrate()
    {
        run(); // warm: pages touched, threads started
        for (;;) {
            const auto start = std::chrono::steady_clock::now();
            for (int i = 0; i < repeats; ++i)
                run();
            if (seconds_since(start) >= kSampleSeconds || repeats >= (1 << 20))
                break;
            repeats *= 2;
        }
    }

    void sample()
    {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < repeats; ++i)
            run();
        rates.push_back(bytes * repeats / seconds_since(start) / 1e9);
    }
};

// Samples each of `timed` in turn, starting with a different one each time.
void sample_in_turn(std::vector<Timed*> timed, int samples)
{
    for (Timed* t : timed)
        t->calibrate();
    for (int s = 0; s < samples; ++s) {
        for (size_t i = 0; i < timed.size(); ++i)
            timed[(i + size_t(s)) % timed.size()]->sample();
    }
}

double median_ratio(const Timed& a, const Timed& b)
{
    std::vector<double> ratios;
    for (size_t i = 0; i < a.rates.size() && i < b.rates.size(); ++i)
        ratios.push_back(a.rates[i] / b.rates[i]);
    return median(ratios);
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
    int samples = 9;
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
            Timed with_histogram {[&] { probe::tensor_stats(tensor, true, &stats); }, bytes};
            Timed moments {[&] { probe::tensor_stats(tensor, false, &stats); }, bytes};
            Timed copy {[&] {
                            copy_bytes(destination.data(), static_cast<const char*>(tensor.data_ptr()),
                                std::int64_t(bytes));
                        },
                bytes};
            sample_in_turn({&with_histogram, &moments, &copy}, samples);
            const double ratio = median_ratio(with_histogram, copy);
            std::printf("%-6s %7d %12.2f %12.2f %12.2f %8.3f\n", size_name(size).c_str(), threads,
                median(with_histogram.rates), median(moments.rates), median(copy.rates), ratio);
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
        Timed with_histogram {[&] { probe::tensor_stats(tensor, true, &stats); }, double(size) * double(tensor.element_size())};
        sample_in_turn({&with_histogram}, samples);
        const double rate = median(with_histogram.rates);
        std::printf("%-9s %7d %12.2f %12.2f\n", name, 1, rate, rate / double(tensor.element_size()));
        std::fflush(stdout);
    }
    at::set_num_threads(initial_threads);

    std::printf("stats_vs_memcpy=%.3f\n", headline);
    return 0;
}
