#include "run_state.h"

#include <algorithm>
#include <cmath>

namespace traindx {

QString tensorKindName(TensorKind kind)
{
    switch (kind) {
    case TensorKind::Weight: return QStringLiteral("weights");
    case TensorKind::Bias: return QStringLiteral("bias");
    case TensorKind::WeightGrad: return QStringLiteral("gradients");
    case TensorKind::BiasGrad: return QStringLiteral("bias gradients");
    case TensorKind::Activation: return QStringLiteral("activations");
    }
    return {};
}

QString trainerStateName(TrainerState state)
{
    switch (state) {
    case TrainerState::Idle: return QStringLiteral("idle");
    case TrainerState::Starting: return QStringLiteral("starting");
    case TrainerState::Running: return QStringLiteral("running");
    case TrainerState::Held: return QStringLiteral("held");
    case TrainerState::Finished: return QStringLiteral("finished");
    case TrainerState::Crashed: return QStringLiteral("crashed");
    case TrainerState::Detached: return QStringLiteral("detached");
    case TrainerState::Failed: return QStringLiteral("failed");
    case TrainerState::Replay: return QStringLiteral("replay");
    }
    return {};
}

QString formatNumber(double value)
{
    if (std::isnan(value))
        return QStringLiteral("NaN");
    if (std::isinf(value))
        return value > 0 ? QStringLiteral("+inf") : QStringLiteral("-inf");
    return QString::number(value, 'g', 4);
}

QString shapeText(const QVector<qint64>& dims)
{
    QStringList parts;
    for (auto d : dims)
        parts.append(QString::number(d));
    return QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']');
}

QString Snapshot::position() const
{
    return initial ? positionText(0, 0, false) : positionText(epoch, epochEnd ? batch : batch + 1, epochEnd);
}

const LayerSample* Snapshot::layer(int id) const
{
    for (const auto& sample : layers)
        if (sample.layer == id)
            return &sample;
    return nullptr;
}

qint64 ParameterShape::count() const
{
    qint64 n = 1;
    for (auto d : dims)
        n *= d;
    return n;
}

qint64 Layer::parameterCount() const
{
    qint64 n = 0;
    for (const auto& parameter : parameters)
        n += parameter.count();
    return n;
}

QString Layer::displayName() const
{
    if (index >= 0)
        return QStringLiteral("layer %1 (%2)").arg(index).arg(type);
    return path.isEmpty() ? type : path;
}

QVector<int> Model::forwardOrder() const
{
    QVector<int> order;
    for (const auto& layer : layers)
        if (layer.index >= 0)
            order.append(layer.id);
    std::sort(order.begin(), order.end(), [this](int a, int b) { return layers[a].index < layers[b].index; });
    return order;
}

SnapshotPtr RunState::latestWith(int layer, TensorKind kind) const
{
    for (auto it = snapshots.crbegin(); it != snapshots.crend(); ++it)
        if (const auto* sample = (*it)->layer(layer); sample && sample->stats(kind).present)
            return *it;
    return nullptr;
}

void RunState::appendSnapshot(const SnapshotPtr& snapshot)
{
    if (snapshot->epochEnd) {
        epochEnds.append(snapshots.size());
        for (auto it = snapshot->metrics.begin(); it != snapshot->metrics.end(); ++it) {
            epochMetrics[it.key()].append(it.value());
            epochMetricSteps[it.key()].append(snapshot->step);
        }
    }
    snapshots.append(snapshot);
}

int RunState::epochsSinceConnect() const
{
    if (epochEnds.isEmpty())
        return 0;
    return std::max(0, snapshots[epochEnds.last()]->epoch + 1 - program.epochAtConnect);
}

QString RunState::notDiagnosedReason() const
{
    constexpr int kStepsWithoutEpochs = 50;
    if (program.protocol.isEmpty())
        return QStringLiteral("no TrainDx probe answered: the program creates no traindx::Probe, or runs with TRAINDX=off");
    if (!dataLost.isEmpty())
        return dataLost;
    if (epochEnds.isEmpty() && points.size() < kStepsWithoutEpochs)
        return QStringLiteral("the probe sent no complete epoch and only %1 training steps: too little to call the run healthy")
            .arg(points.size());
    return {};
}

Health RunState::layerHealth(int layer) const
{
    Health health = Health::Healthy;
    // A consequence of a fault elsewhere is a warning here: only causes are red.
    for (const auto& finding : findings)
        if (finding.layer == layer)
            health = std::max(health, finding.health());
    // Nothing finite left to compute with is red whatever was found first elsewhere.
    return nonFiniteKind(layer) ? Health::Faulty : health;
}

std::optional<TensorKind> RunState::nonFiniteKind(int layer) const
{
    // The newest few snapshots only: this runs for every layer at every publish.
    constexpr int kLookBack = 8;
    for (TensorKind kind : {TensorKind::Weight, TensorKind::Activation, TensorKind::WeightGrad}) {
        int looked = 0;
        for (auto it = snapshots.crbegin(); it != snapshots.crend() && looked < kLookBack; ++it, ++looked) {
            const LayerSample* sample = (*it)->layer(layer);
            if (!sample || !sample->stats(kind).present)
                continue;
            const TensorStats& t = sample->stats(kind);
            if (t.count > 0 && t.nonFinite() == t.count)
                return kind;
            break;
        }
    }
    return std::nullopt;
}

QString lossKindName(LossKind loss)
{
    static const char* const names[] = {"", "bce", "bce_with_logits", "cross_entropy", "nll", "mse", "l1", "smooth_l1", "other"};
    return QLatin1String(names[int(loss)]);
}

LossKind lossKindFromName(const QString& name)
{
    for (int i = 1; i <= int(LossKind::Other); ++i)
        if (lossKindName(LossKind(i)) == name)
            return LossKind(i);
    return LossKind::Unspecified;
}

QVector<SnapshotPtr> RunState::epochHistory(int layer, TensorKind kind) const
{
    QVector<SnapshotPtr> history;
    for (int index : epochEnds)
        if (const auto* sample = snapshots[index]->layer(layer); sample && sample->stats(kind).present)
            history.append(snapshots[index]);
    return history;
}

} // namespace traindx
