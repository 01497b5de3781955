// Tensors a program hands to Probe::tap() from inside forward(): which layer each one is
// (a module's own output, or a function such as torch::relu applied to one), decided at
// first sight, and their statistics for the sample in progress.
#pragma once

#include <traindx/probe.h>

#include "model_walk.h"

#include <map>
#include <set>
#include <string>
#include <utility>

namespace traindx::probe {

// A layer output's statistics: the tensor's summary and, for a ReLU its dead units, for a
// Sigmoid or Tanh its saturated share.
void activation_stats(const torch::Tensor& output, const std::string& type, wire::LayerStats* stats);

// The activation a function applied to `tensor`, when its values leave no doubt: rows that
// sum to 1 (Softmax) or whose exponentials do (LogSoftmax), no negative value with exact
// zeros among positive ones (ReLU), every value strictly inside (0, 1) (Sigmoid). None
// otherwise; `evidence` says what decided.
Activation infer_activation(const torch::Tensor& tensor, std::string& evidence);

// The torch::nn module computing what `activation` computes ("Sigmoid") and the function a
// program writes for it ("torch::sigmoid"); empty for None and Unspecified.
std::pair<std::string, std::string> activation_names(Activation activation);

class Taps {
public:
    explicit Taps(ModelWalk& walk) : walk_(walk) {}

    // Records from the next forward pass on.
    void arm();
    bool armed() const { return armed_; }
    // Records `tensor` for the armed pass; a name seen twice ends the pass. Returns true
    // when the tensor became a new layer (the model must be described again).
    bool record(const std::string& name, const torch::Tensor& tensor, Activation activation);
    // Statistics recorded since the last clear(), by layer id.
    const std::map<int, wire::LayerStats>& recorded() const { return stats_; }
    void clear() { stats_.clear(); }

private:
    // The layer a tap records into, created when it is a function applied to a module.
    int layer_for(const std::string& name, const torch::Tensor& tensor, Activation activation, bool& created);
    // The layer whose output the function was applied to: the module named, else the one
    // whose parameters the tensor's autograd graph reaches first, else the previous tap.
    int anchor_for(int named, const torch::Tensor& tensor) const;

    ModelWalk& walk_;
    bool armed_ = true;
    std::set<std::pair<std::string, Activation>> seen_this_pass_;
    int previous_ = -1; // the layer tapped last in this pass
    std::map<std::pair<std::string, Activation>, int> layers_;
    std::map<int, wire::LayerStats> stats_;
};

} // namespace traindx::probe
