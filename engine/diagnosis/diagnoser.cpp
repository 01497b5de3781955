#include "diagnoser.h"

#include "fix_advisor.h"

namespace traindx {

namespace {

// Symptoms that are consequences when a structural cause is already known.
bool isConsequence(const QString& s)
{
    return s == symptom::LossNotDecreasing || s == symptom::AccuracyNotIncreasing || s == symptom::UnchangedWeights
        || s == symptom::OscillatingLoss || s == symptom::InvalidLoss || s == symptom::InvalidAccuracy;
}

bool isCause(const QString& s)
{
    return s == symptom::NumericalError || s == symptom::OutOfRange || s == symptom::ZeroSignal
        || s == symptom::DeadRelu || s == symptom::SaturatedActivation || s == symptom::VanishingGradient
        || s == symptom::ExplodingGradient;
}

} // namespace

Diagnoser::Diagnoser(Thresholds thresholds)
    : m_thresholds(std::move(thresholds))
    , m_detectors(makeDetectors())
{
}

int Diagnoser::priority(const QString& s)
{
    static const QStringList order {symptom::NumericalError,      symptom::OutOfRange,         symptom::ZeroSignal,
                                    symptom::ExplodingGradient,   symptom::VanishingGradient,  symptom::DeadRelu,
                                    symptom::SaturatedActivation, symptom::InvalidLoss,        symptom::UnchangedWeights,
                                    symptom::OscillatingLoss,     symptom::LossNotDecreasing,  symptom::AccuracyNotIncreasing,
                                    symptom::InvalidAccuracy};
    const int at = order.indexOf(s);
    return at < 0 ? order.size() : at;
}

void Diagnoser::settle(QVector<Finding>& findings)
{
    for (auto& finding : findings)
        if (finding.explainedBy.isEmpty())
            explain(finding, findings);
    std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
        if (a.faulty != b.faulty)
            return a.faulty;
        if (a.explainedBy.isEmpty() != b.explainedBy.isEmpty())
            return a.explainedBy.isEmpty();
        if (priority(a.symptom) != priority(b.symptom))
            return priority(a.symptom) < priority(b.symptom);
        return a.step < b.step;
    });
}

void Diagnoser::explain(Finding& finding, const QVector<Finding>& known)
{
    if (!isConsequence(finding.symptom))
        return;
    const Finding* cause = nullptr;
    for (const auto& candidate : known)
        if (isCause(candidate.symptom) && candidate.faulty
            && (!cause || priority(candidate.symptom) < priority(cause->symptom)))
            cause = &candidate;
    if (!cause)
        return;
    finding.explainedBy = cause->key();
    finding.fixClass = cause->fixClass;
    finding.fixText = cause->fixText;
    finding.checker = QStringLiteral("follows from %1 at %2").arg(cause->symptom, cause->layerPath.isEmpty() ? QStringLiteral("the model") : cause->layerType + QLatin1Char(' ') + cause->layerPath);
}

QVector<Finding> Diagnoser::observe(const RunState& run, const SnapshotPtr& snapshot, int newPoints)
{
    m_facts = ModelFacts(run.model, run.data); // cheap, and the model may have been re-sent with shapes
    const Observation observation {run, m_facts, m_thresholds, snapshot, newPoints};
    QVector<Finding> found;
    for (auto& detector : m_detectors)
        detector->observe(observation, found);
    if (found.isEmpty())
        return found;

    const Checkers checkers(run, m_facts, m_thresholds);
    const FixAdvisor advisor(run, m_facts, checkers);
    for (auto& finding : found)
        advisor.advise(finding);
    return found;
}

} // namespace traindx
