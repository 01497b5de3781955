#include "finding.h"

#include <QJsonArray>

#include <cmath>

namespace traindx {

namespace {

struct SymptomText {
    Symptom symptom;
    const char* name;
    const char* description;
};

// In enum order.
const SymptomText kSymptoms[] = {
    {Symptom::NumericalError, "numerical_error", "NaN or infinite values"},
    {Symptom::InvalidLoss, "invalid_loss", "invalid loss"},
    {Symptom::InvalidAccuracy, "invalid_accuracy", "invalid accuracy"},
    {Symptom::ZeroSignal, "zero_signal", "exactly zero signal"},
    {Symptom::UnchangedWeights, "unchanged_weights", "weights not changing"},
    {Symptom::SaturatedActivation, "saturated_activation", "saturated activation"},
    {Symptom::DeadRelu, "dead_relu", "dead ReLU units"},
    {Symptom::OutOfRange, "out_of_range", "output cannot reach the targets"},
    {Symptom::LossNotDecreasing, "loss_not_decreasing", "loss not decreasing"},
    {Symptom::AccuracyNotIncreasing, "accuracy_not_increasing", "accuracy not increasing"},
    {Symptom::VanishingGradient, "vanishing_gradient", "vanishing gradient"},
    {Symptom::ExplodingGradient, "exploding_gradient", "exploding gradient"},
    {Symptom::OscillatingLoss, "oscillating_loss", "oscillating loss"},
    {Symptom::InvalidLearningRate, "invalid_learning_rate", "learning rate zero or negative"},
    {Symptom::NotInOptimizer, "not_in_optimizer", "parameters left out of the optimizer"},
    {Symptom::NoGradient, "no_gradient", "no gradient reaches the parameters"},
    {Symptom::GradientAccumulation, "gradient_accumulation", "gradients accumulate across steps"},
    {Symptom::EvalMode, "eval_mode", "training in evaluation mode"},
    {Symptom::SymmetricWeights, "symmetric_weights", "units initialised identically"},
    {Symptom::ExcessiveDropout, "excessive_dropout", "dropout too high to fit"},
    {Symptom::InvalidTargets, "invalid_targets", "targets the loss cannot take"},
    {Symptom::PoorInitialization, "poor_initialization", "initial weights far from the fan-in rule"},
    {Symptom::UnscaledData, "unscaled_data", "inputs or targets far from unit scale"},
    {Symptom::RanksOutOfSync, "ranks_out_of_sync", "ranks whose weights should be identical differ"},
    {Symptom::FirstNonFiniteRank, "first_nonfinite_rank", "the rank where non-finite values appear first"},
    {Symptom::StragglerRank, "straggler_rank", "a rank the others wait for"},
    {Symptom::RankLost, "rank_lost", "a rank that ended before the job"},
};
static_assert(sizeof(kSymptoms) / sizeof(kSymptoms[0]) == kSymptomCount + kJobSymptomCount, "every symptom has a name");

const char* const kFixClasses[] = {"",
                                   "improper_data",
                                   "change_loss",
                                   "change_activation",
                                   "change_learning_rate",
                                   "change_initialization",
                                   "change_layer_count",
                                   "change_optimizer",
                                   "change_training_loop"};

const char* const kLocations[] = {"forward", "weights", "gradients", "metric", "setup"};

template <typename Enum, std::size_t N>
std::optional<Enum> lookup(const char* const (&names)[N], const QString& name)
{
    for (std::size_t i = 0; i < N; ++i)
        if (name == QLatin1String(names[i]))
            return Enum(i);
    return std::nullopt;
}

} // namespace

QString symptomName(Symptom symptom)
{
    return QLatin1String(kSymptoms[int(symptom)].name);
}

std::optional<Symptom> symptomFromName(const QString& name)
{
    for (const auto& s : kSymptoms)
        if (name == QLatin1String(s.name))
            return s.symptom;
    return std::nullopt;
}

QString describeSymptom(Symptom symptom)
{
    return QLatin1String(kSymptoms[int(symptom)].description);
}

QVector<Symptom> allSymptoms()
{
    QVector<Symptom> all;
    for (int i = 0; i < kSymptomCount; ++i)
        all.append(kSymptoms[i].symptom);
    return all;
}

QVector<Symptom> jobSymptoms()
{
    QVector<Symptom> job;
    for (int i = kSymptomCount; i < kSymptomCount + kJobSymptomCount; ++i)
        job.append(kSymptoms[i].symptom);
    return job;
}

QString fixClassName(FixClass fix)
{
    return QLatin1String(kFixClasses[int(fix)]);
}

std::optional<FixClass> fixClassFromName(const QString& name)
{
    return lookup<FixClass>(kFixClasses, name);
}

QVector<FixClass> allFixClasses()
{
    QVector<FixClass> all;
    for (int i = 1; i <= int(FixClass::ChangeTrainingLoop); ++i)
        all.append(FixClass(i));
    return all;
}

QString locationName(Location location)
{
    return QLatin1String(kLocations[int(location)]);
}

std::optional<Location> locationFromName(const QString& name)
{
    return lookup<Location>(kLocations, name);
}

QString severityName(Severity severity)
{
    return severity == Severity::Fault ? QStringLiteral("fault") : QStringLiteral("warning");
}

QString Finding::key() const
{
    return symptomName(symptom) + QLatin1Char('@') + QString::number(layer) + QLatin1Char('/') + locationName(location);
}

QJsonObject Finding::toJson() const
{
    QJsonObject object;
    object.insert(QStringLiteral("symptom"), symptomName(symptom));
    if (layer >= 0)
        object.insert(QStringLiteral("layer"), QJsonObject {{QStringLiteral("id"), layer},
                                                             {QStringLiteral("index"), layerIndex},
                                                             {QStringLiteral("path"), layerPath},
                                                             {QStringLiteral("type"), layerType}});
    else
        object.insert(QStringLiteral("layer"), QJsonValue::Null);
    object.insert(QStringLiteral("rank"), rank >= 0 ? QJsonValue(rank) : QJsonValue(QJsonValue::Null));
    object.insert(QStringLiteral("location"), locationName(location));
    object.insert(QStringLiteral("epoch"), epoch + 1);
    object.insert(QStringLiteral("batch"), batch);
    object.insert(QStringLiteral("at_epoch_end"), atEpochEnd);
    object.insert(QStringLiteral("when"), when());
    object.insert(QStringLiteral("step"), step);
    if (seconds >= 0)
        object.insert(QStringLiteral("seconds"), seconds);
    object.insert(QStringLiteral("severity"), severityName(severity));
    object.insert(QStringLiteral("summary"), summary);
    QJsonObject numbers;
    for (const auto& e : evidence)
        numbers.insert(e.name, e.text.isEmpty() ? QJsonValue(std::isfinite(e.value) ? QJsonValue(e.value)
                                                                                     : QJsonValue(QString::number(e.value)))
                                                : QJsonValue(e.text));
    object.insert(QStringLiteral("evidence"), numbers);
    object.insert(QStringLiteral("fix"), QJsonObject {{QStringLiteral("class"), fixClassName(fixClass)},
                                                      {QStringLiteral("text"), fixText},
                                                      {QStringLiteral("checker"), checker}});
    if (!explainedBy.isEmpty())
        object.insert(QStringLiteral("explained_by"), explainedBy);
    if (afterChange.verdict != AfterChange::Verdict::None) {
        QJsonObject after {{QStringLiteral("verdict"), afterChangeVerdictName(afterChange.verdict)},
                           {QStringLiteral("change_step"), afterChange.step},
                           {QStringLiteral("was_fault"), afterChange.wasFault}};
        if (afterChange.seenAgain >= 0)
            after.insert(QStringLiteral("seen_again_step"), afterChange.seenAgain);
        object.insert(QStringLiteral("after_change"), after);
    }
    return object;
}

bool Finding::fromJson(const QJsonObject& o, Finding* f)
{
    const auto symptom = symptomFromName(o.value(QStringLiteral("symptom")).toString());
    if (!symptom)
        return false;
    f->symptom = *symptom;
    f->location = locationFromName(o.value(QStringLiteral("location")).toString()).value_or(Location::Forward);
    f->epoch = o.value(QStringLiteral("epoch")).toInt() - 1;
    f->batch = o.value(QStringLiteral("batch")).toInt();
    f->atEpochEnd = o.value(QStringLiteral("at_epoch_end")).toBool();
    f->step = o.value(QStringLiteral("step")).toInteger();
    f->seconds = o.value(QStringLiteral("seconds")).toDouble(-1);
    f->severity = o.value(QStringLiteral("severity")).toString() == QLatin1String("warning") ? Severity::Warning
                                                                                           : Severity::Fault;
    f->summary = o.value(QStringLiteral("summary")).toString();
    const QJsonObject fix = o.value(QStringLiteral("fix")).toObject();
    f->fixClass = fixClassFromName(fix.value(QStringLiteral("class")).toString()).value_or(FixClass::None);
    f->fixText = fix.value(QStringLiteral("text")).toString();
    f->checker = fix.value(QStringLiteral("checker")).toString();
    f->explainedBy = o.value(QStringLiteral("explained_by")).toString();
    f->rank = o.value(QStringLiteral("rank")).toInt(-1);
    const QJsonObject after = o.value(QStringLiteral("after_change")).toObject();
    for (auto verdict : {AfterChange::Verdict::Watching, AfterChange::Verdict::Cleared, AfterChange::Verdict::StillPresent})
        if (after.value(QStringLiteral("verdict")).toString() == afterChangeVerdictName(verdict)) {
            f->afterChange.verdict = verdict;
            f->afterChange.step = after.value(QStringLiteral("change_step")).toInteger();
            f->afterChange.seenAgain = after.value(QStringLiteral("seen_again_step")).toInteger(-1);
            f->afterChange.wasFault = after.value(QStringLiteral("was_fault")).toBool();
        }
    const QJsonObject layer = o.value(QStringLiteral("layer")).toObject();
    f->layer = layer.value(QStringLiteral("id")).toInt(layer.isEmpty() ? -1 : layer.value(QStringLiteral("index")).toInt(-1));
    f->layerPath = layer.value(QStringLiteral("path")).toString();
    f->layerType = layer.value(QStringLiteral("type")).toString();
    f->layerIndex = layer.value(QStringLiteral("index")).toInt(-1);
    const QJsonObject numbers = o.value(QStringLiteral("evidence")).toObject();
    for (auto it = numbers.begin(); it != numbers.end(); ++it) {
        if (it.value().isDouble())
            f->evidence.append({it.key(), it.value().toDouble(), {}});
        else
            f->evidence.append({it.key(), it.value().toString().toDouble(), it.value().toString()});
    }
    return true;
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
    const QString after = afterChangeText();
    return QStringLiteral("%1%2 at %3, %4: %5 -> %6%7")
        .arg(isFault() ? QString() : QStringLiteral("warning: "), symptomName(symptom), layerLabel(), when(), summary,
             fixClassName(fixClass), after.isEmpty() ? QString() : QStringLiteral(" [%1]").arg(after));
}

QString afterChangeVerdictName(AfterChange::Verdict verdict)
{
    switch (verdict) {
    case AfterChange::Verdict::None: return QStringLiteral("none");
    case AfterChange::Verdict::Watching: return QStringLiteral("watching");
    case AfterChange::Verdict::Cleared: return QStringLiteral("cleared");
    case AfterChange::Verdict::StillPresent: return QStringLiteral("still_present");
    }
    return QString();
}

QString Finding::afterChangeText() const
{
    switch (afterChange.verdict) {
    case AfterChange::Verdict::None: return QString();
    case AfterChange::Verdict::Watching: return QStringLiteral("watched since the change at step %1").arg(afterChange.step);
    case AfterChange::Verdict::Cleared: return QStringLiteral("cleared after the change at step %1").arg(afterChange.step);
    case AfterChange::Verdict::StillPresent:
        return QStringLiteral("still present after the change at step %1 (seen again at step %2)")
            .arg(afterChange.step)
            .arg(afterChange.seenAgain);
    }
    return QString();
}

QString positionText(int epoch, int batchesDone, bool epochEnd)
{
    if (epochEnd)
        return QStringLiteral("end of epoch %1").arg(epoch + 1);
    if (epoch == 0 && batchesDone <= 0)
        return QStringLiteral("before the first step");
    return QStringLiteral("epoch %1, batch %2").arg(epoch + 1).arg(batchesDone);
}

QString Finding::when() const
{
    return positionText(epoch, batch, atEpochEnd);
}

QString Finding::causeLabel(const QVector<Finding>& all) const
{
    for (const auto& other : all)
        if (other.key() == explainedBy)
            return symptomName(other.symptom) + QStringLiteral(" at ") + other.layerLabel();
    return explainedBy;
}

double Finding::value(const QString& evidenceName, double fallback) const
{
    for (const auto& e : evidence)
        if (e.name == evidenceName)
            return e.value;
    return fallback;
}

QString Finding::text(const QString& evidenceName) const
{
    for (const auto& e : evidence)
        if (e.name == evidenceName)
            return e.text;
    return {};
}

} // namespace traindx
