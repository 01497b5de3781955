// A rule watches the statistics stream for one symptom and, when it is seen, says how to
// fix it. Each rule lives in one file under rules/ and registers itself:
//
//   const RegisterRule registered {{Symptom::DeadRelu, Role::Cause, 15, Once::PerLayer,
//       "ReLU units that never fire", {"dead_unit_fraction", "sustain_epochs"},
//       [] { return std::make_unique<DeadReluRule>(); }}};
//
// The diagnoser owns what all rules share: a symptom is reported once, it must persist as
// long as the rule asks before it is believed, and findings are ranked causes first.
#pragma once

#include "advisor.h"

#include <functional>
#include <memory>
#include <vector>

namespace traindx {

struct Observation {
    const RunState& run;
    const ModelFacts& facts;
    const Thresholds& thresholds;
    SnapshotPtr snapshot; // the snapshot with layer statistics that just arrived, if any
    int newPoints = 0;    // batch points just appended at the end of run.points
    const QVector<Finding>* fresh = nullptr; // found earlier in this observation
    // Steps done when the last change to the live training was made (0: none). The rules
    // judge what followed it: the history before it shows what the change answered.
    qint64 since = 0;

    // The initial snapshot or an epoch end: the probe batch's activations are in it.
    bool epochLevel() const { return snapshot && (snapshot->epochEnd || snapshot->initial); }
    // A snapshot sampled during an epoch, with per-step update ratios.
    bool batchSample() const { return snapshot && !snapshot->epochEnd && !snapshot->initial; }
    // Whether a finding of `symptom` (on `layer`, or anywhere with -2; at `location`, or
    // anywhere) is already known.
    // anywhere) is already known. Findings from before the last change do not count.
    bool known(Symptom symptom, int layer = -2, std::optional<Location> location = std::nullopt) const;
    // Whether a finding speaks for training as it is now: seen after the last change, or
    // seen again since.
    bool current(const Finding& finding) const;
    // Index in run.points of the first step made after the last change.
    int firstPoint() const;
    // Epoch ends after the last change.
    int epochEndsSince() const;
};

// Which observations a candidate's persistence is counted over: it must be present in
// `sustain` consecutive observations of that kind.
enum class Cadence { Any, EpochLevel, BatchSample };

struct Candidate {
    Finding finding;
    int sustain = 1;
    Cadence cadence = Cadence::Any;
};

// Setup: how the program set training up (optimizer, data, loss, module options, the
// loop). Cause: what a layer shows. Consequence: what the metrics show.
enum class Role { Setup, Cause, Consequence };

// What "report once" means for the rule.
enum class Once { PerLayer, PerLocation, PerSymptom };

class Rule {
public:
    virtual ~Rule() = default;
    // Adds the candidates present in this observation.
    virtual void detect(const Observation& observation, QVector<Candidate>& candidates) = 0;
    // Sets the fix of a finding of this rule.
    virtual void advise(Finding& finding, const Advisor& advisor) const = 0;
    // At each epoch end, for a fault of this rule reported earlier: whether training has
    // since left the state it described. If so, the rule says how in the finding (which
    // then becomes a warning) and returns true.
    virtual bool recovered(const Observation&, Finding&) const { return false; }
};

struct RuleSpec {
    Symptom symptom;
    Role role;
    int priority; // lower is more important
    Once once;
    const char* description;
    QStringList thresholds; // the names in the thresholds table the rule reads
    std::function<std::unique_ptr<Rule>()> make;
    // Whether `effect` follows from `cause`, a finding of this rule. Unset: a setup
    // finding explains every finding that is not about the setup, a cause explains the
    // consequences.
    std::function<bool(const Finding& cause, const Finding& effect)> explains = {};
    // Runs after the other rules of each observation, and sees what they found in it.
    bool afterOthers = false;
};

// The default of RuleSpec::explains for a rule of `role`.
bool explainsByRole(Role role, const Finding& cause, const Finding& effect);

// Every registered rule, most important first.
std::vector<const RuleSpec*> rules();
const RuleSpec* ruleFor(Symptom symptom);
Role roleOf(Symptom symptom);

struct RegisterRule {
    explicit RegisterRule(RuleSpec spec);
};

// A finding of `symptom` at `layer` (or the model, -1), positioned at the observation.
Finding findingAt(const Observation& observation, Symptom symptom, int layer, Location location);

// Per-element root mean square of a tensor's values: its L2 norm over sqrt(count).
double rms(const TensorStats& stats);

// Epoch-level training loss and accuracy, from the probe's epoch metrics, since the last
// change to the live training.
QVector<double> epochSeries(const Observation& observation, const QString& metric);

// Whether training has learned: accuracy at the converged level, or (without an
// accuracy) loss far below chance. A low loss with an accuracy at chance has not learned.
bool hasConverged(const Observation& observation);
// The median of this batch sample's step update ratios over the parametric layers that
// `skip` leaves (a ratio that is not finite counts as 1e30, more than all), and how many
// layers it covers: none when the snapshot is not a batch sample.
struct MedianStep {
    double ratio = 0;
    int layers = 0;
};
MedianStep medianStepRatio(const Observation& observation, const std::function<bool(int layer)>& skip = {});

// For a finding made during training: whether the epoch loss has since fallen under half of
// the mean batch loss around the finding's step — training left the state it described.
bool lossHalvedSince(const Observation& observation, const Finding& finding);

// The first finite batch loss is ten times what a model that knows nothing scores (for a
// regression, one that predicts 0): the outputs start at the wrong scale.
bool firstLossFarAboveChance(const Observation& observation);

} // namespace traindx
