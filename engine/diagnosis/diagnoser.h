// Runs every registered rule on each piece of the statistics stream. Owns what the rules
// share: a symptom must persist as long as its rule asks, it is reported once, each
// finding gets its fix, consequences are linked to their causes, and all are ranked. The
// same code diagnoses live runs, recorded runs and the command line.
#pragma once

#include "rule.h"

#include <QHash>
#include <QSet>

namespace traindx {

class Diagnoser {
public:
    explicit Diagnoser(Thresholds thresholds = Thresholds());
    ~Diagnoser();
    Diagnoser(Diagnoser&&) noexcept;
    Diagnoser& operator=(Diagnoser&&) noexcept;

    // Looks at what just arrived in `run` and returns the findings seen for the first time.
    QVector<Finding> observe(const RunState& run, const SnapshotPtr& snapshot, int newPoints);
    // After a change to the live training, marks each finding reported before it still
    // present when its symptom is seen again, and cleared when two epochs have ended after the
    // change without it (shown as a warning). At an epoch end, also lets each rule say
    // whether a fault it reported is over (a plateau the loss left, say); such findings
    // become warnings. Returns whether any finding changed.
    bool review(RunState& run, const SnapshotPtr& snapshot);

    const Thresholds& thresholds() const { return m_thresholds; }

    // Links findings to the causes they follow from, then ranks: faults before warnings,
    // causes before what follows from them, then by the rule's priority, then by time.
    static void settle(QVector<Finding>& findings);
    static int priority(Symptom symptom);

private:
    struct Active {
        const RuleSpec* spec;
        std::unique_ptr<Rule> rule;
    };
    struct Streak {
        int count = 0;
        Cadence cadence = Cadence::Any;
        Symptom symptom = Symptom::NumericalError;
    };
    bool believe(const Observation& observation, const Active& active, const QVector<Candidate>& candidates,
                 QVector<Finding>& found);
    void makeRules();
    // A change applied since the last observation: every rule starts again from it.
    void rearm(const RunState& run);
    bool judgeChange(RunState& run, const SnapshotPtr& snapshot);

    Thresholds m_thresholds;
    std::vector<Active> m_rules;
    QHash<QString, Streak> m_streaks; // candidate key -> consecutive observations it was present
    QSet<QString> m_reported;
    ModelFacts m_facts;
    int m_changesSeen = 0;          // applied changes the rules were re-armed for
    qint64 m_since = 0;             // steps done at the last of them
    int m_epochEndsSince = 0;
    QSet<QString> m_watched;        // reported before it: judged, never reported again
    struct SeenAgain {
        qint64 step = 0;
        bool fault = false; // or only as a warning
    };
    QHash<QString, SeenAgain> m_seenAgain; // of those, seen since the change
};

} // namespace traindx
