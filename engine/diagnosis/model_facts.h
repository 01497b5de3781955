// What the diagnosis needs to know about a model beyond its layer table: which activation
// follows a layer, the output layer, fan-in, the number of classes, the chance-level loss.
#pragma once

#include "run_state.h"

namespace traindx {

enum class ActivationKind { None, Relu, LeakyRelu, Sigmoid, Tanh, Softmax, LogSoftmax, Elu, Smooth, Other };

ActivationKind activationOf(const QString& type);
QString activationName(ActivationKind activation);
// Layers that neither compute nor squash: looking through them finds the real neighbour.
bool isPassThrough(const QString& type);

// What the loss tensor's autograd graph shows between the last parameterised layer and the
// loss: the loss function the program computes and the activation applied before it, be it
// a module or a function such as torch::sigmoid inside forward().
struct LossGraphFacts {
    bool known = false;        // the graph reached a loss function through operations TrainDx knows
    LossKind loss = LossKind::Unspecified;
    ActivationKind activation = ActivationKind::None;
    QString activationFunction; // "torch::sigmoid"
    bool declared = false;      // no graph: the activation is the one the program declared (ProbeOptions::output)

    static LossGraphFacts read(const QStringList& nodes);
};

class ModelFacts {
public:
    ModelFacts() = default;
    ModelFacts(const Model& model, const DataDescription& data);

    const Model& model() const { return m_model; }
    const QVector<int>& order() const { return m_order; }    // leaves, forward order
    const QVector<int>& parametric() const { return m_parametric; } // layers with weights, forward order
    bool knowsForwardOrder() const { return m_forwardKnown; }

    // The activation applied to a parametric layer's output (None when another
    // parametric layer comes first or nothing follows).
    ActivationKind activationAfter(int layer) const;
    int activationLayerAfter(int layer) const;
    // The last layer in forward order that is not a pass-through layer.
    int outputLayer() const;
    // The output layer's activation module or, when there is none, the function the loss
    // graph shows applied to its output.
    ActivationKind outputActivation() const;
    bool outputActivationIsFunction() const;
    // "layer 7 (Softmax)", or "torch::sigmoid on layer 3 (Linear) fc3" for a function.
    QString outputDescription() const;
    const LossGraphFacts& lossGraph() const { return m_graph; }
    // The parametric layer whose output the output activation squashes.
    int outputParametric() const;
    int previousParametric(int layer) const;
    int nextLayer(int layer) const;

    // A Softmax or LogSoftmax that normalises over a dimension of size 1.
    bool isOneUnitSoftmax(int layer) const;
    // The loss the program declared or, when it declared none, the one its targets and
    // output imply: class indices for several outputs mean a cross-entropy (NLL after a
    // LogSoftmax), float targets in [0, 1] under a Sigmoid mean BCE, other float targets
    // a regression loss.
    LossKind loss() const { return m_loss; }
    bool lossInferred() const { return m_lossInferred; }
    // The loss was read from the autograd graph (not declared, not guessed).
    bool lossObserved() const { return m_lossObserved; }
    // Class-index targets: integral, or whole numbers for a classification loss.
    bool classTargets() const;
    // Dropout probability of a Dropout layer from its options, -1 otherwise.
    static double dropoutRate(const Layer& layer);

    // Every parameter of the layer has requires_grad false: frozen by choice.
    bool frozen(int layer) const;

    qint64 fanIn(int layer) const;
    // Output width: units of the last layer, or -1.
    int outputUnits() const;
    // Softmax dimension from its options, -1 if unknown.
    static int softmaxDim(const Layer& layer);
    // The loss of a model that predicts without learning (ln C for cross-entropy, ln 2 for
    // BCE, the target variance for MSE); < 0 when unknown.
    double chanceLoss() const;
    // Accuracy of guessing: 1/C, or 0.5 for one output; < 0 when unknown.
    double chanceAccuracy() const;

private:
    ActivationKind moduleOutputActivation() const;

    Model m_model;
    DataDescription m_data;
    QVector<int> m_order;
    QVector<int> m_parametric;
    bool m_forwardKnown = false;
    LossKind m_loss = LossKind::Unspecified;
    bool m_lossInferred = false;
    bool m_lossObserved = false;
    LossGraphFacts m_graph;
};

} // namespace traindx
