// The zoo's scenarios: each builds a complete training setup from the command line.
#pragma once

#include "options.h"
#include "synthetic_data.h"
#include "trainer.h"

#include <functional>
#include <string>
#include <vector>

namespace zoo {

struct Scenario {
    std::string name;
    std::string summary;
    std::function<examples::Training(const examples::Options&)> build;
};

std::vector<Scenario>& registry();

struct Register {
    explicit Register(Scenario scenario) { registry().push_back(std::move(scenario)); }
};

// A buggy scenario and its fixed twin, registered as NAME and NAME_fixed. One builder makes
// both and is told whether to correct the bug, so that the twin differs by the fix alone.
struct RegisterWithTwin {
    RegisterWithTwin(const std::string& name, const std::string& summary, const std::string& fix,
                     const std::function<examples::Training(const examples::Options&, bool fixed)>& build);
};

// The parts every scenario sets, in one call.
examples::Training training(torch::nn::Sequential model, traindx::Loss loss,
                            std::unique_ptr<torch::optim::Optimizer> optimizer, examples::Dataset train,
                            int epochs, int batch_size, examples::Scoring scoring);

// The loss functions the scenarios use, by the probe's name for them.
std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> loss_function(traindx::Loss loss);

} // namespace zoo
