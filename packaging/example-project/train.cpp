// A plain LibTorch MNIST-style training loop (in the manner of pytorch/examples' cpp/mnist),
// with the TrainDx probe added: the lines marked "TrainDx".
//   train DATA_DIR [EPOCHS] [MAX_BATCHES_PER_EPOCH]
// DATA_DIR holds the unpacked idx files (train-images-idx3-ubyte, …).
#include <torch/torch.h>
#include <traindx/probe.h> // TrainDx

#include <cstdio>
#include <cstdlib>

struct NetImpl : torch::nn::Module {
    NetImpl()
        : fc1(register_module("fc1", torch::nn::Linear(784, 128)))
        , fc2(register_module("fc2", torch::nn::Linear(128, 64)))
        , fc3(register_module("fc3", torch::nn::Linear(64, 10)))
    {
    }

    torch::Tensor forward(torch::Tensor x, traindx::Probe* probe = nullptr)
    {
        x = torch::relu(fc1->forward(x.view({x.size(0), 784})));
        if (probe)
            probe->tap("fc1", x); // TrainDx: this layer's output, as the model computes it
        x = torch::relu(fc2->forward(x));
        if (probe)
            probe->tap("fc2", x); // TrainDx
        return torch::log_softmax(fc3->forward(x), 1);
    }

    torch::nn::Linear fc1, fc2, fc3;
};
TORCH_MODULE(Net);

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: train DATA_DIR [EPOCHS] [MAX_BATCHES_PER_EPOCH]\n");
        return 2;
    }
    const int epochs = argc > 2 ? std::atoi(argv[2]) : 2;
    const long max_batches = argc > 3 ? std::atol(argv[3]) : -1;
    torch::manual_seed(1);

    auto dataset = torch::data::datasets::MNIST(argv[1])
                       .map(torch::data::transforms::Normalize<>(0.1307, 0.3081))
                       .map(torch::data::transforms::Stack<>());
    auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(std::move(dataset), 64);

    Net model;
    torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.5));

    traindx::Probe probe(model, traindx::ProbeOptions().name("mnist-mlp").loss(traindx::Loss::NLL)); // TrainDx
    probe.watch(optimizer);                                                                          // TrainDx

    for (int epoch = 1; epoch <= epochs; ++epoch) {
        long batches = 0;
        double loss_sum = 0;
        for (auto& batch : *loader) {
            if (batches == 0 && epoch == 1)
                probe.describe_data(batch.data, batch.target); // TrainDx: data ranges
            optimizer.zero_grad();
            auto output = model->forward(batch.data, &probe);
            auto loss = torch::nll_loss(output, batch.target);
            loss.backward();
            optimizer.step();
            const double accuracy = output.argmax(1).eq(batch.target).to(torch::kDouble).mean().item<double>();
            probe.step(loss, accuracy); // TrainDx
            loss_sum += loss.item<double>();
            if (++batches == max_batches || probe.stop_requested())
                break;
        }
        probe.end_epoch(); // TrainDx
        std::printf("epoch %d: mean loss %.4f over %ld batches\n", epoch, loss_sum / batches, batches);
        if (probe.stop_requested())
            break;
    }
}
