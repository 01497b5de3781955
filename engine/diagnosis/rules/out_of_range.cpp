// out_of_range: the output cannot produce what the loss needs. A softmax over one unit is
// always 1; BCE needs probabilities; losses that apply their own softmax or sigmoid need
// logits; a regression output must cover the targets. The loss is the one the program
// declared, or the one its targets and output imply.
#include "negative_loss.h"

#include <cmath>
#include <limits>

namespace traindx {

namespace {

class OutOfRangeRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!o.snapshot || o.run.model.layers.size() < 2)
            return;
        examineOneUnitSoftmax(o, candidates);
        // Without a known forward order or a loss graph the output activation is unknown,
        // not absent.
        const bool outputKnown = o.facts.knowsForwardOrder() || o.facts.lossGraph().known || o.facts.lossGraph().declared;
        if (candidates.isEmpty() && o.facts.outputLayer() >= 0 && outputKnown
            && (o.run.data.present || o.facts.lossObserved())) {
            examineOutput(o, candidates);
            if (candidates.isEmpty())
                examineNegativeLoss(o, candidates);
        }
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        const Layer* l = a.run().model.layer(f.layer);
        const bool atOutput = f.layer == a.facts().outputLayer();
        const bool function = atOutput && a.facts().outputActivationIsFunction();
        const QString layer = function ? a.facts().outputDescription() : a.layerName(f.layer);
        const LossKind loss = a.facts().loss();
        const ActivationKind kind = function ? a.facts().outputActivation() : l ? activationOf(l->type) : ActivationKind::None;
        const TensorStats& y = a.run().data.targets;
        const QString tree = QStringLiteral("decision tree: output out of range at the last layer → change the activation");
        if (f.value(QStringLiteral("units")) == 1 && (kind == ActivationKind::Softmax || kind == ActivationKind::LogSoftmax)) {
            a.set(f, FixClass::ChangeActivation,
                  QStringLiteral("%1 over 1 unit: its output is always %2 and its gradient exactly 0 — use "
                                 "torch::nn::Sigmoid with BCELoss, or 2 output units with CrossEntropyLoss.")
                      .arg(layer, kind == ActivationKind::Softmax ? QStringLiteral("1") : QStringLiteral("0")),
                  tree);
            return;
        }
        if (f.value(QStringLiteral("mean_loss")) < 0) {
            a.set(f, FixClass::ChangeActivation,
                  QStringLiteral("End the model with torch::nn::LogSoftmax(1) after %1, or use CrossEntropyLoss on the raw "
                                 "outputs: NLLLoss takes log-probabilities, and on raw scores it rewards ever larger outputs.")
                      .arg(layer),
                  QStringLiteral("the loss went below zero on class targets: NLLLoss on raw scores"));
            return;
        }
        if ((loss == LossKind::BCE || loss == LossKind::BCEWithLogits) && y.present && (y.min < 0 || y.max > 1)) {
            a.set(f, FixClass::ChangeLoss,
                  QStringLiteral("The targets span [%1, %2], which %3 cannot take: use CrossEntropyLoss (one output per "
                                 "class, the class index as target) for class indices, MSELoss for values, or map the "
                                 "labels to 0 and 1.")
                      .arg(formatNumber(y.min), formatNumber(y.max),
                           loss == LossKind::BCE ? QStringLiteral("BCELoss") : QStringLiteral("BCEWithLogitsLoss")),
                  QStringLiteral("decision tree: targets out of the loss's range → change the loss"));
            return;
        }
        if (loss == LossKind::BCE) {
            a.set(f, FixClass::ChangeActivation,
                  QStringLiteral("End the model with torch::nn::Sigmoid after %1, or keep the logits and use "
                                 "torch::nn::BCEWithLogitsLoss.")
                      .arg(layer),
                  tree);
            return;
        }
        if (loss == LossKind::CrossEntropy || loss == LossKind::BCEWithLogits) {
            a.set(f, FixClass::ChangeActivation,
                  kind == ActivationKind::Relu
                      ? QStringLiteral("Remove %1: the loss needs raw logits, negative ones included.").arg(layer)
                      : QStringLiteral("Remove %1: %2 applies it itself; feed it the raw logits of the last "
                                       "layer.")
                            .arg(layer, loss == LossKind::CrossEntropy ? QStringLiteral("CrossEntropyLoss")
                                                                       : QStringLiteral("BCEWithLogitsLoss")),
                  tree);
            return;
        }
        if (loss == LossKind::NLL) {
            a.set(f, FixClass::ChangeActivation,
                  kind == ActivationKind::None
                      ? QStringLiteral("Apply torch::log_softmax(output, 1) to the output of %1 before nll_loss, or use "
                                       "cross_entropy on the raw logits: NLLLoss takes log-probabilities.")
                            .arg(layer)
                      : QStringLiteral("End the model with torch::nn::LogSoftmax(1) instead of %1: NLLLoss takes "
                                       "log-probabilities (or use CrossEntropyLoss on the raw logits).")
                            .arg(layer),
                  tree);
            return;
        }
        a.set(f, FixClass::ChangeActivation,
              QStringLiteral("Remove %1 so the model can reach the targets' range: regression needs a "
                             "linear output (end with the Linear layer).")
                  .arg(layer),
              tree);
    }

