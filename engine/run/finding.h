// A diagnosis finding: the symptom, where it is, when it was first seen, the numbers that
// show it, and the recommended fix. Symptoms, fix classes, locations and severities are
// enums; their names appear only where a finding leaves the program (CLI, JSON, run file).
#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <optional>

namespace traindx {

enum class Symptom {
    NumericalError,
    InvalidLoss,
    InvalidAccuracy,
    ZeroSignal,
    UnchangedWeights,
    SaturatedActivation,
    DeadRelu,
    OutOfRange,
    LossNotDecreasing,
    AccuracyNotIncreasing,
    VanishingGradient,
    ExplodingGradient,
    OscillatingLoss,
    InvalidLearningRate,
    NotInOptimizer,
    NoGradient,
    GradientAccumulation,
    EvalMode,
    SymmetricWeights,
    ExcessiveDropout,
    InvalidTargets,
    PoorInitialization,
    UnscaledData,
    // Of a multi-rank job, found by comparing its ranks rather than by a rule on one stream.
    RanksOutOfSync,
    FirstNonFiniteRank,
    StragglerRank,
    RankLost,
};
constexpr int kSymptomCount = int(Symptom::UnscaledData) + 1; // those a rule watches one stream for
constexpr int kJobSymptomCount = int(Symptom::RankLost) + 1 - kSymptomCount;

enum class FixClass {
    None,
    ImproperData,
    ChangeLoss,
    ChangeActivation,
    ChangeLearningRate,
    ChangeInitialization,
    ChangeLayerCount,
    ChangeOptimizer,
    ChangeTrainingLoop,
};

enum class Location {
    Forward,   // a layer's output on the probe batch
    Weights,
    Gradients,
    Metric,    // the loss or the accuracy
    Setup,     // how the program set training up: optimizer, module options, the loop
};

enum class Severity { Fault, Warning };

// A layer's state in every view: the worst finding on it.
enum class Health { Healthy, Warning, Faulty };

// Names at the edges: "numerical_error", "change_activation", "forward", "fault".
QString symptomName(Symptom symptom);
std::optional<Symptom> symptomFromName(const QString& name);
QString describeSymptom(Symptom symptom); // "dead ReLU units"
QVector<Symptom> allSymptoms(); // those a rule watches one stream for
QVector<Symptom> jobSymptoms(); // those found across the ranks of a job
inline bool isJobSymptom(Symptom symptom) { return int(symptom) >= kSymptomCount; }
QString fixClassName(FixClass fix);
std::optional<FixClass> fixClassFromName(const QString& name);
QVector<FixClass> allFixClasses(); // without None
QString locationName(Location location);
std::optional<Location> locationFromName(const QString& name);
QString severityName(Severity severity);

struct Evidence {
    Evidence() = default;
    Evidence(QString name, double value, QString text = {}) : name(std::move(name)), value(value), text(std::move(text)) { }
    QString name;
    double value = 0;
    QString text; // when the evidence is not a number
};

// Where in training something was seen, said the same way in every view: "before the first
// step", "epoch 3, batch 42" (both counted from 1: the 42nd batch was done) or "end of
// epoch 3". `epoch` counts from 0, `batchesDone` the batches completed in it.
QString positionText(int epoch, int batchesDone, bool epochEnd);

// What became of a finding after a change to the live training: the diagnosis watches for
// its symptom from the change on.
struct AfterChange {
    enum class Verdict { None, Watching, Cleared, StillPresent };
    Verdict verdict = Verdict::None;
    qint64 step = 0;        // steps done when the change was made
    qint64 seenAgain = -1;  // StillPresent: steps done when the symptom was seen again
    bool wasFault = false;  // a Cleared finding is shown as a warning; this restores it
};
QString afterChangeVerdictName(AfterChange::Verdict verdict); // "cleared", "still_present", …

struct Finding {
    Symptom symptom = Symptom::NumericalError;
    int layer = -1; // layer id; -1 when the finding is about the whole model (metrics)
    QString layerPath;
    QString layerType;
    int layerIndex = -1; // position in forward order
    int rank = -1;       // the rank of a multi-rank job it is about; -1: one process, or the whole job
    Location location = Location::Forward;
    int epoch = 0; // first seen, counted from 0
    int batch = 0; // batches completed in that epoch when first seen
    bool atEpochEnd = false; // first seen in the statistics of an epoch's end
    qint64 step = 0;
    double seconds = -1; // from the start of the session to the finding, when known
    Severity severity = Severity::Fault;
    QString summary;     // one line: what is wrong, with the key number
    QVector<Evidence> evidence;
    FixClass fixClass = FixClass::None;
    QString fixText;
    QString checker;      // which checker chose the fix, and the fact that decided
    QString explainedBy;  // key() of another finding this one follows from
    AfterChange afterChange;

    bool isFault() const { return severity == Severity::Fault; }
    // A fault that follows from no other finding: what the user should fix first.
    bool isCause() const { return isFault() && explainedBy.isEmpty(); }
    Health health() const { return isCause() ? Health::Faulty : Health::Warning; }

    // The shape of traindx-cli's JSON: symptom, layer {index, path, type}, location,
    // epoch and batch (counted from 1), evidence, fix {class, text}, and the rest.
    QJsonObject toJson() const;
    // The inverse of toJson(), for findings read back from a run file; false if the
    // object names an unknown symptom.
    static bool fromJson(const QJsonObject& object, Finding* finding);
    // One line for a terminal: symptom, layer, when, fix.
    QString oneLine() const;
    // "cleared after the change at step 120", "still present after the change at step 120
    // (seen again at step 180)", "watched since the change at step 120"; empty without one.
    QString afterChangeText() const;
    // "epoch 2, batch 17", "end of epoch 2", "before the first step" (positionText()).
    QString when() const;
    // The steps done when it was seen, as the status bar counts them: a batch sample's
    // `step` is the index of the step just done, an epoch end's the count.
    qint64 stepsDone() const { return atEpochEnd || (epoch == 0 && batch == 0) ? step : step + 1; }
    QString layerLabel() const; // "layer 7 Softmax (7)" or "the model"

    // "out_of_range at layer 7 Softmax": the finding `explainedBy` names, found in `all`.
    QString causeLabel(const QVector<Finding>& all) const;

    QString key() const;
    double value(const QString& evidenceName, double fallback = 0) const;
    QString text(const QString& evidenceName) const;
};

} // namespace traindx
