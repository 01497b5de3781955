// The zoo's scenarios: each builds a complete training setup from the command line.
#pragma once

#include "options.h"
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

} // namespace zoo
