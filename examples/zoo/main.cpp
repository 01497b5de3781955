// traindx-zoo SCENARIO [--epochs N] [--batch-size N] [--lr X] [--seed N] [--abort-after-epochs N]
// traindx-zoo --list
#include "scenarios.h"

#include <algorithm>
#include <iostream>

namespace zoo {

std::vector<Scenario>& registry()
{
    static std::vector<Scenario> scenarios;
    return scenarios;
}

RegisterWithTwin::RegisterWithTwin(const std::string& name, const std::string& summary, const std::string& fix,
                                   const std::function<examples::Training(const examples::Options&, bool)>& build)
{
    registry().push_back({name, summary, [build](const examples::Options& o) { return build(o, false); }});
    registry().push_back({name + "_fixed", "fixed twin of " + name + ": " + fix,
                          [build](const examples::Options& o) { return build(o, true); }});
}

std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)> loss_function(traindx::Loss loss)
{
    namespace F = torch::nn::functional;
    switch (loss) {
    case traindx::Loss::BCE: return [](const auto& o, const auto& t) { return F::binary_cross_entropy(o, t); };
    case traindx::Loss::BCEWithLogits:
        return [](const auto& o, const auto& t) { return F::binary_cross_entropy_with_logits(o, t); };
    case traindx::Loss::CrossEntropy: return [](const auto& o, const auto& t) { return F::cross_entropy(o, t); };
    case traindx::Loss::NLL: return [](const auto& o, const auto& t) { return F::nll_loss(o, t); };
    case traindx::Loss::L1: return [](const auto& o, const auto& t) { return F::l1_loss(o, t); };
    case traindx::Loss::SmoothL1: return [](const auto& o, const auto& t) { return F::smooth_l1_loss(o, t); };
    default: return [](const auto& o, const auto& t) { return F::mse_loss(o, t); };
    }
}

examples::Training training(torch::nn::Sequential model, traindx::Loss loss,
                            std::unique_ptr<torch::optim::Optimizer> optimizer, examples::Dataset train, int epochs,
                            int batch_size, examples::Scoring scoring)
{
    examples::Training t;
    t.model = model.ptr();
    t.forward = examples::forward_of(model);
    t.loss = loss_function(loss);
    t.loss_kind = loss;
    t.optimizer = std::move(optimizer);
    t.train = std::move(train);
    t.epochs = epochs;
    t.batch_size = batch_size;
    t.scoring = scoring;
    return t;
}

} // namespace zoo

int main(int argc, char** argv)
{
    const examples::Options options(argc, argv);
    auto& scenarios = zoo::registry();
    std::sort(scenarios.begin(), scenarios.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    if (options.has("list") || options.positional().empty()) {
        std::ostream& out = options.has("list") ? std::cout : std::cerr;
        if (!options.has("list"))
            out << "usage: traindx-zoo SCENARIO [--epochs N] [--batch-size N] [--lr X] [--seed N]\n\nscenarios:\n";
        for (const auto& scenario : scenarios)
            out << "  " << scenario.name << "  " << scenario.summary << "\n";
        return options.has("list") ? 0 : 2;
    }
    const std::string name = options.positional().front();
    const auto found = std::find_if(scenarios.begin(), scenarios.end(), [&](const auto& s) { return s.name == name; });
    if (found == scenarios.end()) {
        std::cerr << "traindx-zoo: no scenario named '" << name << "' (see traindx-zoo --list)\n";
        return 2;
    }
    try {
        torch::manual_seed(options.integer("seed", 1));
        examples::Training training = found->build(options);
        training.name = name;
        training.abort_after_epochs = options.integer("abort-after-epochs", 0);
        std::cout << "scenario " << name << ": " << found->summary << std::endl;
        return examples::train(training, std::cout);
    } catch (const std::exception& error) {
        std::cerr << "traindx-zoo: " << error.what() << std::endl;
        return 2;
    }
}
