#include "diagnoser.h"

namespace traindx {

namespace {

bool counts(Cadence cadence, const Observation& o)
{
    switch (cadence) {
    case Cadence::Any: return bool(o.snapshot);
    case Cadence::EpochLevel: return o.epochLevel();
    case Cadence::BatchSample: return o.batchSample();
    }
    return false;
}

QString onceKey(Once once, const Finding& f)
{
    switch (once) {
    case Once::PerLayer: return f.key();
    case Once::PerLocation: return symptomName(f.symptom) + QLatin1Char('/') + locationName(f.location);
    case Once::PerSymptom: return symptomName(f.symptom);
    }
    return f.key();
}

bool explains(const Finding& cause, const Finding& effect)
{
    const RuleSpec* spec = ruleFor(cause.symptom);
    if (!spec || &cause == &effect || cause.key() == effect.key())
        return false;
    return spec->explains ? spec->explains(cause, effect) : explainsByRole(spec->role, cause, effect);
}

} // namespace

Diagnoser::Diagnoser(Thresholds thresholds)
    : m_thresholds(std::move(thresholds))
{
    for (const RuleSpec* spec : rules())
        if (!spec->afterOthers)
            m_rules.push_back({spec, spec->make()});
    for (const RuleSpec* spec : rules())
        if (spec->afterOthers)
            m_rules.push_back({spec, spec->make()});
}

Diagnoser::~Diagnoser() = default;
Diagnoser::Diagnoser(Diagnoser&&) noexcept = default;
Diagnoser& Diagnoser::operator=(Diagnoser&&) noexcept = default;

int Diagnoser::priority(Symptom symptom)
{
    const RuleSpec* spec = ruleFor(symptom);
    return spec ? spec->priority : 1000;
}

bool Diagnoser::believe(const Observation& o, const Active& active, const QVector<Candidate>& candidates,
                        QVector<Finding>& found)
{
    bool added = false;
    QSet<QString> present;
    for (const Candidate& candidate : candidates) {
        const QString key = candidate.finding.key() + QLatin1Char('#') + QString::number(int(candidate.cadence));
        present.insert(key);
        Streak& streak = m_streaks[key];
        streak.cadence = candidate.cadence;
        streak.symptom = active.spec->symptom;
        if (++streak.count < candidate.sustain)
            continue;
        const QString once = onceKey(active.spec->once, candidate.finding);
        if (m_reported.contains(once))
            continue;
        m_reported.insert(once);
        found.append(candidate.finding);
        added = true;
    }
    // A streak this observation could have continued but did not is broken.
    for (auto it = m_streaks.begin(); it != m_streaks.end(); ++it)
        if (it->symptom == active.spec->symptom && !present.contains(it.key()) && counts(it->cadence, o))
            it->count = 0;
    return added;
}

QVector<Finding> Diagnoser::observe(const RunState& run, const SnapshotPtr& snapshot, int newPoints)
{
    m_facts = ModelFacts(run.model, run.data); // cheap, and the model may have been re-sent with shapes
    QVector<Finding> found;
    const Observation observation {run, m_facts, m_thresholds, snapshot, newPoints, &found};
    for (auto& active : m_rules) {
        QVector<Candidate> candidates;
        active.rule->detect(observation, candidates);
        believe(observation, active, candidates, found);
    }
    if (found.isEmpty())
        return found;

    const Checkers checkers(run, m_facts, m_thresholds);
    const Advisor advisor(run, m_facts, checkers);
    for (auto& finding : found)
        for (const auto& active : m_rules)
            if (active.spec->symptom == finding.symptom)
                active.rule->advise(finding, advisor);
    return found;
}

bool Diagnoser::review(RunState& run, const SnapshotPtr& snapshot)
{
    if (!snapshot || !snapshot->epochEnd)
        return false;
    const Observation observation {run, m_facts, m_thresholds, snapshot, 0, nullptr};
    bool changed = false;
    // Until nothing changes: a finding may clear only once what it was named for has.
    for (bool again = true; again;) {
        again = false;
        for (Finding& finding : run.findings) {
            if (!finding.isFault())
                continue;
            for (const auto& active : m_rules)
                if (active.spec->symptom == finding.symptom && active.rule->recovered(observation, finding)) {
                    finding.severity = Severity::Warning;
                    changed = again = true;
                }
        }
    }
    if (changed)
        settle(run.findings);
    return changed;
}

void Diagnoser::settle(QVector<Finding>& findings)
{
    auto rank = [](const Finding& a, const Finding& b) {
        if (a.isFault() != b.isFault())
            return a.isFault();
        if (a.explainedBy.isEmpty() != b.explainedBy.isEmpty())
            return a.explainedBy.isEmpty();
        if (priority(a.symptom) != priority(b.symptom))
            return priority(a.symptom) < priority(b.symptom);
        return a.step < b.step;
    };
    std::stable_sort(findings.begin(), findings.end(), rank);
    // In rank order: a finding can follow only from a fault that follows from nothing.
    for (int i = 0; i < findings.size(); ++i) {
        Finding& effect = findings[i];
        if (!effect.explainedBy.isEmpty())
            continue;
        for (int j = 0; j < findings.size(); ++j) {
            const Finding& cause = findings[j];
            if (j == i || !cause.isFault() || !cause.explainedBy.isEmpty() || !explains(cause, effect))
                continue;
            if (priority(cause.symptom) > priority(effect.symptom) && roleOf(cause.symptom) == roleOf(effect.symptom))
                continue;
            effect.explainedBy = cause.key();
            effect.fixClass = cause.fixClass;
            effect.fixText = cause.fixText;
            effect.checker = QStringLiteral("follows from %1 at %2")
                                 .arg(symptomName(cause.symptom),
                                      cause.layerPath.isEmpty() ? QStringLiteral("the model")
                                                                : cause.layerType + QLatin1Char(' ') + cause.layerPath);
            break;
        }
    }
    std::stable_sort(findings.begin(), findings.end(), rank);
}

} // namespace traindx
