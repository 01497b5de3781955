// The mutation benchmark's catalogue: healthy base training programs, the operators that
// inject one classic training bug into a base, and the ground truth each operator implies.
// Ground truth comes from the operator alone: what it breaks, where, and which fix repairs it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mutants {

// What a base learns, and with which loss.
enum class Task {
    CrossEntropy,  // class indices, logits into cross-entropy
    BinaryBCE,     // one output through a Sigmoid module into BCE
    BinaryLogits,  // one logit into BCE with logits
    Regression,    // real-valued targets (some negative), MSE
    Reconstruction // the input is the target, MSE
};

// Where things are in a base's model, as module paths from named_modules() (what TrainDx
// reports as a layer's path). Operators name their layers through these roles.
struct Layout {
    std::vector<std::string> hidden;             // hidden layers whose biases large_bias shifts
    std::vector<std::string> hidden_activations; // the activation modules after them (none when functional)
    double large_bias = -5.0;                    // -5 before a ReLU, +5 before a Sigmoid or Tanh
    std::string output;                          // the layer that computes the model's output
    std::string output_activation;               // the output activation module ("" when functional)
    std::vector<std::string> dropout;            // the dropout modules heavy_dropout sets to 0.9
    std::string first;                           // the first layer with weights
    std::string last;                            // the last layer with weights
    std::string frozen;                          // the layer frozen_layer freezes
    std::vector<std::string> before_detach;      // the modules before detach_in_forward's cut
};

// One operator applied to one base, as the base's code sees it.
class Mutation {
public:
    Mutation(std::string op, Layout layout, std::vector<std::string> truth_layers)
        : op_(std::move(op)), layout_(std::move(layout)), truth_layers_(std::move(truth_layers))
    {
    }

    bool none() const { return op_.empty(); }
    bool is(std::string_view name) const { return op_ == name; }
    const std::string& op() const { return op_; }
    const Layout& layout() const { return layout_; }
    // The ground truth's layers: the base checks that they name modules of its model.
    const std::vector<std::string>& truth_layers() const { return truth_layers_; }

private:
    std::string op_;
    Layout layout_;
    std::vector<std::string> truth_layers_;
};

// Command-line settings every base honours.
struct Settings {
    int seed = 1;
    int epochs = 0; // 0: the base's own number of epochs
    int epochs_or(int fallback) const { return epochs > 0 ? epochs : fallback; }
};

struct Base {
    std::string name;
    std::string summary;
    Task task;
    // The model's layout once `op` is applied ("" for the base itself).
    std::function<Layout(const std::string& op)> layout;
    // Trains, prints one line per epoch and, last, "result: quality=Q learned=yes|no".
    std::function<int(const Mutation&, const Settings&)> run;
};

struct Operator {
    std::string name;
    std::string summary;
    bool healthy = false; // a control: the program is still correct
    std::vector<std::string> symptoms;
    std::string fix;
    std::function<bool(const Base&, const Layout&)> applies;
    // The layers the finding must be at: module paths, {"*"} for any, {} for the model as a whole.
    std::function<std::vector<std::string>(const Layout&)> layers;
};

std::vector<Base>& bases();
const std::vector<Operator>& operators();
const Operator* find_operator(const std::string& name);
const Base* find_base(const std::string& name);

struct RegisterBase {
    explicit RegisterBase(Base base) { bases().push_back(std::move(base)); }
};

// The mutation of `base` by `op` ("" for none), with its ground-truth layers.
Mutation mutation(const Base& base, const std::string& op);

// Seeds the generators and runs `base` as `m` mutates it; an exception ends the run with a
// "result: ... learned=no error=..." line and exit code 1.
int run(const Base& base, const Mutation& m, const Settings& settings);

// The seeds healthy programs run with.
const std::vector<int>& healthy_seeds();

// The whole catalogue as JSON: bases, healthy seeds, and every applicable mutant with its
// ground truth.
std::string catalogue_json();

} // namespace mutants
