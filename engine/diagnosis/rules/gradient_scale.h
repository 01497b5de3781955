// The RMS gradient of the first and the last layer with weights, per element so that
// layers of different sizes compare (AUTOTRAINER's gradient-norm ratio).
#pragma once

#include "rule.h"

namespace traindx {

struct GradientScale {
    int first = -1, last = -1;
    double rmsFirst = 0, rmsLast = 0;
    double ratio() const { return rmsFirst / rmsLast; }
};

// Empty (first < 0) when either gradient is missing, not finite, or the last one is 0.
inline GradientScale gradientScale(const Observation& o)
{
    GradientScale scale;
    if (!o.snapshot || o.snapshot->initial)
        return scale;
    const QVector<int>& layers = o.facts.parametric();
    if (layers.size() < 2)
        return scale;
    const LayerSample* first = o.snapshot->layer(layers.first());
    const LayerSample* last = o.snapshot->layer(layers.last());
    if (!first || !last || !first->stats(TensorKind::WeightGrad).present || !last->stats(TensorKind::WeightGrad).present)
        return scale;
    const TensorStats& gFirst = first->stats(TensorKind::WeightGrad);
    const TensorStats& gLast = last->stats(TensorKind::WeightGrad);
    if (gFirst.nonFinite() + gLast.nonFinite() > 0 || !(rms(gLast) > 0))
        return scale; // numerical_error or zero_signal says it better
    scale.first = layers.first();
    scale.last = layers.last();
    scale.rmsFirst = rms(gFirst);
    scale.rmsLast = rms(gLast);
    return scale;
}

} // namespace traindx
