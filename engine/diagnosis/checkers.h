// The three root-cause checkers of the decision tree: is the data normalised, is the
// initialisation sound, is the learning rate in range (and which way it is off).
#pragma once

#include "model_facts.h"
#include "thresholds.h"

namespace traindx {

struct CheckResult {
    bool fired = false;
    QString reason;           // the numbers behind the verdict, said plainly
    QVector<Evidence> evidence;
};

enum class LearningRateVerdict { Unknown, InRange, TooLow, TooHigh };

struct LearningRateResult : CheckResult {
    LearningRateVerdict verdict = LearningRateVerdict::Unknown;
    double ratio = -1; // median measured update ratio
    bool beforeStall = false; // measured before every gradient vanished, not now
};

class Checkers {
public:
    Checkers(const RunState& run, const ModelFacts& facts, const Thresholds& thresholds);

    // Inputs not normalised, non-finite, or constant.
    CheckResult data() const;
    // Regression targets far from unit scale (class indices are not checked).
    CheckResult targets() const;
    // A Dropout layer whose rate leaves too little of the signal for the model to fit.
    CheckResult dropout() const;
    // Initial weight variance far from the fan-in rule for the layer's activation, or
    // biases initialised far from zero. `layer` < 0 checks every layer.
    CheckResult initialization(int layer = -1) const;
    // From the measured update ratio ||dW|| / ||W|| per step. `layer` < 0: the median
    // over the layers whose gradients are not exactly zero.
    LearningRateResult learningRate(int layer = -1) const;
    // Weights that grew several times their initial size while training: steps too large
    // for the landscape, whatever the ratio of a single step says.
    CheckResult weightGrowth(int layer) const;

private:
    double measuredUpdateRatio(int layer) const;
    // When the layer's latest samples have no gradient at all: the update ratio measured on
    // the samples just before that, and the step where the gradient vanished; -1 otherwise.
    double ratioBeforeStall(int layer, qint64* stalledAt) const;
    // Steps far too large before every gradient vanished: the stall is their consequence.
    LearningRateResult beforeStall(int only, double high) const;
    LearningRateResult fromEpochs(int layer, double low, double high) const;
    const RunState& m_run;
    const ModelFacts& m_facts;
    const Thresholds& m_thresholds;
};

} // namespace traindx
