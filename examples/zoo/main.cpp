// traindx-zoo SCENARIO [--epochs N] [--batch-size N] [--lr X] [--seed N]
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
        std::cout << "scenario " << name << ": " << found->summary << std::endl;
        return examples::train(training, std::cout);
    } catch (const std::exception& error) {
        std::cerr << "traindx-zoo: " << error.what() << std::endl;
        return 2;
    }
}
