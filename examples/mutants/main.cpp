// traindx-mutants BASE [--mutate OPERATOR] [--seed N] [--epochs N]
// traindx-mutants --list
//
// Healthy base training programs and operators that inject one classic training bug into
// them. --list prints, as JSON, the bases, the healthy seeds and every mutant with its
// ground truth. A run prints one line per epoch and, last, "result: quality=Q learned=yes|no".
#include "catalogue.h"

#include "options.h"

#include <iostream>

namespace {

int usage(std::ostream& out, int code)
{
    out << "usage: traindx-mutants BASE [--mutate OPERATOR] [--seed N] [--epochs N]\n"
           "       traindx-mutants --list\n\nbases:\n";
    for (const auto& base : mutants::bases())
        out << "  " << base.name << "  " << base.summary << "\n";
    out << "\noperators:\n";
    for (const auto& op : mutants::operators())
        out << "  " << op.name << "  " << op.summary << "\n";
    return code;
}

} // namespace

int main(int argc, char** argv)
{
    const examples::Options options(argc, argv);
    if (options.has("list")) {
        std::cout << mutants::catalogue_json();
        return 0;
    }
    if (options.has("help"))
        return usage(std::cout, 0);
    if (options.positional().size() != 1)
        return usage(std::cerr, 2);

    const mutants::Base* base = mutants::find_base(options.positional().front());
    if (!base) {
        std::cerr << "traindx-mutants: no base named '" << options.positional().front() << "'\n";
        return 2;
    }
    const std::string op = options.text("mutate", "");
    if (!op.empty()) {
        const mutants::Operator* found = mutants::find_operator(op);
        if (!found) {
            std::cerr << "traindx-mutants: no operator named '" << op << "'\n";
            return 2;
        }
        if (!found->applies(*base, base->layout(op))) {
            std::cerr << "traindx-mutants: operator '" << op << "' does not apply to " << base->name << "\n";
            return 2;
        }
    }
    mutants::Settings settings;
    settings.seed = options.integer("seed", 1);
    settings.epochs = options.integer("epochs", 0);
    std::cout << "base " << base->name << (op.empty() ? "" : " mutated by " + op) << ", seed " << settings.seed
              << std::endl;
    return mutants::run(*base, mutants::mutation(*base, op), settings);
}
