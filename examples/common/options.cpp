#include "options.h"

#include <cstdlib>

namespace examples {

Options::Options(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument.rfind("--", 0) != 0) {
            positional_.push_back(argument);
            continue;
        }
        const auto equals = argument.find('=');
        if (equals != std::string::npos)
            values_[argument.substr(2, equals - 2)] = argument.substr(equals + 1);
        else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
            values_[argument.substr(2)] = argv[++i];
        else
            values_[argument.substr(2)] = "";
    }
}

int Options::integer(const std::string& key, int fallback) const
{
    const auto it = values_.find(key);
    return it == values_.end() ? fallback : std::atoi(it->second.c_str());
}

double Options::number(const std::string& key, double fallback) const
{
    const auto it = values_.find(key);
    return it == values_.end() ? fallback : std::atof(it->second.c_str());
}

std::string Options::text(const std::string& key, const std::string& fallback) const
{
    const auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
}

} // namespace examples
