// numerical_error, invalid_loss, invalid_accuracy, zero_signal: values that are not
// numbers, and signals that are exactly zero.
#include "detector.h"

#include <QSet>

#include <cmath>

namespace traindx {

namespace {

class NumericalDetector : public Detector {
public:
    void observe(const Observation& o, QVector<Finding>& findings) override
    {
        if (o.snapshot)
            examineSnapshot(o, findings);
        examinePoints(o, findings);
    }

private:
    void examineSnapshot(const Observation& o, QVector<Finding>& findings)
    {
        const Snapshot& s = *o.snapshot;
        const QVector<int>& order = o.facts.order();
        // Forward: the first layer whose output is not finite is where the values broke.
        if (!m_forward) {
            for (int layer : order) {
                const LayerSample* sample = s.layer(layer);
                if (!sample || sample->stats(TensorKind::Activation).nonFinite() == 0)
                    continue;
                const TensorStats& a = sample->stats(TensorKind::Activation);
                Finding f = findingAt(o, symptom::NumericalError, layer, location::Forward);
                f.summary = QStringLiteral("output of %1 has %2 NaN and %3 infinite values out of %4")
                                .arg(o.run.model.layers[layer].displayName()).arg(a.nan).arg(a.inf).arg(a.count);
                f.evidence = {{QStringLiteral("nan"), double(a.nan)}, {QStringLiteral("inf"), double(a.inf)},
                              {QStringLiteral("count"), double(a.count)}};
                findings.append(f);
                m_forward = true;
                break;
            }
        }
        if (!m_weights) {
            for (int layer : order) {
                const LayerSample* sample = s.layer(layer);
                if (!sample)
                    continue;
                const TensorStats& w = sample->stats(TensorKind::Weight);
                const TensorStats& b = sample->stats(TensorKind::Bias);
                const qint64 bad = w.nonFinite() + b.nonFinite();
                if (bad == 0)
                    continue;
                Finding f = findingAt(o, symptom::NumericalError, layer, location::Weights);
                f.summary = QStringLiteral("parameters of %1 hold %2 NaN or infinite values")
                                .arg(o.run.model.layers[layer].displayName()).arg(bad);
                f.evidence = {{QStringLiteral("nan"), double(w.nan + b.nan)}, {QStringLiteral("inf"), double(w.inf + b.inf)},
                              {QStringLiteral("count"), double(w.count + b.count)}};
                findings.append(f);
                m_weights = true;
                break;
            }
        }
        if (!m_gradients && !m_forward && !m_weights) {
            // Backward runs from the output: the last layer with broken gradients is the origin.
            for (int i = order.size() - 1; i >= 0; --i) {
                const LayerSample* sample = s.layer(order[i]);
                if (!sample)
                    continue;
                const TensorStats& g = sample->stats(TensorKind::WeightGrad);
                if (g.nonFinite() == 0)
                    continue;
                Finding f = findingAt(o, symptom::NumericalError, order[i], location::Gradients);
                f.summary = QStringLiteral("gradient of %1 has %2 NaN and %3 infinite values")
                                .arg(o.run.model.layers[order[i]].displayName()).arg(g.nan).arg(g.inf);
                f.evidence = {{QStringLiteral("nan"), double(g.nan)}, {QStringLiteral("inf"), double(g.inf)},
                              {QStringLiteral("count"), double(g.count)}};
                findings.append(f);
                m_gradients = true;
                break;
            }
        }
    }

    void examinePoints(const Observation& o, QVector<Finding>& findings)
    {
        const auto& points = o.run.points;
        for (int i = std::max(0, int(points.size()) - o.newPoints); i < points.size(); ++i) {
            const BatchPoint& p = points[i];
            if (!m_loss && !std::isfinite(p.loss)) {
                Finding f = findingAt(o, symptom::InvalidLoss, -1, location::Metric);
                f.epoch = p.epoch;
                f.batch = p.batch + 1;
                f.step = p.step;
                f.summary = QStringLiteral("the loss became %1 at step %2").arg(p.loss).arg(p.step);
                f.evidence = {{QStringLiteral("loss"), p.loss}, {QStringLiteral("step"), double(p.step)}};
                if (i > 0)
                    f.evidence.append({QStringLiteral("previous_loss"), points[i - 1].loss});
                findings.append(f);
                m_loss = true;
            }
            if (!m_accuracy && p.hasAccuracy && !(p.accuracy >= 0 && p.accuracy <= 1)) {
                Finding f = findingAt(o, symptom::InvalidAccuracy, -1, location::Metric);
                f.epoch = p.epoch;
                f.batch = p.batch + 1;
                f.step = p.step;
                f.summary = QStringLiteral("the accuracy is %1, outside [0, 1]").arg(p.accuracy);
                f.evidence = {{QStringLiteral("accuracy"), p.accuracy}};
                findings.append(f);
                m_accuracy = true;
            }
        }
    }

    bool m_forward = false, m_weights = false, m_gradients = false, m_loss = false, m_accuracy = false;
};

// A tensor that is exactly zero everywhere carries no signal: a gradient under a softmax
// over one unit, a layer whose weights were initialised to zero and never moved.
class ZeroSignalDetector : public Detector {
public:
    void observe(const Observation& o, QVector<Finding>& findings) override
    {
        if (!o.snapshot)
            return;
        const Snapshot& s = *o.snapshot;
        examineGradients(o, s, findings);
        examineWeights(o, s, findings);
        if (s.epochEnd || s.initial)
            examineOutputs(o, s, findings);
    }

private:
    static bool allZero(const TensorStats& stats) { return stats.present && stats.count > 0 && stats.zeros == stats.count; }

