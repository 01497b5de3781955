// traindx-bench-step [--steps N] [--rounds N]
// The probe's cost per probe.step() in a loop of a tiny model, with a live probe listening
// on its own socket and no client: the fixed cost of a step (a timestamp, a counter, a loss
// into the ring) plus the amortised share of what falls due (samples, flushes). Backward is
// not run, so the gradient hooks cost nothing here. Each round times N steps with the probe
// and N iterations of the same loop without it; the figure is the median over the rounds.
// Last line: step_cost_ns=C.
#include <torch/torch.h>

#include <traindx/probe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

} // namespace

int main(int argc, char** argv)
{
    long steps = 200000;
    int rounds = 7;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--steps"))
            steps = std::atol(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--rounds"))
            rounds = std::atoi(argv[i + 1]);
    }
    torch::manual_seed(1);
    torch::nn::Sequential model(torch::nn::Linear(4, 8), torch::nn::ReLU(), torch::nn::Linear(8, 1));
    torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.01));
    const std::string socket = "/tmp/traindx-bench-step-" + std::to_string(::getpid()) + ".sock";
    traindx::Probe probe(model, traindx::ProbeOptions().name("bench-step").listen(socket));
    if (!probe.active()) {
        std::fprintf(stderr, "traindx-bench-step: the probe did not start\n");
        return 1;
    }
    probe.watch(optimizer);

    std::vector<double> costs;
    volatile double sink = 0;
    for (int round = 0; round < rounds; ++round) {
        const auto bare = Clock::now();
        for (long i = 0; i < steps; ++i)
            sink = sink + 1.0 / double(i + 1);
        const auto probed = Clock::now();
        for (long i = 0; i < steps; ++i) {
            sink = sink + 1.0 / double(i + 1);
            probe.step(1.0 / double(i + 1));
        }
        const auto end = Clock::now();
        const double bareNs = std::chrono::duration<double, std::nano>(probed - bare).count();
        const double probedNs = std::chrono::duration<double, std::nano>(end - probed).count();
        costs.push_back((probedNs - bareNs) / double(steps));
        probe.end_epoch();
        std::printf("round %d: %.0f ns per step\n", round + 1, costs.back());
    }
    ::unlink(socket.c_str());
    std::printf("step_cost_ns=%.0f\n", median(costs));
    return 0;
}
