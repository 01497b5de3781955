#include "advisor.h"

namespace traindx {

Advisor::Advisor(const RunState& run, const ModelFacts& facts, const Checkers& checkers)
    : m_run(run)
    , m_facts(facts)
    , m_checkers(checkers)
{
}

QString Advisor::layerName(int layer) const
{
    const Layer* l = m_run.model.layer(layer);
    if (!l)
        return QStringLiteral("the model");
    const QString options = l->options.isEmpty() ? l->type : l->options;
    if (l->index >= 0)
        return QStringLiteral("layer %1, %2").arg(l->index).arg(options);
    return QStringLiteral("%1 (%2)").arg(l->path, options);
}

QString Advisor::activationName(int layer) const
{
    const Layer* l = m_run.model.layer(layer);
    if (!l || l->function.isEmpty())
        return layerName(layer);
    const qsizetype said = l->options.indexOf(QLatin1String(" ("));
    return said > 0 ? l->options.left(said) : l->function;
}

QString Advisor::inProgramsForm(int layer, const QString& module, const QString& function) const
{
    const Layer* l = m_run.model.layer(layer);
    return l && !l->function.isEmpty() ? function : module;
}

QString Advisor::currentLearningRate() const
{
    const double current = m_run.model.learningRate;
    return current != 0 ? QStringLiteral(" (now %1)").arg(formatNumber(current)) : QString();
}

void Advisor::set(Finding& f, FixClass fixClass, const QString& text, const QString& checker) const
{
    f.fixClass = fixClass;
    f.fixText = text;
    f.checker = checker;
}

bool Advisor::byData(Finding& f) const
{
    const CheckResult data = m_checkers.data();
    if (!data.fired)
        return false;
    set(f, FixClass::ImproperData,
        QStringLiteral("Normalise the inputs before training: %1. Subtract the mean and divide by the standard deviation "
                       "(e.g. torch::data::transforms::Normalize<>(mean, std), or (x - x.mean()) / x.std() on the tensor).")
            .arg(data.reason),
        QStringLiteral("data checker: ") + data.reason);
    return true;
}

bool Advisor::byTargets(Finding& f) const
{
    const CheckResult targets = m_checkers.targets();
    if (!targets.fired)
        return false;
    set(f, FixClass::ImproperData,
        QStringLiteral("Scale the regression targets: %1. Standardise them (y - mean) / std for training and undo it on "
                       "the predictions.")
            .arg(targets.reason),
        QStringLiteral("data checker: ") + targets.reason);
    return true;
}

bool Advisor::byInitialization(Finding& f, int layer) const
{
    const CheckResult init = m_checkers.initialization(layer);
    if (!init.fired)
        return false;
    set(f, FixClass::ChangeInitialization,
        QStringLiteral("Re-initialise the weights: %1. Use the fan-in rule for the activation that follows, e.g. "
                       "torch::nn::init::kaiming_normal_(linear->weight, 0.0, torch::kFanIn, torch::kReLU) before ReLU, "
                       "torch::nn::init::xavier_uniform_(linear->weight) before Tanh or Sigmoid, and biases at 0.")
            .arg(init.reason),
        QStringLiteral("initialisation checker: ") + init.reason);
    return true;
}

bool Advisor::byWeightGrowth(Finding& f, int layer) const
{
    const CheckResult growth = m_checkers.weightGrowth(layer);
    if (!growth.fired)
        return false;
    const double current = m_run.model.learningRate;
    set(f, FixClass::ChangeLearningRate,
        QStringLiteral("Lower the learning rate%1: %2 during training, which pushed %3 into this state.")
            .arg(current > 0 ? QStringLiteral(" (now %1) by 10x").arg(formatNumber(current)) : QString(), growth.reason,
                 layerName(f.layer)),
        QStringLiteral("learning-rate checker: ") + growth.reason);
    return true;
}

bool Advisor::byDropout(Finding& f) const
{
    const CheckResult dropout = m_checkers.dropout();
    if (!dropout.fired)
        return false;
    set(f, FixClass::ChangeLayerCount,
        QStringLiteral("Lower the dropout: %1. Use p between 0.1 and 0.5 (torch::nn::Dropout(0.2)), or remove the "
                       "Dropout layers until the model fits the training data.")
            .arg(dropout.reason),
        QStringLiteral("architecture checker: ") + dropout.reason);
    return true;
}

bool Advisor::updatedElsewhere(int layer) const
{
    const SnapshotPtr latest = m_run.latestWith(layer, TensorKind::WeightGrad);
    const TensorStats* gradient = latest ? &latest->layer(layer)->stats(TensorKind::WeightGrad) : nullptr;
    if (gradient && gradient->count > 0 && gradient->zeros == gradient->count)
        return false; // no gradient: nothing for an optimizer to apply, held or not
    for (int other : m_facts.parametric()) {
        if (other == layer)
            continue;
        const LearningRateResult lr = m_checkers.learningRate(other);
        if (lr.verdict == LearningRateVerdict::InRange || (lr.verdict == LearningRateVerdict::TooHigh && !lr.beforeStall))
            return true;
    }
    return false;
}

bool Advisor::byLearningRate(Finding& f, LearningRateVerdict wanted, int layer) const
{
    const LearningRateResult lr = m_checkers.learningRate(layer);
    const bool matches = wanted == LearningRateVerdict::Unknown ? lr.fired : lr.verdict == wanted;
    if (!matches)
        return false;
    const double current = m_run.model.learningRate;
    const QString now = currentLearningRate();
    if (lr.verdict == LearningRateVerdict::TooHigh)
        set(f, FixClass::ChangeLearningRate,
            QStringLiteral("Lower the learning rate%1, by 10x to start with%2: %3.")
                .arg(now, current > 0 ? QStringLiteral(" (") + formatNumber(current / 10) + QLatin1Char(')') : QString(), lr.reason),
            QStringLiteral("learning-rate checker: too high, ") + lr.reason);
    else
        set(f, FixClass::ChangeLearningRate,
            QStringLiteral("Raise the learning rate%1, by 10x to start with%2: %3.")
                .arg(now, current > 0 ? QStringLiteral(" (") + formatNumber(current * 10) + QLatin1Char(')') : QString(), lr.reason),
            QStringLiteral("learning-rate checker: too low, ") + lr.reason);
    return true;
}

} // namespace traindx
