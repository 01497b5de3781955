#include "catalogue.h"

#include <algorithm>
#include <sstream>

namespace mutants {

namespace {

using Strings = std::vector<std::string>;

// Symptom families: any one of them, found as a fault, counts as detected.
const Strings kOutputSwap = {"out_of_range", "zero_signal"};
const Strings kWrongTargets = {"out_of_range", "invalid_targets"};
const Strings kDivergence = {"numerical_error",         "invalid_loss",         "exploding_gradient",
                             "oscillating_loss",        "loss_not_decreasing",  "accuracy_not_increasing",
                             "dead_relu",               "saturated_activation", "invalid_learning_rate"};
const Strings kNoProgress = {"unchanged_weights", "loss_not_decreasing", "accuracy_not_increasing"};
const Strings kLargeWeights = {"saturated_activation", "numerical_error",     "exploding_gradient",
                               "dead_relu",            "invalid_loss",        "loss_not_decreasing",
                               "accuracy_not_increasing", "poor_initialization"};
const Strings kSymmetric = {"symmetric_weights", "loss_not_decreasing", "accuracy_not_increasing",
                            "unchanged_weights"};
const Strings kZero = {"zero_signal", "symmetric_weights", "unchanged_weights", "loss_not_decreasing",
                       "accuracy_not_increasing"};
const Strings kLargeBias = {"dead_relu", "saturated_activation", "zero_signal", "loss_not_decreasing",
                            "accuracy_not_increasing", "poor_initialization"};
const Strings kUnscaled = {"saturated_activation", "numerical_error",         "exploding_gradient",
                           "dead_relu",            "invalid_loss",            "loss_not_decreasing",
                           "accuracy_not_increasing", "oscillating_loss",        "unscaled_data"};
const Strings kDropout = {"excessive_dropout", "loss_not_decreasing", "accuracy_not_increasing"};
const Strings kNotOptimised = {"not_in_optimizer", "unchanged_weights"};
const Strings kAccumulation = {"gradient_accumulation", "exploding_gradient",     "oscillating_loss",
                               "numerical_error",       "loss_not_decreasing",    "accuracy_not_increasing",
                               "invalid_loss"};
const Strings kDetached = {"no_gradient", "zero_signal", "unchanged_weights"};

Strings join(Strings a, const Strings& b)
{
    for (const auto& item : b)
        if (std::find(a.begin(), a.end(), item) == a.end())
            a.push_back(item);
    return a;
}

Strings any_layer(const Layout&) { return {"*"}; }

// The output activation module, when there is one, and the layer feeding it.
Strings output_layers(const Layout& layout)
{
    Strings layers;
    if (!layout.output_activation.empty())
        layers.push_back(layout.output_activation);
    layers.push_back(layout.output);
    return layers;
}

// The layer computing the output, for operators that change the loss and not the model.
Strings output_layer(const Layout& layout) { return {layout.output}; }

bool always(const Base&, const Layout&) { return true; }

std::function<bool(const Base&, const Layout&)> for_tasks(std::vector<Task> tasks)
{
    return [tasks](const Base& base, const Layout&) {
        return std::find(tasks.begin(), tasks.end(), base.task) != tasks.end();
    };
}

std::vector<Operator> make_operators()
{
    const auto classifier = for_tasks({Task::CrossEntropy});
    const auto real_valued = for_tasks({Task::Regression, Task::Reconstruction});
    const auto lr = "change_learning_rate";
    const auto init = "change_initialization";
    const auto loop = "change_training_loop";
    return {
        // The output layer does not fit the loss.
        {"softmax_before_cross_entropy", "a Softmax on the logits fed to cross-entropy, which applies its own",
         false, kOutputSwap, "change_activation", classifier, output_layers},
        {"sigmoid_before_cross_entropy", "a Sigmoid on the logits fed to cross-entropy", false, kOutputSwap,
         "change_activation", classifier, output_layers},
        {"relu_before_cross_entropy", "a ReLU on the logits fed to cross-entropy", false, kOutputSwap,
         "change_activation", classifier, output_layers},
        {"nll_loss_on_logits", "nll_loss on raw logits, with no log_softmax before it", false, kOutputSwap,
         "change_activation", classifier, output_layer},
        {"bce_on_class_indices", "BCE with logits on the multi-class output, against the class indices as targets",
         false, kWrongTargets, "change_loss", classifier, output_layer},
        {"sigmoid_regression_output", "a Sigmoid on the output of a regression whose targets leave [0, 1]", false,
         kOutputSwap, "change_activation", real_valued, output_layers},
        {"relu_regression_output", "a ReLU on the output of a regression with negative targets", false, kOutputSwap,
         "change_activation", real_valued, output_layers},
        {"softmax_one_unit", "a Softmax over the one output unit of a binary classifier", false, kOutputSwap,
         "change_activation", for_tasks({Task::BinaryBCE, Task::BinaryLogits}), output_layers},
        {"sigmoid_before_bce_with_logits", "a Sigmoid on the logit fed to BCE with logits, which applies its own",
         false, kOutputSwap, "change_activation", for_tasks({Task::BinaryLogits}), output_layers},

        // The step size.
        {"lr_x1000", "learning rate 1000 times the base's", false, kDivergence, lr, always, any_layer},
        {"lr_x10000", "learning rate 10000 times the base's", false, kDivergence, lr, always, any_layer},
        {"lr_x1e-5", "learning rate 1e-5 times the base's", false, kNoProgress, lr, always, any_layer},
        {"lr_negative", "the learning rate set to minus the base's in the optimizer's parameter groups", false,
         join({"invalid_learning_rate"}, kDivergence), lr, always, any_layer},
        {"lr_zero", "the learning rate set to 0 in the optimizer's parameter groups", false,
         join({"invalid_learning_rate"}, kNoProgress), lr, always, any_layer},

        // Initialisation.
        {"init_normal", "every weight drawn from N(0, 1)", false, kLargeWeights, init, always, any_layer},
        {"init_constant", "every weight 0.05, every bias 0", false, kSymmetric, init, always, any_layer},
        {"init_constant_large", "every weight 0.5, every bias 0", false, join(kSymmetric, kLargeWeights), init,
         always, any_layer},
        {"init_zero", "every weight and bias 0", false, kZero, init, always, any_layer},
        {"large_bias", "hidden biases at -5 before a ReLU (+5 before a Sigmoid or Tanh)", false, kLargeBias, init,
         [](const Base&, const Layout& l) { return !l.hidden.empty(); },
         [](const Layout& l) { return join(l.hidden, l.hidden_activations); }},

        // The data.
        {"unscaled_inputs", "inputs not normalised: Fashion-MNIST pixels 0..255, synthetic inputs x1000 + 500",
         false, kUnscaled, "improper_data", always, any_layer},
        {"rescaled_targets", "regression targets multiplied by 1000", false, join(kUnscaled, {"out_of_range"}),
         "improper_data", for_tasks({Task::Regression}), any_layer},

        // The network and the training loop.
        {"heavy_dropout", "dropout 0.9 in the hidden layers", false, kDropout, "change_layer_count",
         [](const Base&, const Layout& l) { return !l.dropout.empty(); }, [](const Layout& l) { return l.dropout; }},
        {"first_layer_not_in_optimizer",
         "the first layer's parameters not given to the optimizer (still requiring grad)",
         false, kNotOptimised, "change_optimizer", [](const Base&, const Layout& l) { return !l.first.empty(); },
         [](const Layout& l) { return Strings {l.first}; }},
        {"last_layer_not_in_optimizer", "the last layer's parameters not given to the optimizer (still requiring grad)",
         false, kNotOptimised, "change_optimizer", [](const Base&, const Layout& l) { return !l.last.empty(); },
         [](const Layout& l) { return Strings {l.last}; }},
        {"missing_zero_grad", "optimizer.zero_grad() never called: gradients add up over the batches", false,
         kAccumulation, loop, always, any_layer},
        {"eval_mode", "model->eval() after construction and never train()", false, {"eval_mode"}, loop, always,
         any_layer},
        {"detach_in_forward", "a .detach() in the middle of forward(): the layers before it get no gradient", false,
         kDetached, loop, [](const Base&, const Layout& l) { return !l.before_detach.empty(); },
         [](const Layout& l) { return l.before_detach; }},

        // A healthy control: freezing a layer on purpose is not a bug.
        {"frozen_layer", "a layer frozen on purpose: requires_grad_(false) and left out of the optimizer", true, {},
         "", [](const Base&, const Layout& l) { return !l.frozen.empty(); },
         [](const Layout&) { return Strings {}; }},
    };
}

void write_string(std::ostream& out, const std::string& text)
{
    out << '"';
    for (const char c : text) {
        if (c == '"' || c == '\\')
            out << '\\' << c;
        else if (c == '\n')
            out << "\\n";
        else
            out << c;
    }
    out << '"';
}

void write_strings(std::ostream& out, const Strings& items)
{
    out << '[';
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i)
            out << ", ";
        write_string(out, items[i]);
    }
    out << ']';
}

} // namespace

