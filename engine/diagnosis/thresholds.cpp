#include "thresholds.h"

#include <QFile>
#include <QTextStream>

namespace traindx {

Thresholds::Thresholds()
{
    m_entries = {
        // Saturation: DeepDiagnosis' +-5 on the activation's input (fixed in the probe),
        // more than half of the layer (DeepDiagnosis, SageMaker threshold_layer 50 %).
        {QStringLiteral("saturation_fraction"), 0.5, QStringLiteral("share of a Sigmoid/Tanh layer's values whose input lies beyond +-5")},
        // Dead units: a unit never positive on the whole probe batch is dead; the layer is
        // flagged when at least this share of its units is dead (SageMaker: 50 %). Counting
        // units, not elements, is what keeps sparse but healthy ReLU layers quiet.
        {QStringLiteral("dead_unit_fraction"), 0.5, QStringLiteral("share of a ReLU layer's units that never fire")},
        {QStringLiteral("sustain_epochs"), 2, QStringLiteral("epoch ends a per-layer symptom must persist before it is reported")},
        // Unchanged weights: ||dW|| / ||W|| per step, measured (never float equality).
        {QStringLiteral("unchanged_update_ratio"), 1e-6, QStringLiteral("update ratio below which weights count as unchanged")},
        {QStringLiteral("unchanged_samples"), 3, QStringLiteral("consecutive samples of unchanged weights before reporting")},
        {QStringLiteral("unchanged_epoch_ratio"), 1e-6, QStringLiteral("change of the weights over a whole epoch, relative to their size, below which they count as unchanged")},
        // Learning-rate checker: cs231n's update/weight ratio around 1e-3 (DeepDiagnosis).
        {QStringLiteral("lr_ratio_low"), 1e-5, QStringLiteral("update ratio below which the learning rate is too low")},
        {QStringLiteral("lr_ratio_high"), 1e-1, QStringLiteral("update ratio above which the learning rate is too high")},
        {QStringLiteral("lr_weight_growth"), 4, QStringLiteral("growth of a layer's weight norm since the start that shows steps too large")},
        // Vanishing / exploding gradients: AUTOTRAINER's first/last gradient-norm ratio.
        {QStringLiteral("vanishing_ratio"), 1e-3, QStringLiteral("RMS gradient of the first layer over the last, below which gradients vanish")},
        {QStringLiteral("vanishing_first_rms"), 1e-4, QStringLiteral("RMS gradient of the first layer below which it vanished")},
        {QStringLiteral("exploding_ratio"), 70, QStringLiteral("RMS gradient of the first layer over the last, above which gradients explode")},
        {QStringLiteral("exploding_growth"), 10, QStringLiteral("growth of the gradient norm from one epoch to the next that counts as exploding")},
        {QStringLiteral("exploding_norm"), 1e3, QStringLiteral("gradient RMS above which a layer's gradient is exploding")},
        // Progress: the loss must improve by this relative amount over the window.
        {QStringLiteral("progress_window_epochs"), 3, QStringLiteral("epochs over which loss and accuracy must improve")},
        {QStringLiteral("loss_min_improvement"), 0.01, QStringLiteral("relative loss decrease expected over the window")},
        {QStringLiteral("accuracy_min_improvement"), 0.01, QStringLiteral("accuracy increase expected over the window")},
        {QStringLiteral("converged_accuracy"), 0.9, QStringLiteral("training accuracy at which a flat curve counts as converged")},
        {QStringLiteral("converged_loss_fraction"), 0.1, QStringLiteral("loss, as a share of the chance-level loss, at which a flat curve counts as converged")},
        // Oscillation: AUTOTRAINER's zeta and eta, applied to windowed loss means.
        {QStringLiteral("oscillation_amplitude"), 0.15, QStringLiteral("relative swing of windowed loss means that counts as an oscillation")},
        {QStringLiteral("oscillation_share"), 0.6, QStringLiteral("share of direction changes among windowed loss means")},
        {QStringLiteral("oscillation_windows"), 10, QStringLiteral("windows of batches examined for oscillation")},
        // Data checker: "normalised" means values of order one.
        {QStringLiteral("data_max_abs"), 20, QStringLiteral("largest |input| of normalised data")},
        {QStringLiteral("data_max_std"), 10, QStringLiteral("largest standard deviation of normalised inputs")},
        // Targets and module options.
        {QStringLiteral("dropout_max"), 0.75, QStringLiteral("dropout rate at or above which a model that does not learn is blamed on dropout")},
        // Learning rate judged from the first step, before values can overflow.
        {QStringLiteral("lr_first_step_ratio"), 1.0, QStringLiteral("update ratio of the first measured step above which the learning rate is far too high")},
        // Gradients that keep adding up: ||p.grad|| over the gradient of one backward pass.
        {QStringLiteral("accumulation_ratio"), 2, QStringLiteral("accumulated gradient over one step's gradient that, reached with .grad never equal to the step's own gradient, says zero_grad() is missing")},
        // Initialisation checker: variance against the fan-in rule for the activation.
        {QStringLiteral("init_variance_factor"), 30, QStringLiteral("how far (x or /) the initial weight variance may stray from the fan-in rule")},
    };
    for (const auto& entry : m_entries)
        m_defaults.insert(entry.name, entry.value);
}

double Thresholds::operator[](const QString& name) const
{
    for (const auto& entry : m_entries)
        if (entry.name == name)
            return entry.value;
    qFatal("unknown diagnosis threshold %s", qPrintable(name));
}

bool Thresholds::set(const QString& name, const QString& value, QString* error)
{
    bool ok = false;
    const double number = value.trimmed().toDouble(&ok);
    for (auto& entry : m_entries) {
        if (entry.name != name)
            continue;
        if (!ok) {
            *error = QStringLiteral("threshold %1: '%2' is not a number").arg(name, value);
            return false;
        }
        entry.value = number;
        return true;
    }
    *error = QStringLiteral("unknown threshold '%1'").arg(name);
    return false;
}

bool Thresholds::load(const QString& path, QString* error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *error = QStringLiteral("cannot read thresholds from %1: %2").arg(path, file.errorString());
        return false;
    }
    QTextStream in(&file);
    int number = 0;
    while (!in.atEnd()) {
        ++number;
        QString line = in.readLine();
        line = line.left(line.indexOf(QLatin1Char('#'))).trimmed();
        if (line.isEmpty())
            continue;
        const int equals = line.indexOf(QLatin1Char('='));
        if (equals <= 0 || !set(line.left(equals).trimmed(), line.mid(equals + 1), error)) {
            if (equals <= 0)
                *error = QStringLiteral("expected name = value");
            *error = QStringLiteral("%1:%2: %3").arg(path).arg(number).arg(*error);
            return false;
        }
    }
    return true;
}

QMap<QString, double> Thresholds::overridden() const
{
    QMap<QString, double> changed;
    for (const auto& entry : m_entries)
        if (entry.value != m_defaults.value(entry.name))
            changed.insert(entry.name, entry.value);
    return changed;
}

} // namespace traindx