    void examineGradients(const Observation& o, const Snapshot& s, QVector<Finding>& findings)
    {
        if (m_reported.contains(QStringLiteral("g")) || s.initial)
            return;
        // A loss of zero has zero gradients legitimately: nothing left to learn.
        const auto& points = o.run.points;
        if (points.isEmpty() || !(std::abs(points.last().loss) > 1e-7))
            return;
        // Zero where backward enters the network, the layer closest to the output, is the
        // origin; layers before it are starved by it.
        const QVector<int>& layers = o.facts.parametric();
        for (int i = layers.size() - 1; i >= 0; --i) {
            const LayerSample* sample = s.layer(layers[i]);
            if (!sample || !allZero(sample->stats(TensorKind::WeightGrad)) || starvedFromOutside(o, layers[i]))
                continue;
            int starved = 0;
            for (int j = 0; j < i; ++j)
                if (const LayerSample* before = s.layer(layers[j]); before && allZero(before->stats(TensorKind::WeightGrad)))
                    ++starved;
            const Layer& layer = o.run.model.layers[layers[i]];
            Finding f = findingAt(o, symptom::ZeroSignal, layers[i], location::Gradients);
            const TensorStats& g = sample->stats(TensorKind::WeightGrad);
            f.summary = QStringLiteral("every one of the %1 weight gradients of %2 is exactly 0 while the loss is %3")
                            .arg(g.count).arg(layer.displayName()).arg(points.last().loss);
            f.evidence = {{QStringLiteral("zero_gradients"), double(g.zeros)},
                          {QStringLiteral("gradient_count"), double(g.count)},
                          {QStringLiteral("loss"), points.last().loss},
                          {QStringLiteral("earlier_layers_with_zero_gradient"), double(starved)}};
            findings.append(f);
            m_reported.insert(QStringLiteral("g"));
            return;
        }
    }

    // A layer whose input is all zero, or behind a ReLU layer whose every unit is dead,
    // gets no gradient because of another layer: that layer's own symptom is the finding.
    static bool starvedFromOutside(const Observation& o, int layer)
    {
        const QVector<int>& order = o.facts.order();
        const int at = order.indexOf(layer);
        if (at > 0) {
            const SnapshotPtr input = o.run.latestWith(order[at - 1], TensorKind::Activation);
            if (input && allZero(input->layer(order[at - 1])->stats(TensorKind::Activation)))
                return true;
        }
        for (int i = at + 1; i < order.size(); ++i) {
            if (activationOf(o.run.model.layers[order[i]].type) != Activation::Relu)
                continue;
            const SnapshotPtr output = o.run.latestWith(order[i], TensorKind::Activation);
            if (output && output->layer(order[i])->deadFraction >= 1.0f)
                return true; // a dead ReLU layer on the way back stops every gradient
        }
        return false;
    }

    void examineWeights(const Observation& o, const Snapshot& s, QVector<Finding>& findings)
    {
        for (int layer : o.facts.parametric()) {
            const LayerSample* sample = s.layer(layer);
            const QString key = QStringLiteral("w%1").arg(layer);
            if (!sample || !sample->stats(TensorKind::Weight).present || m_reported.contains(key))
                continue;
            int& run = m_zeroWeights[layer];
            run = allZero(sample->stats(TensorKind::Weight)) ? run + 1 : 0;
            if (run < 2)
                continue;
            Finding f = findingAt(o, symptom::ZeroSignal, layer, location::Weights);
            f.summary = QStringLiteral("all %1 weights of %2 are exactly 0")
                            .arg(sample->stats(TensorKind::Weight).count)
                            .arg(o.run.model.layers[layer].displayName());
            f.evidence = {{QStringLiteral("zero_weights"), double(sample->stats(TensorKind::Weight).zeros)}};
            findings.append(f);
            m_reported.insert(key);
        }
    }

    void examineOutputs(const Observation& o, const Snapshot& s, QVector<Finding>& findings)
    {
        if (!o.run.data.present || allZero(o.run.data.inputs))
            return;
        for (int layer : o.facts.order()) {
            const Layer& l = o.run.model.layers[layer];
            const Activation kind = activationOf(l.type);
            // All-zero ReLU outputs are dead units (their own detector); pass-through layers repeat their input.
            if (kind == Activation::Relu || isPassThrough(l.type))
                continue;
            const LayerSample* sample = s.layer(layer);
            const QString key = QStringLiteral("a%1").arg(layer);
            if (!sample || !sample->stats(TensorKind::Activation).present || m_reported.contains(key))
                continue;
            int& run = m_zeroOutputs[layer];
            run = allZero(sample->stats(TensorKind::Activation)) ? run + 1 : 0;
            if (run < int(o.thresholds[QStringLiteral("sustain_epochs")]))
                continue;
            Finding f = findingAt(o, symptom::ZeroSignal, layer, location::Forward);
            f.summary = QStringLiteral("every output of %1 is exactly 0 on the probe batch").arg(l.displayName());
            f.evidence = {{QStringLiteral("zero_outputs"), double(sample->stats(TensorKind::Activation).zeros)}};
            findings.append(f);
            m_reported.insert(key);
            return; // later layers only repeat it
        }
    }

    QSet<QString> m_reported;
    QHash<int, int> m_zeroWeights;
    QHash<int, int> m_zeroOutputs;
};

} // namespace

std::unique_ptr<Detector> makeNumericalDetector()
{
    return std::make_unique<NumericalDetector>();
}

std::unique_ptr<Detector> makeZeroSignalDetector()
{
    return std::make_unique<ZeroSignalDetector>();
}

} // namespace traindx
