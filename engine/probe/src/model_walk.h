// The layer table of a LibTorch model, from named_modules(), and the probe-batch pass
// that captures every layer's output of a Sequential without changing the model.
#pragma once

#include <torch/torch.h>

#include "traindx.pb.h"

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace traindx::probe {

struct LayerInfo {
    int id = 0;
    int index = -1; // position among the leaves in forward order, -1 when unknown
    int parent = -1;
    bool leaf = true;
    std::string path;
    std::string type;
    std::string options;
    bool forward_known = false; // its place in forward order comes from a Sequential
    std::string function; // a tapped function's name in the program ("torch::relu"), else empty
    std::shared_ptr<torch::nn::Module> module; // null for a tapped tensor without a module
    std::vector<std::pair<std::string, torch::Tensor>> parameters; // the module's own, not its children's
    std::vector<std::int64_t> output_shape;
};

class ModelWalk {
public:
    explicit ModelWalk(std::shared_ptr<torch::nn::Module> root);

    std::vector<LayerInfo>& layers() { return layers_; }
    const std::vector<LayerInfo>& layers() const { return layers_; }
    // Activations of every layer can be captured by the probe-batch pass.
    bool sequential() const { return sequential_; }
    int find(const std::string& path) const;
    // Another model's layers, appended under `name` (ids of the layers already there stay).
    void add_model(const std::string& name, std::shared_ptr<torch::nn::Module> model);
    // A layer for a tensor tapped in forward(). With `follows` a layer, it takes the next
    // place in forward order after that layer (after its last leaf when it has children).
    int add_tap(const std::string& path, const std::string& type, const std::string& options,
                const std::string& function, int follows);

    // Runs `batch` through the Sequential layer by layer under NoGradGuard, in eval mode,
    // then restores every module's train/eval flag. Each module's output is handed to
    // `visit` as it is computed and let go after the next module has run: only two layers'
    // outputs are alive at once. Records output shapes.
    using Visit = std::function<void(const LayerInfo& layer, const torch::Tensor& output)>;
    void capture(const torch::Tensor& batch, const Visit& visit);

    void describe(wire::Model* model) const;
    std::int64_t parameter_count() const;
    torch::Device device() const;

private:
    int last_index_within(int layer) const;
    torch::Tensor run_sequential(torch::nn::SequentialImpl& sequential, torch::Tensor x, const Visit& visit);

    std::shared_ptr<torch::nn::Module> root_;
    std::vector<LayerInfo> layers_;
    std::unordered_map<const torch::nn::Module*, int> by_module_;
    std::vector<std::pair<int, int>> edges_;
    bool sequential_ = false;
};

} // namespace traindx::probe
