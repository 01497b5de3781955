// Small synthetic datasets for the zoo: fast, and with known difficulty.
#pragma once

#include "fashion_mnist_data.h"

namespace zoo {

// `classes` Gaussian blobs in `features` dimensions; targets are class indices.
examples::Dataset blobs(std::int64_t rows, int classes = 3, int features = 2, double spread = 0.7);
// The XOR truth table, targets 0 / 1 of shape [4, 1].
examples::Dataset xor_table();
// Two classes on concentric circles (not linearly separable), targets of shape [N, 1].
examples::Dataset circles(std::int64_t rows);
// y = x . w + b + noise, inputs uniform in [lo, hi].
examples::Dataset linear_regression(std::int64_t rows, int features, double lo, double hi);

} // namespace zoo
