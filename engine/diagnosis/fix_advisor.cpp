#include "fix_advisor.h"

namespace traindx {

namespace {

} // namespace

FixAdvisor::FixAdvisor(const RunState& run, const ModelFacts& facts, const Checkers& checkers)
    : m_run(run)
    , m_facts(facts)
    , m_checkers(checkers)
{
}

QString FixAdvisor::layerName(int layer) const
{
    const Layer* l = m_run.model.layer(layer);
    if (!l)
        return QStringLiteral("the model");
    const QString options = l->options.isEmpty() ? l->type : l->options;
    if (l->index >= 0)
        return QStringLiteral("layer %1, %2").arg(l->index).arg(options);
    return QStringLiteral("%1 (%2)").arg(l->path, options);
}

void FixAdvisor::set(Finding& f, const QString& fixClass, const QString& text, const QString& checker) const
{
    f.fixClass = fixClass;
    f.fixText = text;
    f.checker = checker;
}

bool FixAdvisor::byData(Finding& f) const
{
    const CheckResult data = m_checkers.data();
    if (!data.fired)
        return false;
    set(f, fix::ImproperData,
        QStringLiteral("Normalise the inputs before training: %1. Subtract the mean and divide by the standard deviation "
                       "(e.g. torch::data::transforms::Normalize<>(mean, std), or (x - x.mean()) / x.std() on the tensor).")
            .arg(data.reason),
        QStringLiteral("data checker: ") + data.reason);
    return true;
}

bool FixAdvisor::byInitialization(Finding& f, int layer) const
{
    const CheckResult init = m_checkers.initialization(layer);
    if (!init.fired)
        return false;
    set(f, fix::ChangeInitialization,
        QStringLiteral("Re-initialise the weights: %1. Use the fan-in rule for the activation that follows, e.g. "
                       "torch::nn::init::kaiming_normal_(linear->weight, 0.0, torch::kFanIn, torch::kReLU) before ReLU, "
                       "torch::nn::init::xavier_uniform_(linear->weight) before Tanh or Sigmoid, and biases at 0.")
            .arg(init.reason),
        QStringLiteral("initialisation checker: ") + init.reason);
    return true;
}

bool FixAdvisor::byWeightGrowth(Finding& f, int layer) const
{
    const CheckResult growth = m_checkers.weightGrowth(layer);
    if (!growth.fired)
        return false;
    const double current = m_run.model.learningRate;
    set(f, fix::ChangeLearningRate,
        QStringLiteral("Lower the learning rate%1: %2 during training, which pushed %3 into this state.")
            .arg(current > 0 ? QStringLiteral(" (now %1) by 10x").arg(formatNumber(current)) : QString(), growth.reason,
                 layerName(f.layer)),
        QStringLiteral("learning-rate checker: ") + growth.reason);
    return true;
}

bool FixAdvisor::updatedElsewhere(int layer) const
{
    for (int other : m_facts.parametric()) {
        if (other == layer)
            continue;
        const LearningRateResult lr = m_checkers.learningRate(other);
        if (lr.verdict == LearningRateVerdict::InRange || lr.verdict == LearningRateVerdict::TooHigh)
            return true;
    }
    return false;
}

bool FixAdvisor::byLearningRate(Finding& f, LearningRateVerdict wanted, int layer) const
{
    const LearningRateResult lr = m_checkers.learningRate(layer);
    const bool matches = wanted == LearningRateVerdict::Unknown ? lr.fired : lr.verdict == wanted;
    if (!matches)
        return false;
    const double current = m_run.model.learningRate;
    const QString now = current > 0 ? QStringLiteral(" (now %1)").arg(formatNumber(current)) : QString();
    if (lr.verdict == LearningRateVerdict::TooHigh)
        set(f, fix::ChangeLearningRate,
            QStringLiteral("Lower the learning rate%1, by 10x to start with%2: %3.")
                .arg(now, current > 0 ? QStringLiteral(" (") + formatNumber(current / 10) + QLatin1Char(')') : QString(), lr.reason),
            QStringLiteral("learning-rate checker: too high, ") + lr.reason);
    else
        set(f, fix::ChangeLearningRate,
            QStringLiteral("Raise the learning rate%1, by 10x to start with%2: %3.")
                .arg(now, current > 0 ? QStringLiteral(" (") + formatNumber(current * 10) + QLatin1Char(')') : QString(), lr.reason),
            QStringLiteral("learning-rate checker: too low, ") + lr.reason);
    return true;
}

void FixAdvisor::advise(Finding& f) const
{
    const QString& s = f.symptom;
    const QString layer = layerName(f.layer);

    if (s == symptom::OutOfRange) {
        adviseOutOfRange(f);
        return;
    }
    if (s == symptom::ZeroSignal) {
        adviseZeroSignal(f);
        return;
    }
    if (s == symptom::NumericalError) {
        if (f.location == location::Gradients) {
            if (!byLearningRate(f, LearningRateVerdict::TooHigh))
                set(f, fix::ChangeActivation,
                    QStringLiteral("The gradient breaks first at %1: replace the activation after it with one whose "
                                   "derivative stays bounded (e.g. torch::nn::ReLU instead of an exponential), or clip "
                                   "gradients with torch::nn::utils::clip_grad_norm_.")
                        .arg(layer),
                    QStringLiteral("no checker fired: the decision tree's default for gradients"));
            return;
        }
        if (byInitialization(f) || byData(f) || byLearningRate(f, LearningRateVerdict::TooHigh))
            return;
        set(f, fix::ChangeLearningRate,
            QStringLiteral("Values overflow at %1: lower the learning rate, or clip gradients with "
                           "torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0) before optimizer.step().")
                .arg(layer),
            QStringLiteral("no checker fired; a step too large is the usual cause of overflowing values"));
        return;
    }
    if (s == symptom::InvalidLoss) {
        if (byData(f) || byLearningRate(f, LearningRateVerdict::TooHigh))
            return;
        set(f, fix::ChangeLearningRate,
            QStringLiteral("The loss stopped being a number: lower the learning rate and clip gradients with "
                           "torch::nn::utils::clip_grad_norm_; check that the loss never takes the log of 0."),
            QStringLiteral("no checker fired; a step too large is the usual cause"));
        return;
    }
    if (s == symptom::InvalidAccuracy) {
        if (byLearningRate(f, LearningRateVerdict::TooHigh))
            return;
        set(f, fix::ChangeOptimizer,
            QStringLiteral("The accuracy left [0, 1]: check how it is computed (predictions against targets of the same "
                           "shape), then try torch::optim::Adam with its default learning rate."),
            QStringLiteral("no checker fired: the decision tree's default"));
        return;
    }
    if (s == symptom::SaturatedActivation || s == symptom::DeadRelu) {
        const int before = m_facts.previousParametric(f.layer);
        if (byData(f) || byInitialization(f, before) || byLearningRate(f, LearningRateVerdict::TooHigh)
            || byWeightGrowth(f, before))
            return;
        if (s == symptom::DeadRelu)
            set(f, fix::ChangeActivation,
                QStringLiteral("Replace %1 with torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.01)) "
                               "(or ELU) so that units with negative input still pass a gradient and can recover.")
                    .arg(layer),
                QStringLiteral("no checker fired: data, initialisation and learning rate are in range"));
        else
            set(f, fix::ChangeActivation,
                QStringLiteral("Replace %1 with torch::nn::ReLU in hidden layers (keep Sigmoid only on a binary output), "
                               "or add torch::nn::BatchNorm1d before it to keep its input near 0.")
                    .arg(layer),
                QStringLiteral("no checker fired: data, initialisation and learning rate are in range"));
        return;
    }
    if (s == symptom::UnchangedWeights) {
        if (updatedElsewhere(f.layer)) {
            set(f, fix::ChangeOptimizer,
                QStringLiteral("%1 has gradients but its weights do not move while other layers train: its parameters "
                               "are not given to the optimizer (or are frozen). Build the optimizer from "
                               "model->parameters().")
                    .arg(layer),
                QStringLiteral("learning-rate checker: other layers move at a normal rate, this one not at all"));
            return;
        }
        if (byLearningRate(f, LearningRateVerdict::TooLow) || byInitialization(f, f.layer))
            return;
        set(f, fix::ChangeOptimizer,
            QStringLiteral("The weights of %1 are not updated: check that its parameters are passed to the optimizer "
                           "(model->parameters()), then try torch::optim::Adam.")
                .arg(layer),
            QStringLiteral("no checker fired: learning rate and initialisation are in range"));
        return;
    }
    if (s == symptom::LossNotDecreasing || s == symptom::AccuracyNotIncreasing) {
        if (byInitialization(f) || byData(f) || byLearningRate(f))
            return;
        set(f, fix::ChangeOptimizer,
            QStringLiteral("Training does not progress although data, initialisation and step size look sound: switch "
                           "to torch::optim::Adam(model->parameters(), torch::optim::AdamOptions(1e-3)), or check the loss "
                           "against the task."),
            QStringLiteral("no checker fired: the decision tree's default"));
        return;
    }
    if (s == symptom::VanishingGradient) {
        // The early layers' steps are small because their gradient vanished; only the last
        // layer's step says whether the learning rate itself is too low.
        if (byLearningRate(f, LearningRateVerdict::TooLow, m_facts.outputParametric()))
            return;
        bool squashing = false;
        for (int id : m_facts.parametric())
            if (id != m_facts.outputParametric()) {
                const Activation a = m_facts.activationAfter(id);
                squashing = squashing || a == Activation::Sigmoid || a == Activation::Tanh;
            }
        if (squashing)
            set(f, fix::ChangeActivation,
                QStringLiteral("Each Sigmoid or Tanh in the hidden layers shrinks the gradient on its way back to %1: "
                               "use torch::nn::ReLU in hidden layers.")
                    .arg(layer),
                QStringLiteral("no learning-rate problem; the hidden layers squash"));
        else
            set(f, fix::ChangeLayerCount,
                QStringLiteral("The gradient fades over %1 layers before it reaches %2: use fewer layers, or add "
                               "torch::nn::BatchNorm1d between them (or residual connections).")
                    .arg(m_facts.parametric().size())
                    .arg(layer),
                QStringLiteral("no learning-rate problem; the network is too deep for its gradients"));
        return;
    }
    if (s == symptom::ExplodingGradient) {
        if (byInitialization(f) || byLearningRate(f, LearningRateVerdict::TooHigh))
            return;
        set(f, fix::ChangeOptimizer,
            QStringLiteral("Clip the gradients before each step: torch::nn::utils::clip_grad_norm_(model->parameters(), "
                           "1.0), or use torch::optim::Adam, whose steps do not grow with the gradient."),
            QStringLiteral("no checker fired: learning rate and initialisation are in range"));
        return;
    }
    if (s == symptom::OscillatingLoss) {
        const LearningRateResult lr = m_checkers.learningRate();
        if (lr.verdict != LearningRateVerdict::TooLow) {
            const double current = m_run.model.learningRate;
            set(f, fix::ChangeLearningRate,
                QStringLiteral("The steps overshoot: lower the learning rate%1 by 10x, or decay it "
                               "(torch::optim::StepLR).")
                    .arg(current > 0 ? QStringLiteral(" (now %1)").arg(formatNumber(current)) : QString()),
                lr.verdict == LearningRateVerdict::Unknown
                    ? QStringLiteral("learning-rate checker: no update ratio measured; an oscillating loss means steps too large")
                    : QStringLiteral("learning-rate checker: ") + lr.reason);
            return;
        }
        set(f, fix::ChangeOptimizer,
            QStringLiteral("The loss is noisy with small steps: use larger batches or torch::optim::Adam."),
            QStringLiteral("learning-rate checker: too low, so the swings come from gradient noise"));
    }
}

void FixAdvisor::adviseOutOfRange(Finding& f) const
{
    const Layer* l = m_run.model.layer(f.layer);
    const QString layer = layerName(f.layer);
    const QString& loss = m_run.model.loss;
    const Activation kind = l ? activationOf(l->type) : Activation::None;
    const QString tree = QStringLiteral("decision tree: output out of range at the last layer → change the activation");
    if (f.value(QStringLiteral("units")) == 1 && (kind == Activation::Softmax || kind == Activation::LogSoftmax)) {
        set(f, fix::ChangeActivation,
            QStringLiteral("%1 over 1 unit: its output is always %2 and its gradient exactly 0 — use torch::nn::Sigmoid "
                           "with BCELoss, or 2 output units with CrossEntropyLoss.")
                .arg(layer, kind == Activation::Softmax ? QStringLiteral("1") : QStringLiteral("0")),
            tree);
        return;
    }
    if (loss == QLatin1String("bce") && (m_run.data.targets.min < 0 || m_run.data.targets.max > 1)) {
        set(f, fix::ChangeLoss,
            QStringLiteral("The targets span [%1, %2], which BCELoss cannot take: use MSELoss for values, or map the "
                           "labels to 0 and 1.")
                .arg(formatNumber(m_run.data.targets.min), formatNumber(m_run.data.targets.max)),
            QStringLiteral("decision tree: targets out of the loss's range → change the loss"));
        return;
    }
    if (loss == QLatin1String("bce")) {
        set(f, fix::ChangeActivation,
            QStringLiteral("End the model with torch::nn::Sigmoid after %1, or keep the logits and use "
                           "torch::nn::BCEWithLogitsLoss.")
                .arg(layer),
            tree);
        return;
    }
    if (loss == QLatin1String("cross_entropy") || loss == QLatin1String("bce_with_logits")) {
        set(f, fix::ChangeActivation,
            kind == Activation::Relu
                ? QStringLiteral("Remove %1 at the output: the loss needs raw logits, negative ones included.").arg(layer)
                : QStringLiteral("Remove %1 at the output: %2 applies it itself; feed it the raw logits of the last Linear.")
                      .arg(layer, loss == QLatin1String("cross_entropy") ? QStringLiteral("CrossEntropyLoss")
                                                                         : QStringLiteral("BCEWithLogitsLoss")),
            tree);
        return;
    }
    if (loss == QLatin1String("nll")) {
        set(f, fix::ChangeActivation,
            QStringLiteral("End the model with torch::nn::LogSoftmax(1) instead of %1: NLLLoss takes log-probabilities.")
                .arg(layer),
            tree);
        return;
    }
    set(f, fix::ChangeActivation,
        QStringLiteral("Remove %1 at the output so the model can reach the targets' range: regression needs a linear "
                       "output (end with the Linear layer).")
            .arg(layer),
        tree);
}

void FixAdvisor::adviseZeroSignal(Finding& f) const
{
    const QString layer = layerName(f.layer);
    if (f.location == location::Weights) {
        set(f, fix::ChangeInitialization,
            QStringLiteral("The weights of %1 are all 0, so its units stay identical: initialise them with "
                           "torch::nn::init::kaiming_uniform_ or xavier_uniform_ instead of zeros.")
                .arg(layer),
            QStringLiteral("initialisation checker: every weight is exactly 0"));
        return;
    }
    // What follows the layer decides where the signal dies.
    const int after = m_facts.activationLayerAfter(f.layer);
    const Layer* next = m_run.model.layer(after);
    if (next && (activationOf(next->type) == Activation::Softmax || activationOf(next->type) == Activation::LogSoftmax)) {
        int dim = ModelFacts::softmaxDim(*next);
        if (dim < 0)
            dim += next->outputShape.size();
        if (dim >= 0 && dim < next->outputShape.size() && next->outputShape[dim] == 1) {
            set(f, fix::ChangeActivation,
                QStringLiteral("%1 over 1 unit: its output is always 1 and its gradient exactly 0, so %2 never learns — "
                               "use torch::nn::Sigmoid with BCELoss, or 2 units with CrossEntropyLoss.")
                    .arg(layerName(after), layer),
                QStringLiteral("decision tree: zero gradient under a softmax over one unit → change the activation"));
            return;
        }
    }
    if (byInitialization(f))
        return;
    if (next && activationOf(next->type) == Activation::Relu) {
        set(f, fix::ChangeActivation,
            QStringLiteral("%1 passes no gradient back to %2: all its units are off. Use torch::nn::LeakyReLU.")
                .arg(layerName(after), layer),
            QStringLiteral("decision tree: zero gradient under dead ReLU units → change the activation"));
        return;
    }
    set(f, fix::ChangeLoss,
        QStringLiteral("No gradient reaches %1: the loss does not depend on it. Compute the loss from the model's output "
                       "(no .detach(), no NoGradGuard) with a loss that matches the task.")
            .arg(layer),
        QStringLiteral("no checker fired: the gradient is cut between the loss and this layer"));
}

} // namespace traindx