std::vector<Base>& bases()
{
    static std::vector<Base> all;
    return all;
}

const std::vector<Operator>& operators()
{
    static const std::vector<Operator> all = make_operators();
    return all;
}

const Operator* find_operator(const std::string& name)
{
    for (const auto& op : operators())
        if (op.name == name)
            return &op;
    return nullptr;
}

const Base* find_base(const std::string& name)
{
    for (const auto& base : bases())
        if (base.name == name)
            return &base;
    return nullptr;
}

Mutation mutation(const Base& base, const std::string& op)
{
    Layout layout = base.layout(op);
    const Operator* found = find_operator(op);
    return Mutation(op, layout, found ? found->layers(layout) : Strings {});
}

const std::vector<int>& healthy_seeds()
{
    static const std::vector<int> seeds = {1, 2, 3, 4, 5, 6};
    return seeds;
}

std::string catalogue_json()
{
    std::vector<const Base*> sorted;
    for (const auto& base : bases())
        sorted.push_back(&base);
    std::sort(sorted.begin(), sorted.end(), [](const Base* a, const Base* b) { return a->name < b->name; });

    std::ostringstream out;
    out << "{\n  \"bases\": [";
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        out << (i ? ", " : "");
        write_string(out, sorted[i]->name);
    }
    out << "],\n  \"healthy_seeds\": [";
    for (std::size_t i = 0; i < healthy_seeds().size(); ++i)
        out << (i ? ", " : "") << healthy_seeds()[i];
    out << "],\n  \"operators\": [";
    for (std::size_t i = 0; i < operators().size(); ++i) {
        const Operator& op = operators()[i];
        out << (i ? "," : "") << "\n    {\"name\": ";
        write_string(out, op.name);
        out << ", \"healthy\": " << (op.healthy ? "true" : "false") << ", \"summary\": ";
        write_string(out, op.summary);
        out << '}';
    }
    out << "\n  ],\n  \"mutants\": [";
    bool first = true;
    for (const Base* base : sorted) {
        for (const Operator& op : operators()) {
            const Layout layout = base->layout(op.name);
            if (!op.applies(*base, layout))
                continue;
            out << (first ? "" : ",") << "\n    {\"base\": ";
            first = false;
            write_string(out, base->name);
            out << ", \"operator\": ";
            write_string(out, op.name);
            out << ", \"healthy\": " << (op.healthy ? "true" : "false") << ", \"symptoms\": ";
            write_strings(out, op.symptoms);
            out << ", \"layers\": ";
            write_strings(out, op.layers(layout));
            out << ", \"fix\": ";
            write_string(out, op.fix);
            out << '}';
        }
    }
    out << "\n  ]\n}\n";
    return out.str();
}

} // namespace mutants
