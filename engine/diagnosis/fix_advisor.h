// The decision tree from (symptom, location, layer) to a fix class, with the checkers
// tried in DeepDiagnosis' order, written as concrete LibTorch advice naming the layer.
#pragma once

#include "checkers.h"

namespace traindx {

class FixAdvisor {
public:
    FixAdvisor(const RunState& run, const ModelFacts& facts, const Checkers& checkers);

    // Sets fixClass, fixText and checker of `finding`.
    void advise(Finding& finding) const;
    // "layer 7, Softmax(dim=1)", or the module path when the forward order is unknown.
    QString layerName(int layer) const;

private:
    void adviseOutOfRange(Finding& finding) const;
    void adviseZeroSignal(Finding& finding) const;
    bool byData(Finding& finding) const;
    bool byInitialization(Finding& finding, int layer = -1) const;
    // Unknown: either way off; otherwise only that verdict.
    bool byLearningRate(Finding& finding, LearningRateVerdict wanted = LearningRateVerdict::Unknown, int layer = -1) const;
    bool byWeightGrowth(Finding& finding, int layer) const;
    // Whether some other layer's weights move at a sound rate.
    bool updatedElsewhere(int layer) const;
    void set(Finding& finding, const QString& fixClass, const QString& text, const QString& checker) const;

    const RunState& m_run;
    const ModelFacts& m_facts;
    const Checkers& m_checkers;
};

} // namespace traindx
