// A diagnosis finding: the symptom, where it is, when it was first seen, the numbers that
// show it, and the recommended fix.
#pragma once

#include <QPair>
#include <QString>
#include <QHash>
#include <QJsonObject>
#include <QStringList>
#include <QVector>

namespace traindx {

namespace symptom {
inline const QString NumericalError = QStringLiteral("numerical_error");
inline const QString InvalidLoss = QStringLiteral("invalid_loss");
inline const QString InvalidAccuracy = QStringLiteral("invalid_accuracy");
inline const QString ZeroSignal = QStringLiteral("zero_signal");
inline const QString UnchangedWeights = QStringLiteral("unchanged_weights");
inline const QString SaturatedActivation = QStringLiteral("saturated_activation");
inline const QString DeadRelu = QStringLiteral("dead_relu");
inline const QString OutOfRange = QStringLiteral("out_of_range");
inline const QString LossNotDecreasing = QStringLiteral("loss_not_decreasing");
inline const QString AccuracyNotIncreasing = QStringLiteral("accuracy_not_increasing");
inline const QString VanishingGradient = QStringLiteral("vanishing_gradient");
inline const QString ExplodingGradient = QStringLiteral("exploding_gradient");
inline const QString OscillatingLoss = QStringLiteral("oscillating_loss");
QStringList all();
QString describe(const QString& symptom); // "dead ReLU units"
} // namespace symptom

namespace fix {
inline const QString ImproperData = QStringLiteral("improper_data");
inline const QString ChangeLoss = QStringLiteral("change_loss");
inline const QString ChangeActivation = QStringLiteral("change_activation");
inline const QString ChangeLearningRate = QStringLiteral("change_learning_rate");
inline const QString ChangeInitialization = QStringLiteral("change_initialization");
inline const QString ChangeLayerCount = QStringLiteral("change_layer_count");
inline const QString ChangeOptimizer = QStringLiteral("change_optimizer");
QStringList all();
} // namespace fix

namespace location {
inline const QString Forward = QStringLiteral("forward");
inline const QString Weights = QStringLiteral("weights");
inline const QString Gradients = QStringLiteral("gradients");
inline const QString Metric = QStringLiteral("metric");
} // namespace location

struct Evidence {
    QString name;
    double value = 0;
    QString text; // when the evidence is not a number
};

struct Finding {
    QString symptom;
    int layer = -1; // layer id; -1 when the finding is about the whole model (metrics)
    QString layerPath;
    QString layerType;
    int layerIndex = -1; // position in forward order
    QString location;
    int epoch = 0; // first seen, counted from 0
    int batch = 0; // batches completed in that epoch when first seen
    qint64 step = 0;
    double seconds = -1; // from the start of the session to the finding, when known
    bool faulty = true;  // false: a warning
    QString summary;     // one line: what is wrong, with the key number
    QVector<Evidence> evidence;
    QString fixClass;
    QString fixText;
    QString checker;      // which checker chose the fix, and why
    QString explainedBy;  // another finding this one follows from, "zero_signal@6"

    // The shape of traindx-cli's JSON: symptom, layer {index, path, type}, location,
    // epoch and batch (counted from 1), evidence, fix {class, text}, and the rest.
    QJsonObject toJson() const;
    // One line for a terminal: symptom, layer, when, fix.
    QString oneLine() const;
    QString layerLabel() const; // "layer 7 Softmax (7)" or "the model"

    // "out_of_range at layer 7 Softmax": the finding `explainedBy` names, found in `all`.
    QString causeLabel(const QVector<Finding>& all) const;

    QString key() const { return symptom + QLatin1Char('@') + QString::number(layer) + QLatin1Char('/') + location; }
    double value(const QString& evidenceName, double fallback = 0) const;
};

} // namespace traindx
