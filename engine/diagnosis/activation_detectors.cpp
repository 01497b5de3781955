// saturated_activation, dead_relu, out_of_range: what the activations on the probe batch
// and the shape of the output say.
#include "detector.h"

#include <QSet>

#include <cmath>
#include <limits>

namespace traindx {

namespace {

// Counts consecutive epoch-level snapshots (the initial one included) where a layer shows
// the symptom; a symptom must last before it is believed.
class Persistence {
public:
    int update(int layer, bool present)
    {
        int& count = m_runs[layer];
        count = present ? count + 1 : 0;
        return count;
    }

private:
    QHash<int, int> m_runs;
};

class SaturationDetector : public Detector {
public:
    void observe(const Observation& o, QVector<Finding>& findings) override
    {
        if (!o.snapshot || !(o.snapshot->epochEnd || o.snapshot->initial))
            return;
        const double threshold = o.thresholds[QStringLiteral("saturation_fraction")];
        const int sustain = int(o.thresholds[QStringLiteral("sustain_epochs")]);
        for (int layer : o.facts.order()) {
            const Layer& l = o.run.model.layers[layer];
            const Activation kind = activationOf(l.type);
            if (kind != Activation::Sigmoid && kind != Activation::Tanh)
                continue;
            const LayerSample* sample = o.snapshot->layer(layer);
            if (!sample || !sample->stats(TensorKind::Activation).present || m_reported.contains(layer))
                continue;
            const bool saturated = sample->saturatedFraction > threshold && sample->stats(TensorKind::Activation).nonFinite() == 0;
            if (m_persistence.update(layer, saturated) < sustain)
                continue;
            // A trained classifier's output sigmoid is confident by design: saturation there
            // is a symptom only while the model has not learned.
            if (layer == o.facts.outputLayer() && hasConverged(o))
                continue;
            Finding f = findingAt(o, symptom::SaturatedActivation, layer, location::Forward);
            f.summary = QStringLiteral("%1 of the outputs of %2 sit where its gradient is nearly 0 (input beyond ±5)")
                            .arg(QStringLiteral("%1 %").arg(100.0 * sample->saturatedFraction, 0, 'f', 1))
                            .arg(l.displayName());
            f.evidence = {{QStringLiteral("saturated_fraction"), sample->saturatedFraction},
                          {QStringLiteral("threshold"), threshold},
                          {QStringLiteral("epochs_saturated"), double(sustain)}};
            findings.append(f);
            m_reported.insert(layer);
        }
    }

private:
    Persistence m_persistence;
    QSet<int> m_reported;
};

// Dead units are counted per unit (feature or channel): a unit is dead when it is never
// positive for any row of the probe batch. The share of zero *elements* says nothing: a
// healthy ReLU layer is sparse.
class DeadReluDetector : public Detector {
public:
    void observe(const Observation& o, QVector<Finding>& findings) override
    {
        if (!o.snapshot || !(o.snapshot->epochEnd || o.snapshot->initial))
            return;
        const double threshold = o.thresholds[QStringLiteral("dead_unit_fraction")];
        const int sustain = int(o.thresholds[QStringLiteral("sustain_epochs")]);
        for (int layer : o.facts.order()) {
            const Layer& l = o.run.model.layers[layer];
            if (activationOf(l.type) != Activation::Relu || m_reported.contains(layer))
                continue;
            const LayerSample* sample = o.snapshot->layer(layer);
            if (!sample || !sample->stats(TensorKind::Activation).present)
                continue;
            // NaN is never positive: a broken layer looks dead, but numerical_error is what it is.
            const bool dead = sample->deadFraction >= threshold && sample->stats(TensorKind::Activation).nonFinite() == 0;
            if (m_persistence.update(layer, dead) < sustain)
                continue;
            const TensorStats& a = sample->stats(TensorKind::Activation);
            const int units = sample->unitActive.size();
            Finding f = findingAt(o, symptom::DeadRelu, layer, location::Forward);
            f.faulty = sample->deadFraction >= 0.999 || !hasConverged(o);
            f.summary = units > 0 ? QStringLiteral("%1 of the %2 units of %3 never fire on the probe batch")
                                        .arg(qRound(sample->deadFraction * units))
                                        .arg(units)
                                        .arg(l.displayName())
                                  : QStringLiteral("%1 % of the units of %2 never fire")
                                        .arg(100.0 * sample->deadFraction, 0, 'f', 1)
                                        .arg(l.displayName());
            f.evidence = {{QStringLiteral("dead_unit_fraction"), sample->deadFraction},
                          {QStringLiteral("units"), double(units)},
                          {QStringLiteral("zero_output_fraction"), a.count > 0 ? double(a.zeros) / double(a.count) : 0},
                          {QStringLiteral("threshold"), threshold}};
            findings.append(f);
            m_reported.insert(layer);
        }
    }

private:
    Persistence m_persistence;
    QSet<int> m_reported;
};

// Whether the output can produce what the loss needs: a softmax over one unit is always
// 1; probabilities for BCE; logits (not probabilities) for losses that apply their own
// softmax or sigmoid; a range that covers the regression targets.
class OutOfRangeDetector : public Detector {
public:
    void observe(const Observation& o, QVector<Finding>& findings) override
    {
        if (!o.snapshot || o.run.model.layers.size() < 2)
            return;
        examineOneUnitSoftmax(o, findings);
        // Without a known forward order the output activation is unknown, not absent.
        if (!m_outputChecked && o.run.data.present && o.facts.knowsForwardOrder() && o.facts.outputLayer() >= 0) {
            m_outputChecked = true;
            examineOutput(o, findings);
        }
    }

private:
    void examineOneUnitSoftmax(const Observation& o, QVector<Finding>& findings)
    {
        for (int layer : o.facts.order()) {
            const Layer& l = o.run.model.layers[layer];
            const Activation kind = activationOf(l.type);
            if ((kind != Activation::Softmax && kind != Activation::LogSoftmax) || m_reported.contains(layer))
                continue;
            int dim = ModelFacts::softmaxDim(l);
            const auto& shape = l.outputShape;
            if (dim < 0)
                dim += shape.size();
            if (shape.isEmpty() || dim < 0 || dim >= shape.size() || shape[dim] != 1)
                continue;
            Finding f = findingAt(o, symptom::OutOfRange, layer, location::Forward);
            f.summary = QStringLiteral("%1 normalises over a dimension of size 1: its output is always %2 and its "
                                       "gradient exactly 0")
                            .arg(l.displayName(), kind == Activation::Softmax ? QStringLiteral("1") : QStringLiteral("0"));
            f.evidence = {{QStringLiteral("softmax_dim"), double(dim)}, {QStringLiteral("units"), 1},
                          {QStringLiteral("output_shape"), 0, shapeText(shape)}};
            if (const LayerSample* sample = o.snapshot->layer(layer); sample && sample->stats(TensorKind::Activation).present) {
                f.evidence.append({QStringLiteral("output_min"), sample->stats(TensorKind::Activation).min});
                f.evidence.append({QStringLiteral("output_max"), sample->stats(TensorKind::Activation).max});
            }
            findings.append(f);
            m_reported.insert(layer);
        }
    }