private:
    static void examineNegativeLoss(const Observation& o, QVector<Candidate>& candidates)
    {
        const double negative = negativeLoss(o);
        if (negative >= 0 || !nllOnScores(o))
            return;
        const int output = o.facts.outputLayer();
        Finding f = findingAt(o, Symptom::OutOfRange, output, Location::Forward);
        f.summary = QStringLiteral("the loss is %1, below zero: on class targets only NLLLoss fed raw scores instead of "
                                   "log-probabilities goes negative, and %2 is not a LogSoftmax")
                        .arg(formatNumber(negative), o.run.model.layers[output].displayName());
        f.evidence = {{QStringLiteral("mean_loss"), negative},
                      {QStringLiteral("output_activation"), 0, activationName(o.facts.outputActivation())}};
        candidates.append({f});
    }

    static void examineOneUnitSoftmax(const Observation& o, QVector<Candidate>& candidates)
    {
        const ActivationKind function = o.facts.outputActivation();
        if (o.facts.outputActivationIsFunction() && o.facts.outputUnits() == 1
            && (function == ActivationKind::Softmax || function == ActivationKind::LogSoftmax)) {
            Finding f = findingAt(o, Symptom::OutOfRange, o.facts.outputLayer(), Location::Forward);
            f.summary = QStringLiteral("%1 normalises one unit: its output is always %2 and its gradient exactly 0")
                            .arg(o.facts.outputDescription(),
                                 function == ActivationKind::Softmax ? QStringLiteral("1") : QStringLiteral("0"));
            f.evidence = {{QStringLiteral("units"), 1},
                          {QStringLiteral("output_activation"), 0, o.facts.lossGraph().activationFunction}};
            candidates.append({f});
            return;
        }
        for (int layer : o.facts.order()) {
            if (!o.facts.isOneUnitSoftmax(layer))
                continue;
            const Layer& l = o.run.model.layers[layer];
            const ActivationKind kind = activationOf(l.type);
            Finding f = findingAt(o, Symptom::OutOfRange, layer, Location::Forward);
            f.summary = QStringLiteral("%1 normalises over a dimension of size 1: its output is always %2 and its "
                                       "gradient exactly 0")
                            .arg(l.displayName(), kind == ActivationKind::Softmax ? QStringLiteral("1") : QStringLiteral("0"));
            f.evidence = {{QStringLiteral("softmax_dim"), double(ModelFacts::softmaxDim(l))}, {QStringLiteral("units"), 1},
                          {QStringLiteral("output_shape"), 0, shapeText(l.outputShape)}};
            if (const LayerSample* sample = o.snapshot->layer(layer); sample && sample->stats(TensorKind::Activation).present) {
                f.evidence.append({QStringLiteral("output_min"), sample->stats(TensorKind::Activation).min});
                f.evidence.append({QStringLiteral("output_max"), sample->stats(TensorKind::Activation).max});
            }
            candidates.append({f});
        }
    }

    static void examineOutput(const Observation& o, QVector<Candidate>& candidates)
    {
        const int output = o.facts.outputLayer();
        if (o.facts.isOneUnitSoftmax(output))
            return;
        const QString what = o.facts.outputDescription();
        const ActivationKind kind = o.facts.outputActivation();
        const LossKind loss = o.facts.loss();
        const TensorStats& y = o.run.data.targets;
        const QString lossText = lossKindName(loss)
            + (o.facts.lossInferred()       ? QStringLiteral(" (inferred)")
                   : o.facts.lossObserved() ? QStringLiteral(" (seen in the loss's autograd graph)")
                                            : QString());
        QString problem;
        QVector<Evidence> evidence {{QStringLiteral("loss"), 0, lossText},
                                    {QStringLiteral("output_activation"), 0, activationName(kind)}};
        switch (loss) {
        case LossKind::BCE:
            if (kind != ActivationKind::Sigmoid && kind != ActivationKind::Softmax)
                problem = QStringLiteral("BCELoss needs probabilities in [0, 1], but %1 is not a Sigmoid and can leave "
                                         "that range")
                              .arg(what);
            else if (y.present && (y.min < 0 || y.max > 1))
                problem = QStringLiteral("BCELoss needs targets in [0, 1], but they span [%1, %2]").arg(y.min).arg(y.max);
            break;
        case LossKind::BCEWithLogits:
            if (y.present && (y.min < 0 || y.max > 1)) {
                problem = QStringLiteral("BCEWithLogitsLoss needs targets in [0, 1], but they span [%1, %2]%3")
                              .arg(y.min)
                              .arg(y.max)
                              .arg(o.run.data.targetsIntegral && o.facts.outputUnits() > 1
                                       ? QStringLiteral(": class indices for %1 outputs").arg(o.facts.outputUnits())
                                       : QString());
                evidence.append({QStringLiteral("target_min"), y.min});
                evidence.append({QStringLiteral("target_max"), y.max});
                break;
            }
            [[fallthrough]];
        case LossKind::CrossEntropy: {
            const QString name = loss == LossKind::CrossEntropy ? QStringLiteral("CrossEntropyLoss")
                                                                : QStringLiteral("BCEWithLogitsLoss");
            const QString reason = o.facts.lossInferred()
                ? QStringLiteral("the targets are class indices for %1 outputs, so the loss is a cross-entropy on logits; ")
                      .arg(o.facts.outputUnits())
                : QString();
            if (kind == ActivationKind::Softmax || kind == ActivationKind::Sigmoid || kind == ActivationKind::LogSoftmax)
                problem = QStringLiteral("%1%2 applies its own %3, but the model already ends in %4: the loss sees "
                                         "squashed values and its gradients shrink")
                              .arg(reason, name,
                                   loss == LossKind::CrossEntropy ? QStringLiteral("log-softmax") : QStringLiteral("sigmoid"),
                                   what);
            else if (kind == ActivationKind::Relu)
                problem = QStringLiteral("%1%2 expects logits of any sign, but %3 cuts every negative logit to 0")
                              .arg(reason, name, what);
            // LogSoftmax before an inferred cross-entropy is NLL's form, and sound.
            if (o.facts.lossInferred() && kind == ActivationKind::LogSoftmax)
                problem.clear();
            break;
        }
        case LossKind::NLL:
            if (kind != ActivationKind::LogSoftmax)
                problem = QStringLiteral("NLLLoss expects log-probabilities, but the model ends in %1, not LogSoftmax")
                              .arg(what);
            break;
        case LossKind::MSE:
        case LossKind::L1:
        case LossKind::SmoothL1: {
            double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
            switch (kind) {
            case ActivationKind::Sigmoid:
            case ActivationKind::Softmax: lo = 0; hi = 1; break;
            case ActivationKind::Tanh: lo = -1; hi = 1; break;
            case ActivationKind::Relu: lo = 0; break;
            case ActivationKind::LogSoftmax: hi = 0; break;
            default: break;
            }
            const double slack = 1e-6 * std::max(1.0, std::max(std::abs(y.min), std::abs(y.max)));
            if (o.run.data.present && y.present && (y.min < lo - slack || y.max > hi + slack))
                problem = QStringLiteral("the targets span [%1, %2], but %3 can only output [%4, %5]")
                              .arg(y.min).arg(y.max).arg(what).arg(lo).arg(hi);
            evidence.append({QStringLiteral("target_min"), y.min});
            evidence.append({QStringLiteral("target_max"), y.max});
            break;
        }
        default:
            break;
        }
        if (problem.isEmpty())
            return;
        Finding f = findingAt(o, Symptom::OutOfRange, output, Location::Forward);
        f.summary = problem;
        f.evidence = evidence;
        candidates.append({f});
    }
};

const RegisterRule registered {{Symptom::OutOfRange, Role::Setup, 10, Once::PerLayer,
                                "the output layer cannot produce what the loss and the targets need", {},
                                [] { return std::make_unique<OutOfRangeRule>(); }}};

} // namespace

} // namespace traindx
