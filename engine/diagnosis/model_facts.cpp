#include "model_facts.h"

#include <QRegularExpression>

#include <cmath>

namespace traindx {

ActivationKind activationOf(const QString& type)
{
    static const QHash<QString, ActivationKind> kinds {
        {QStringLiteral("ReLU"), ActivationKind::Relu},        {QStringLiteral("ReLU6"), ActivationKind::Relu},
        {QStringLiteral("LeakyReLU"), ActivationKind::LeakyRelu}, {QStringLiteral("PReLU"), ActivationKind::LeakyRelu},
        {QStringLiteral("RReLU"), ActivationKind::LeakyRelu},  {QStringLiteral("Sigmoid"), ActivationKind::Sigmoid},
        {QStringLiteral("Tanh"), ActivationKind::Tanh},        {QStringLiteral("Hardtanh"), ActivationKind::Tanh},
        {QStringLiteral("Softmax"), ActivationKind::Softmax},  {QStringLiteral("Softmax2d"), ActivationKind::Softmax},
        {QStringLiteral("LogSoftmax"), ActivationKind::LogSoftmax}, {QStringLiteral("ELU"), ActivationKind::Elu},
        {QStringLiteral("SELU"), ActivationKind::Elu},         {QStringLiteral("CELU"), ActivationKind::Elu},
        {QStringLiteral("GELU"), ActivationKind::Smooth},      {QStringLiteral("SiLU"), ActivationKind::Smooth},
        {QStringLiteral("Mish"), ActivationKind::Smooth},      {QStringLiteral("Softplus"), ActivationKind::Smooth},
        {QStringLiteral("LogSigmoid"), ActivationKind::Other}, {QStringLiteral("Softsign"), ActivationKind::Other},
    };
    return kinds.value(type, ActivationKind::None);
}

QString activationName(ActivationKind activation)
{
    switch (activation) {
    case ActivationKind::None: return QStringLiteral("none");
    case ActivationKind::Relu: return QStringLiteral("ReLU");
    case ActivationKind::LeakyRelu: return QStringLiteral("LeakyReLU");
    case ActivationKind::Sigmoid: return QStringLiteral("Sigmoid");
    case ActivationKind::Tanh: return QStringLiteral("Tanh");
    case ActivationKind::Softmax: return QStringLiteral("Softmax");
    case ActivationKind::LogSoftmax: return QStringLiteral("LogSoftmax");
    case ActivationKind::Elu: return QStringLiteral("ELU");
    case ActivationKind::Smooth: return QStringLiteral("smooth");
    case ActivationKind::Other: return QStringLiteral("other");
    }
    return {};
}

bool isPassThrough(const QString& type)
{
    static const QStringList types {QStringLiteral("Dropout"), QStringLiteral("Dropout2d"), QStringLiteral("Dropout3d"),
                                    QStringLiteral("AlphaDropout"), QStringLiteral("Flatten"), QStringLiteral("Unflatten"),
                                    QStringLiteral("Identity"), QStringLiteral("BatchNorm1d"), QStringLiteral("BatchNorm2d"),
                                    QStringLiteral("BatchNorm3d"), QStringLiteral("LayerNorm"), QStringLiteral("GroupNorm"),
                                    QStringLiteral("MaxPool1d"), QStringLiteral("MaxPool2d"), QStringLiteral("MaxPool3d"),
                                    QStringLiteral("AvgPool1d"), QStringLiteral("AvgPool2d"), QStringLiteral("AvgPool3d"),
                                    QStringLiteral("AdaptiveAvgPool2d"), QStringLiteral("AdaptiveMaxPool2d")};
    return types.contains(type);
}

namespace {

// "weight", or a recurrent layer's "weight_ih_l0": a matrix (or kernel) of weights.
const ParameterShape* weightOf(const Layer& layer)
{
    for (const auto& parameter : layer.parameters)
        if (parameter.name.startsWith(QLatin1String("weight")) && parameter.dims.size() >= 2)
            return &parameter;
    return nullptr;
}

bool hasWeight(const Layer& layer)
{
    return weightOf(layer) != nullptr;
}

bool isNormalisation(const QString& type)
{
    return type.startsWith(QLatin1String("BatchNorm")) || type == QLatin1String("LayerNorm")
        || type == QLatin1String("GroupNorm");
}

QString graphOperation(const QString& node)
{
    return node.endsWith(QLatin1String("Backward")) ? node.chopped(8) : node;
}

bool isShapeOrScale(const QString& op)
{
    static const QStringList ops {QStringLiteral("View"),      QStringLiteral("Reshape"),   QStringLiteral("UnsafeView"),
                                  QStringLiteral("Alias"),     QStringLiteral("Squeeze"),   QStringLiteral("Unsqueeze"),
                                  QStringLiteral("Expand"),    QStringLiteral("Permute"),   QStringLiteral("Transpose"),
                                  QStringLiteral("Select"),    QStringLiteral("Slice"),     QStringLiteral("Clone"),
                                  QStringLiteral("Mean"),      QStringLiteral("Sum"),       QStringLiteral("Div"),
                                  QStringLiteral("Mul"),       QStringLiteral("ToCopy"),    QStringLiteral("Index"),
                                  QStringLiteral("SqueezeDim"), QStringLiteral("UnsqueezeDim"), QStringLiteral("Flatten")};
    return ops.contains(op);
}

} // namespace

LossGraphFacts LossGraphFacts::read(const QStringList& nodes)
{
    static const QHash<QString, LossKind> losses {
        {QStringLiteral("NllLoss"), LossKind::NLL},
        {QStringLiteral("NllLoss2D"), LossKind::NLL},
        {QStringLiteral("NllLoss2d"), LossKind::NLL},
        {QStringLiteral("BinaryCrossEntropyWithLogits"), LossKind::BCEWithLogits},
        {QStringLiteral("BinaryCrossEntropy"), LossKind::BCE},
        {QStringLiteral("MseLoss"), LossKind::MSE},
        {QStringLiteral("L1Loss"), LossKind::L1},
        {QStringLiteral("SmoothL1Loss"), LossKind::SmoothL1},
        {QStringLiteral("HuberLoss"), LossKind::SmoothL1},
    };
    static const QHash<QString, QPair<ActivationKind, QString>> activations {
        {QStringLiteral("Sigmoid"), {ActivationKind::Sigmoid, QStringLiteral("torch::sigmoid")}},
        {QStringLiteral("Softmax"), {ActivationKind::Softmax, QStringLiteral("torch::softmax")}},
        {QStringLiteral("LogSoftmax"), {ActivationKind::LogSoftmax, QStringLiteral("torch::log_softmax")}},
        {QStringLiteral("Relu"), {ActivationKind::Relu, QStringLiteral("torch::relu")}},
        {QStringLiteral("Threshold"), {ActivationKind::Relu, QStringLiteral("torch::relu")}},
        {QStringLiteral("Tanh"), {ActivationKind::Tanh, QStringLiteral("torch::tanh")}},
        {QStringLiteral("LeakyRelu"), {ActivationKind::LeakyRelu, QStringLiteral("torch::leaky_relu")}},
        {QStringLiteral("Elu"), {ActivationKind::Elu, QStringLiteral("torch::elu")}},
        {QStringLiteral("Gelu"), {ActivationKind::Smooth, QStringLiteral("torch::gelu")}},
        {QStringLiteral("Silu"), {ActivationKind::Smooth, QStringLiteral("torch::silu")}},
        {QStringLiteral("Softplus"), {ActivationKind::Smooth, QStringLiteral("torch::softplus")}},
    };
    LossGraphFacts facts;
    int i = 0;
    auto nextOperation = [&]() {
        while (i < nodes.size() && isShapeOrScale(graphOperation(nodes[i])))
            ++i;
        return i < nodes.size() ? graphOperation(nodes[i++]) : QString();
    };
    const QString loss = nextOperation();
    if (!losses.contains(loss))
        return facts; // a loss made of several terms, or one TrainDx does not know
    facts.known = true;
    facts.loss = losses.value(loss);
    QString op = nextOperation();
    if (facts.loss == LossKind::NLL && op == QLatin1String("LogSoftmax")) {
        facts.loss = LossKind::CrossEntropy; // what torch::nn::functional::cross_entropy computes
        op = nextOperation();
    } else if (facts.loss == LossKind::NLL && op == QLatin1String("Log")) {
        const int at = i;
        if (nextOperation() == QLatin1String("Softmax")) {
            facts.loss = LossKind::CrossEntropy;
            op = nextOperation();
        } else {
            i = at;
            op = QStringLiteral("Log");
        }
    }
    if (activations.contains(op)) {
        facts.activation = activations.value(op).first;
        facts.activationFunction = activations.value(op).second;
    }
    return facts;
}

ModelFacts::ModelFacts(const Model& model, const DataDescription& data)
    : m_model(model)
    , m_data(data)
{
    m_order = model.forwardOrder();
    m_forwardKnown = !m_order.isEmpty() && model.layers[m_order.first()].inForwardOrder;
    if (m_order.isEmpty())
        for (const auto& layer : model.layers)
            if (layer.leaf && layer.id > 0)
                m_order.append(layer.id);
    for (int id : std::as_const(m_order))
        if (hasWeight(model.layers[id]) && !isNormalisation(model.layers[id].type))
            m_parametric.append(id);

    m_graph = LossGraphFacts::read(model.lossGraph);
    // Without a graph (step() got a number), the output activation the program declared.
    if (!m_graph.known && activationOf(model.outputActivation) != ActivationKind::None) {
        m_graph.declared = true;
        m_graph.activation = activationOf(model.outputActivation);
        m_graph.activationFunction = model.outputFunction;
    }
    m_loss = model.loss;
    if (m_loss == LossKind::Unspecified && m_graph.known) {
        m_lossObserved = true;
        m_loss = m_graph.loss;
        // A LogSoftmax module with NLLLoss is that loss's own form, not a cross-entropy
        // fed log-probabilities.
        if (m_loss == LossKind::CrossEntropy && moduleOutputActivation() == ActivationKind::LogSoftmax)
            m_loss = LossKind::NLL;
    } else if (m_loss == LossKind::NLL && m_graph.loss == LossKind::CrossEntropy
               && m_graph.activation == ActivationKind::None) {
        // NLLLoss declared, and the graph shows its log-softmax: a function in forward().
        m_graph.activation = ActivationKind::LogSoftmax;
        m_graph.activationFunction = QStringLiteral("torch::log_softmax");
    } else if (m_loss == LossKind::Unspecified && data.present) {
        m_lossInferred = true;
        const int units = outputUnits();
        const ActivationKind last = outputActivation();
        if (data.targetsIntegral && units > 1)
            m_loss = last == ActivationKind::LogSoftmax ? LossKind::NLL : LossKind::CrossEntropy;
        else if (!data.targetsIntegral && last == ActivationKind::Sigmoid && data.targets.min >= 0 && data.targets.max <= 1)
            m_loss = LossKind::BCE;
        else if (!data.targetsIntegral)
            m_loss = LossKind::MSE;
        else
            m_lossInferred = false;
    }
}

bool ModelFacts::frozen(int layer) const
{
    const Layer* l = m_model.layer(layer);
    if (!l || l->parameters.isEmpty())
        return false;
    return std::all_of(l->parameters.begin(), l->parameters.end(), [](const ParameterShape& p) { return p.frozen; });
}

bool ModelFacts::classTargets() const
{
    return m_data.present && (m_data.targetsIntegral || m_loss == LossKind::CrossEntropy || m_loss == LossKind::NLL);
}

double ModelFacts::dropoutRate(const Layer& layer)
{
    if (!layer.type.contains(QLatin1String("Dropout")))
        return -1;
    static const QRegularExpression rate(QStringLiteral("p=([0-9.eE+-]+)"));
    const auto match = rate.match(layer.options);
    return match.hasMatch() ? match.captured(1).toDouble() : -1;
}

bool ModelFacts::isOneUnitSoftmax(int layer) const
{
    const Layer* l = m_model.layer(layer);
    if (!l)
        return false;
    const ActivationKind kind = activationOf(l->type);
    if (kind != ActivationKind::Softmax && kind != ActivationKind::LogSoftmax)
        return false;
    int dim = softmaxDim(*l);
    const auto& shape = l->outputShape;
    if (dim < 0)
        dim += shape.size();
    return !shape.isEmpty() && dim >= 0 && dim < shape.size() && shape[dim] == 1;
}

int ModelFacts::nextLayer(int layer) const
{
    const int at = m_order.indexOf(layer);
    return at >= 0 && at + 1 < m_order.size() ? m_order[at + 1] : -1;
}

int ModelFacts::activationLayerAfter(int layer) const
{
    if (!m_forwardKnown)
        return -1;
    for (int next = nextLayer(layer); next >= 0; next = nextLayer(next)) {
        const Layer& l = m_model.layers[next];
        if (activationOf(l.type) != ActivationKind::None)
            return next;
        if (!isPassThrough(l.type))
            return -1;
    }
    return -1;
}

ActivationKind ModelFacts::activationAfter(int layer) const
{
    const int activation = activationLayerAfter(layer);
    return activation >= 0 ? activationOf(m_model.layers[activation].type) : ActivationKind::None;
}

int ModelFacts::outputLayer() const
{
    for (int i = m_order.size() - 1; i >= 0; --i)
        if (!isPassThrough(m_model.layers[m_order[i]].type))
            return m_order[i];
    return -1;
}

ActivationKind ModelFacts::moduleOutputActivation() const
{
    const int output = outputLayer();
    return output >= 0 && m_forwardKnown ? activationOf(m_model.layers[output].type) : ActivationKind::None;
}

ActivationKind ModelFacts::outputActivation() const
{
    const ActivationKind module = moduleOutputActivation();
    if (module != ActivationKind::None || !(m_graph.known || m_graph.declared))
        return module;
    // Under a cross-entropy read from the graph, its own log-softmax is not the model's.
    return m_graph.activation;
}

bool ModelFacts::outputActivationIsFunction() const
{
    return moduleOutputActivation() == ActivationKind::None && (m_graph.known || m_graph.declared)
        && m_graph.activation != ActivationKind::None;
}

QString ModelFacts::outputDescription() const
{
    const Layer* output = m_model.layer(outputLayer());
    const QString layer = output ? output->displayName() : QStringLiteral("the output layer");
    if (!outputActivationIsFunction())
        return layer;
    return QStringLiteral("%1 on the output of %2").arg(m_graph.activationFunction, layer);
}

int ModelFacts::previousParametric(int layer) const
{
    const int at = m_order.indexOf(layer);
    for (int i = at - 1; i >= 0; --i)
        if (m_parametric.contains(m_order[i]))
            return m_order[i];
    return -1;
}

int ModelFacts::outputParametric() const
{
    return m_parametric.isEmpty() ? -1 : m_parametric.last();
}

qint64 ModelFacts::fanIn(int layer) const
{
    const Layer* l = m_model.layer(layer);
    if (!l)
        return 0;
    // A recurrent layer's weights are drawn for its hidden state, whatever its input width:
    // LibTorch's default is U(-1/sqrt(H), 1/sqrt(H)) for every one of them.
    if (l->type == QLatin1String("LSTM") || l->type == QLatin1String("GRU") || l->type == QLatin1String("RNN"))
        for (const auto& parameter : l->parameters)
            if (parameter.name.startsWith(QLatin1String("weight_hh")) && parameter.dims.size() == 2)
                return parameter.dims[1];
    const ParameterShape* weight = weightOf(*l);
    if (!weight)
        return 0;
    qint64 fan = weight->dims[1];
    for (int i = 2; i < weight->dims.size(); ++i)
        fan *= weight->dims[i]; // convolution kernels
    return fan;
}

int ModelFacts::outputUnits() const
{
    const int output = outputLayer();
    if (output < 0)
        return -1;
    const auto& shape = m_model.layers[output].outputShape;
    if (shape.size() >= 2)
        return int(shape[1]);
    if (const int parametric = outputParametric(); parametric >= 0)
        if (const ParameterShape* weight = weightOf(m_model.layers[parametric]))
            return int(weight->dims[0]);
    return -1;
}

int ModelFacts::softmaxDim(const Layer& layer)
{
    static const QRegularExpression dim(QStringLiteral("dim=(-?\\d+)"));
    const auto match = dim.match(layer.options);
    return match.hasMatch() ? match.captured(1).toInt() : -1;
}

double ModelFacts::chanceLoss() const
{
    const int units = outputUnits();
    switch (m_loss) {
    case LossKind::CrossEntropy:
    case LossKind::NLL: return units > 1 ? std::log(double(units)) : -1;
    case LossKind::BCE:
    case LossKind::BCEWithLogits: return std::log(2.0);
    case LossKind::MSE: return m_data.present ? m_data.targets.std * m_data.targets.std : -1;
    case LossKind::L1:
    case LossKind::SmoothL1: return m_data.present ? m_data.targets.std : -1;
    default: return -1;
    }
}

double ModelFacts::chanceAccuracy() const
{
    const int units = outputUnits();
    if (units == 1)
        return 0.5;
    return units > 1 ? 1.0 / units : -1;
}

} // namespace traindx