    void examineOutput(const Observation& o, QVector<Finding>& findings)
    {
        const int output = o.facts.outputLayer();
        if (m_reported.contains(output))
            return;
        const Layer& l = o.run.model.layers[output];
        const Activation kind = o.facts.outputActivation();
        const QString& loss = o.run.model.loss;
        const TensorStats& y = o.run.data.targets;
        QString problem;
        QVector<Evidence> evidence {{QStringLiteral("loss"), 0, loss}, {QStringLiteral("output_activation"), 0, activationName(kind)}};

        if (loss == QLatin1String("bce")) {
            if (kind != Activation::Sigmoid && kind != Activation::Softmax)
                problem = QStringLiteral("BCELoss needs probabilities in [0, 1], but %1 is not a Sigmoid and can leave that range")
                              .arg(l.displayName());
            else if (y.min < 0 || y.max > 1)
                problem = QStringLiteral("BCELoss needs targets in [0, 1], but they span [%1, %2]").arg(y.min).arg(y.max);
        } else if (loss == QLatin1String("bce_with_logits") || loss == QLatin1String("cross_entropy")) {
            const QString lossName = loss == QLatin1String("cross_entropy") ? QStringLiteral("CrossEntropyLoss")
                                                                             : QStringLiteral("BCEWithLogitsLoss");
            if (kind == Activation::Softmax || kind == Activation::Sigmoid || kind == Activation::LogSoftmax)
                problem = QStringLiteral("%1 applies its own %2, but the model already ends in %3: the loss sees squashed "
                                         "values and its gradients shrink")
                              .arg(lossName, loss == QLatin1String("cross_entropy") ? QStringLiteral("log-softmax")
                                                                                    : QStringLiteral("sigmoid"),
                                   l.displayName());
            else if (kind == Activation::Relu)
                problem = QStringLiteral("%1 expects logits of any sign, but %2 cuts every negative logit to 0")
                              .arg(lossName, l.displayName());
        } else if (loss == QLatin1String("nll")) {
            if (kind != Activation::LogSoftmax)
                problem = QStringLiteral("NLLLoss expects log-probabilities, but the model ends in %1, not LogSoftmax")
                              .arg(l.displayName());
        } else if (loss == QLatin1String("mse") || loss == QLatin1String("l1") || loss == QLatin1String("smooth_l1")) {
            double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
            switch (kind) {
            case Activation::Sigmoid:
            case Activation::Softmax: lo = 0; hi = 1; break;
            case Activation::Tanh: lo = -1; hi = 1; break;
            case Activation::Relu: lo = 0; break;
            case Activation::LogSoftmax: hi = 0; break;
            default: break;
            }
            const double slack = 1e-6 * std::max(1.0, std::max(std::abs(y.min), std::abs(y.max)));
            if (y.present && (y.min < lo - slack || y.max > hi + slack))
                problem = QStringLiteral("the targets span [%1, %2], but %3 can only output [%4, %5]")
                              .arg(y.min).arg(y.max).arg(l.displayName()).arg(lo).arg(hi);
            evidence.append({QStringLiteral("target_min"), y.min});
            evidence.append({QStringLiteral("target_max"), y.max});
        }
        if (problem.isEmpty())
            return;
        Finding f = findingAt(o, symptom::OutOfRange, output, location::Forward);
        f.summary = problem;
        f.evidence = evidence;
        findings.append(f);
        m_reported.insert(output);
    }

    QSet<int> m_reported;
    bool m_outputChecked = false;
};

} // namespace

std::unique_ptr<Detector> makeSaturationDetector()
{
    return std::make_unique<SaturationDetector>();
}

std::unique_ptr<Detector> makeDeadReluDetector()
{
    return std::make_unique<DeadReluDetector>();
}

std::unique_ptr<Detector> makeOutOfRangeDetector()
{
    return std::make_unique<OutOfRangeDetector>();
}

} // namespace traindx
