#include "diagnoser.h"

#include "cross_rank.h"

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
    // A job served reduced: the rank where non-finite values appeared first poisoned the
    // job's averages, and with them every symptom seen from then on.
    if (isJobSymptom(effect.symptom))
        return false; // what one rank did to the others follows from nothing one stream shows
    if (cause.symptom == Symptom::FirstNonFiniteRank)
        return effect.step >= cause.step;
    const RuleSpec* spec = ruleFor(cause.symptom);
    if (!spec || &cause == &effect || cause.key() == effect.key())
        return false;
    return spec->explains ? spec->explains(cause, effect) : explainsByRole(spec->role, cause, effect);
}

} // namespace

Diagnoser::Diagnoser(Thresholds thresholds)
    : m_thresholds(std::move(thresholds))
{
    makeRules();
}

void Diagnoser::makeRules()
{
    m_rules.clear();
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
    if (!spec && isJobSymptom(symptom))
        return -1; // across the ranks: what one rank did comes before what every rank then shows
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
        // Statistics of steps made before the last change can arrive after it: they show
        // what the change answered, not what followed it.
        const bool beforeChange = m_since > 0 && candidate.finding.stepsDone() <= m_since;
        if (m_watched.contains(once)) {
            if (!beforeChange) {
                m_reported.insert(once);
                m_seenAgain.insert(once, {candidate.finding.stepsDone(), candidate.finding.isFault()}); // the finding is there already
            }
            continue;
        }
        (beforeChange ? m_watched : m_reported).insert(once);
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
    rearm(run);
    QVector<Finding> found;
    const Observation observation {run, m_facts, m_thresholds, snapshot, newPoints, &found, m_since};
    for (auto& active : m_rules) {
        QVector<Candidate> candidates;
        active.rule->detect(observation, candidates);
        believe(observation, active, candidates, found);
    }
    // A job served reduced: how its ranks differ comes with rank 0's snapshots.
    if (snapshot && snapshot->job.present)
        for (const Finding& f : diagnoseReducedJob(run))
            if (!m_reported.contains(f.key())) {
                m_reported.insert(f.key());
                found.append(f);
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

void Diagnoser::rearm(const RunState& run)
{
    int applied = 0;
    qint64 step = 0;
    for (const ChangeRecord& change : run.changes)
        if (change.applied) {
            ++applied;
            step = change.step;
        }
    if (applied == m_changesSeen)
        return;
    m_changesSeen = applied;
    if (step <= 0)
        return; // made before training: nothing was judged yet
    m_since = step;
    m_epochEndsSince = 0;
    makeRules();
    m_streaks.clear();
    m_watched.unite(m_reported);
    m_reported.clear();
    m_seenAgain.clear();
}

bool Diagnoser::judgeChange(RunState& run, const SnapshotPtr& snapshot)
{
    if (m_since <= 0)
        return false;
    bool changed = false;
    if (snapshot && snapshot->epochEnd && snapshot->step > m_since)
        ++m_epochEndsSince;
    // Two epoch ends give the rules that need a symptom to persist a chance to see it again.
    const bool longEnough = m_epochEndsSince >= 2;
    for (Finding& f : run.findings) {
        const RuleSpec* spec = ruleFor(f.symptom);
        const QString once = spec ? onceKey(spec->once, f) : QString();
        if (!spec || !m_watched.contains(once))
            continue;
        AfterChange& after = f.afterChange;
        if (after.step != m_since) {
            const bool wasFault = after.verdict == AfterChange::Verdict::Cleared ? after.wasFault : f.isFault();
            after = {AfterChange::Verdict::Watching, m_since, -1, wasFault};
            changed = true;
        }
        if (const auto again = m_seenAgain.constFind(once); again != m_seenAgain.constEnd()) {
            if (after.verdict != AfterChange::Verdict::StillPresent) {
                after.verdict = AfterChange::Verdict::StillPresent;
                after.seenAgain = again->step;
                f.severity = after.wasFault && again->fault ? Severity::Fault : Severity::Warning;
                changed = true;
            }
        } else if (after.verdict == AfterChange::Verdict::Watching && longEnough) {
            after.verdict = AfterChange::Verdict::Cleared;
            f.severity = Severity::Warning;
            changed = true;
        }
    }
    return changed;
}

bool Diagnoser::review(RunState& run, const SnapshotPtr& snapshot)
{
    bool changed = judgeChange(run, snapshot);
    if (!snapshot || !snapshot->epochEnd) {
        if (changed)
            settle(run.findings);
        return changed;
    }
    const Observation observation {run, m_facts, m_thresholds, snapshot, 0, nullptr, m_since};
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
