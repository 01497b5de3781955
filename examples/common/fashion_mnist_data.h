// Fashion-MNIST from Debian's dataset-fashion-mnist package, read with LibTorch's MNIST
// dataset after the .gz files are unpacked once into a cache directory.
#pragma once

#include <torch/torch.h>

#include <string>

namespace examples {

struct Dataset {
    torch::Tensor inputs;  // [N, 1, 28, 28], normalised to zero mean and unit variance
    torch::Tensor targets; // [N], class indices
};

// Where the unpacked idx files are; unpacks them on first use. Throws with a message
// naming the missing package or the unwritable directory.
std::string fashion_mnist_directory();

// `limit` > 0 keeps only the first `limit` examples.
Dataset load_fashion_mnist(bool train, long limit = 0);

} // namespace examples
