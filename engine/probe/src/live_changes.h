// Changes a TrainDx client asks for while the program trains: a learning rate set or
// scaled, a layer re-initialised, frozen or unfrozen or given to the optimizer, an
// optimizer's state reset, gradients clipped by global norm. Asked
// for from the server's thread, applied on the training thread at a boundary, each answered
// with what was actually changed or why nothing was.
#pragma once

#include "gradient_hooks.h"
#include "model_walk.h"
#include "traindx.pb.h"

#include <torch/torch.h>

#include <mutex>
#include <vector>

namespace traindx::probe {

class LiveChanges {
public:
    // Any thread.
    void request(const wire::Change& change);
    bool pending() const;
    // Training thread: applies, in order, the changes asked for whose step and epoch have come
    // (`steps` and `epochs` done); one CHANGE_APPLIED or CHANGE_REFUSED event for each.
    std::vector<wire::Event> apply(const std::vector<LayerInfo>& layers,
                                   const std::vector<const torch::optim::Optimizer*>& optimizers, GradientHooks& hooks,
                                   long long steps, int epochs);

private:
    mutable std::mutex mutex_;
    std::vector<wire::Change> queue_;
};

// One change; `event` says what happened. Exposed for tests.
wire::Event apply_change(const wire::Change& change, const std::vector<LayerInfo>& layers,
                         const std::vector<const torch::optim::Optimizer*>& optimizers, GradientHooks& hooks);

} // namespace traindx::probe
