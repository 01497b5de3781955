#include "finding.h"

#include <QJsonArray>

#include <cmath>

namespace traindx {

QStringList symptom::all()
{
    return {NumericalError, InvalidLoss, InvalidAccuracy, ZeroSignal, UnchangedWeights, SaturatedActivation, DeadRelu,
            OutOfRange, LossNotDecreasing, AccuracyNotIncreasing, VanishingGradient, ExplodingGradient, OscillatingLoss};
}

QString symptom::describe(const QString& symptom)
{
    static const QHash<QString, QString> text {
        {NumericalError, QStringLiteral("NaN or infinite values")},
        {InvalidLoss, QStringLiteral("invalid loss")},
        {InvalidAccuracy, QStringLiteral("invalid accuracy")},
        {ZeroSignal, QStringLiteral("exactly zero signal")},
        {UnchangedWeights, QStringLiteral("weights not changing")},
        {SaturatedActivation, QStringLiteral("saturated activation")},
        {DeadRelu, QStringLiteral("dead ReLU units")},
        {OutOfRange, QStringLiteral("output cannot reach the targets")},
        {LossNotDecreasing, QStringLiteral("loss not decreasing")},
        {AccuracyNotIncreasing, QStringLiteral("accuracy not increasing")},
        {VanishingGradient, QStringLiteral("vanishing gradient")},
        {ExplodingGradient, QStringLiteral("exploding gradient")},
        {OscillatingLoss, QStringLiteral("oscillating loss")},
    };
    return text.value(symptom, symptom);
}

QStringList fix::all()
{
    return {ImproperData, ChangeLoss, ChangeActivation, ChangeLearningRate, ChangeInitialization, ChangeLayerCount,
            ChangeOptimizer};
}

QJsonObject Finding::toJson() const
{
    QJsonObject object;
    object.insert(QStringLiteral("symptom"), symptom);
    if (layer >= 0)
        object.insert(QStringLiteral("layer"), QJsonObject {{QStringLiteral("index"), layerIndex},
                                                             {QStringLiteral("path"), layerPath},
                                                             {QStringLiteral("type"), layerType}});
    else
        object.insert(QStringLiteral("layer"), QJsonValue::Null);
    object.insert(QStringLiteral("location"), location);
    object.insert(QStringLiteral("epoch"), epoch + 1);
    object.insert(QStringLiteral("batch"), batch);
    object.insert(QStringLiteral("step"), step);
    if (seconds >= 0)
        object.insert(QStringLiteral("seconds"), seconds);
    object.insert(QStringLiteral("severity"), faulty ? QStringLiteral("fault") : QStringLiteral("warning"));
    object.insert(QStringLiteral("summary"), summary);
    QJsonObject numbers;
    for (const auto& e : evidence)
        numbers.insert(e.name, e.text.isEmpty() ? QJsonValue(std::isfinite(e.value) ? QJsonValue(e.value)
                                                                                     : QJsonValue(QString::number(e.value)))
                                                : QJsonValue(e.text));
    object.insert(QStringLiteral("evidence"), numbers);
    object.insert(QStringLiteral("fix"), QJsonObject {{QStringLiteral("class"), fixClass},
                                                      {QStringLiteral("text"), fixText},
                                                      {QStringLiteral("checker"), checker}});
    if (!explainedBy.isEmpty())
        object.insert(QStringLiteral("explained_by"), explainedBy);
    return object;
}

QString Finding::layerLabel() const
{
    if (layer < 0)
        return QStringLiteral("the model");
    QString label = layerIndex >= 0 ? QStringLiteral("layer %1 %2").arg(layerIndex).arg(layerType) : layerType;
    if (!layerPath.isEmpty() && layerPath != QString::number(layerIndex))
        label += QStringLiteral(" (%1)").arg(layerPath);
    return label;
}

QString Finding::oneLine() const
{
    return QStringLiteral("%1%2 at %3, epoch %4 batch %5: %6 -> %7")
        .arg(faulty ? QString() : QStringLiteral("warning: "), symptom, layerLabel())
        .arg(epoch + 1)
        .arg(batch)
        .arg(summary, fixClass);
}

QString Finding::causeLabel(const QVector<Finding>& all) const
{
    for (const auto& other : all)
        if (other.key() == explainedBy)
            return other.symptom + QStringLiteral(" at ") + other.layerLabel();
    return explainedBy;
}

double Finding::value(const QString& evidenceName, double fallback) const
{
    for (const auto& e : evidence)
        if (e.name == evidenceName)
            return e.value;
    return fallback;
}

} // namespace traindx
