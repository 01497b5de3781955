// Command-line options of the example trainers: --name value pairs with defaults.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace examples {

class Options {
public:
    // Accepts "--key value", "--key=value" and a bare "--flag" (followed by another option or
    // nothing); anything else lands in positional().
    Options(int argc, char** argv);

    int integer(const std::string& key, int fallback) const;
    double number(const std::string& key, double fallback) const;
    std::string text(const std::string& key, const std::string& fallback) const;
    bool has(const std::string& key) const { return values_.count(key) > 0; }
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::map<std::string, std::string> values_;
    std::vector<std::string> positional_;
};

} // namespace examples
