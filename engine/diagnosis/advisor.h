// What a rule needs to write its advice: the checkers of the decision tree, tried in the
// order the rule chooses, each setting the fix when it fires and saying which fact
// decided; the layer's name as the user wrote it.
#pragma once

#include "checkers.h"

namespace traindx {

class Advisor {
public:
    Advisor(const RunState& run, const ModelFacts& facts, const Checkers& checkers);

    const RunState& run() const { return m_run; }
    const ModelFacts& facts() const { return m_facts; }
    const Checkers& checkers() const { return m_checkers; }

    // "layer 7, Softmax(dim=1)", or the module path when the forward order is unknown.
    QString layerName(int layer) const;
    // The activation as the program wrote it: a module, or a function applied in forward()
    // ("torch::relu on the output of fc1").
    QString activationName(int layer) const;
    // What to write instead, in the form the program uses: the module when the activation is
    // a module, the function when it is a function.
    QString inProgramsForm(int layer, const QString& module, const QString& function) const;
    // " (now 0.01)" when the learning rate is known.
    QString currentLearningRate() const;

    void set(Finding& finding, FixClass fixClass, const QString& text, const QString& checker) const;

    // Each sets the fix and returns true when its checker fires.
    bool byData(Finding& finding) const;
    bool byTargets(Finding& finding) const;
    bool byInitialization(Finding& finding, int layer = -1) const;
    // Unknown: either way off; otherwise only that verdict.
    bool byLearningRate(Finding& finding, LearningRateVerdict wanted = LearningRateVerdict::Unknown, int layer = -1) const;
    bool byWeightGrowth(Finding& finding, int layer) const;
    bool byDropout(Finding& finding) const;
    // Whether some other layer's weights move at a sound rate.
    bool updatedElsewhere(int layer) const;

private:
    const RunState& m_run;
    const ModelFacts& m_facts;
    const Checkers& m_checkers;
};

} // namespace traindx
