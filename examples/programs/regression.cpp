// A regression loop without epochs: fresh samples of a noisy curve at every step, training
// until the loss is small. The probe forms the evaluation windows the loop does not have.
//   traindx-example-regression [--max-steps 4000] [--bug relu_output]
// --bug plants a bug for the tests: relu_output puts a ReLU on the output, which then
// cannot reach the curve's negative half.
#include <traindx/probe.h> // TrainDx

#include "options.h"

#include <torch/torch.h>

#include <cstdio>

struct Regressor : torch::nn::Module {
    explicit Regressor(bool relu_output)
        : fc1(register_module("fc1", torch::nn::Linear(1, 64)))
        , fc2(register_module("fc2", torch::nn::Linear(64, 64)))
        , fc3(register_module("fc3", torch::nn::Linear(64, 1)))
        , relu_output(relu_output)
    {
    }

    torch::Tensor forward(torch::Tensor x, traindx::Probe& probe)
    {
        x = torch::tanh(fc1(x));
        probe.tap("fc1", x, traindx::Activation::Tanh); // TrainDx
        x = torch::tanh(fc2(x));
        probe.tap("fc2", x, traindx::Activation::Tanh); // TrainDx
        x = fc3(x);
        return relu_output ? torch::relu(x) : x;
    }

    torch::nn::Linear fc1, fc2, fc3;
    bool relu_output;
};

// y = sin(3x) + 0.3x + noise on [-2, 2].
std::pair<torch::Tensor, torch::Tensor> sample(int rows)
{
    const torch::Tensor x = torch::rand({rows, 1}) * 4 - 2;
    return {x, torch::sin(3 * x) + 0.3 * x + 0.05 * torch::randn({rows, 1})};
}

int main(int argc, char** argv)
{
    const examples::Options options(argc, argv);
    const int max_steps = options.integer("max-steps", 4000);
    torch::manual_seed(1);

    Regressor model(options.text("bug", "") == "relu_output");
    torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(3e-3));
    traindx::Probe probe(model, traindx::ProbeOptions().name("regression").loss(traindx::Loss::MSE) // TrainDx
                                    .steps_per_epoch(250)); // TrainDx
    probe.watch(optimizer); // TrainDx

    double loss_value = 0;
    int step = 0;
    for (; step < max_steps; ++step) {
        const auto [x, y] = sample(128);
        if (step == 0)
            probe.describe_data(x, y); // TrainDx
        optimizer.zero_grad();
        const torch::Tensor loss = torch::mse_loss(model.forward(x, probe), y);
        loss.backward();
        optimizer.step();
        probe.step(loss); // TrainDx
        loss_value = loss.item<double>();
        if (loss_value < 0.004 || probe.stop_requested()) // TrainDx: stop_requested
            break;
        if (step % 500 == 0)
            std::printf("step %d: loss %.5f\n", step, loss_value);
    }
    std::printf("stopped after %d steps at loss %.5f\n", step + 1, loss_value);
    return 0;
}
