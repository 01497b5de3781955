// Every loss TrainDx knows (cross-entropy, NLL on log-probabilities, BCE, MSE, L1) is
// non-negative. A loss that stays below zero means its input or its targets are outside
// its domain.
#pragma once

#include "rule.h"

#include <cmath>

namespace traindx {

// The mean of the last batch losses when it is below zero, else 0.
inline double negativeLoss(const Observation& o, int atLeast = 5)
{
    const auto& points = o.run.points;
    double sum = 0;
    int count = 0;
    for (int i = points.size() - 1; i >= 0 && count < 20; --i)
        if (std::isfinite(points[i].loss)) {
            sum += points[i].loss;
            ++count;
        }
    const double mean = count > 0 ? sum / count : 0;
    return count >= atLeast && mean < -1e-6 ? mean : 0;
}

// A negative loss on class targets with several raw outputs: NLLLoss fed scores instead of
// log-probabilities.
inline bool nllOnScores(const Observation& o)
{
    const ActivationKind last = o.facts.outputActivation();
    return o.facts.classTargets() && o.facts.outputUnits() > 1 && last != ActivationKind::LogSoftmax && last != ActivationKind::Sigmoid;
}

} // namespace traindx
