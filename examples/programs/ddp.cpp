// A training program on several ranks, written the way C++ users write one on c10d: every
// rank builds the same model (same seed), trains on its own shard of the data, and
// all-reduces the gradients by hand before its optimizer steps (Gloo over a TCPStore).
// Started like torchrun starts ranks:
//   RANK=r WORLD_SIZE=n MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 traindx-ddp [--epochs 6]
// or all at once: traindx-cli run --ranks 4 [--reduced] -- traindx-ddp
// --plant puts a bug on rank 1 for the tests:
//   desync     rank 1 all-reduces a copy of its gradients and steps on its own
//   nan        rank 1's batch at step 40 holds a NaN; the all-reduce carries it to every rank
//   straggler  rank 1 sleeps 30 ms before each step; the others wait for it in the all-reduce
//   killed     rank 1 is killed (SIGKILL) at step 50; the others fail in their next all-reduce
#include <traindx/probe.h> // TrainDx

#include "options.h"

// USE_C10D_GLOO, which ProcessGroupGloo.hpp needs, comes with LibTorch's CMake flags.
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

int env_int(const char* name, int fallback)
{
    const char* value = std::getenv(name);
    return value && *value ? std::atoi(value) : fallback;
}

// Four Gaussian blobs in eight dimensions, the same centres on every rank; each rank draws
// its own rows.
std::pair<torch::Tensor, torch::Tensor> shard(int rank, int rows)
{
    torch::manual_seed(7);
    const torch::Tensor centres = torch::randn({4, 8}) * 2;
    torch::manual_seed(100 + rank);
    const torch::Tensor labels = torch::randint(0, 4, {rows}, torch::kLong);
    return {centres.index_select(0, labels) + torch::randn({rows, 8}), labels};
}

} // namespace

int main(int argc, char** argv)
{
    const examples::Options options(argc, argv);
    const int rank = env_int("RANK", 0), world = env_int("WORLD_SIZE", 1);
    const char* address = std::getenv("MASTER_ADDR");
    const std::string plant = options.text("plant", "");
    const int epochs = options.integer("epochs", 6), batch_size = 32;

    c10d::TCPStoreOptions store_options;
    store_options.port = std::uint16_t(env_int("MASTER_PORT", 29500));
    store_options.isServer = rank == 0;
    store_options.numWorkers = world;
    store_options.timeout = std::chrono::seconds(30);
    auto store = c10::make_intrusive<c10d::TCPStore>(address ? address : "127.0.0.1", store_options);
    // A rank that dies must not hold the others forever: each collective gives up after 20 s.
    auto group_options = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(20));
    group_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, group_options);

    torch::manual_seed(1); // the same initial weights on every rank
    torch::nn::Sequential model(torch::nn::Linear(8, 32), torch::nn::ReLU(), torch::nn::Linear(32, 32), torch::nn::ReLU(),
                                torch::nn::Linear(32, 4));
    torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05));
    const auto [inputs, labels] = shard(rank, 2048);

    traindx::Probe probe(model, traindx::ProbeOptions().name("ddp").loss(traindx::Loss::CrossEntropy) // TrainDx
                                    .process_group(group).store(store));                               // TrainDx
    probe.watch(optimizer);                                                                            // TrainDx
    probe.describe_data(inputs, labels);                                                               // TrainDx

    long long step = 0;
    const auto batches = inputs.size(0) / batch_size;
    try {
        for (int epoch = 0; epoch < epochs && !probe.stop_requested(); ++epoch) {
            double correct = 0, loss_sum = 0;
            for (std::int64_t b = 0; b < batches; ++b, ++step) {
                if (plant == "killed" && rank == 1 && step == 50)
                    std::raise(SIGKILL);
                if (plant == "straggler" && rank == 1)
                    std::this_thread::sleep_for(std::chrono::milliseconds(30));
                torch::Tensor x = inputs.slice(0, b * batch_size, (b + 1) * batch_size);
                const torch::Tensor y = labels.slice(0, b * batch_size, (b + 1) * batch_size);
                if (plant == "nan" && rank == 1 && step == 40) {
                    x = x.clone();
                    x[0][0] = std::nan("");
                }
                optimizer.zero_grad();
                const torch::Tensor output = model->forward(x);
                const torch::Tensor loss = torch::nn::functional::cross_entropy(output, y);
                loss.backward();
                for (auto& parameter : model->parameters()) {
                    std::vector<torch::Tensor> gradient {plant == "desync" && rank == 1 ? parameter.grad().clone()
                                                                                        : parameter.grad()};
                    group->allreduce(gradient)->wait();
                    parameter.mutable_grad().div_(world);
                }
                optimizer.step();
                const double accuracy = output.argmax(1).eq(y).to(torch::kDouble).mean().item<double>();
                correct += accuracy;
                loss_sum += loss.item<double>();
                probe.step(loss, accuracy); // TrainDx
            }
            std::printf("rank %d epoch %d loss %.4f accuracy %.4f\n", rank, epoch + 1, loss_sum / batches, correct / batches);
            std::fflush(stdout);
            probe.end_epoch(); // TrainDx
        }
    } catch (const std::exception& error) {
        std::fprintf(stderr, "rank %d: %s\n", rank, error.what());
        return 1;
    }
    return 0;
}
