#include "live_change.h"

#include "checkers.h"
#include "model_facts.h"

#include <QRegularExpression>

#include <cmath>

namespace traindx {

bool parseLiveChange(const QString& text, LiveChange* change, QString* error)
{
    static const QRegularExpression form(QStringLiteral(
        "^(?:(lr)([=*])([0-9.eE+-]+)|(reinit)=([A-Za-z0-9_.]+)(?::([a-z_]+))?|(reset_optimizer)|(freeze|unfreeze|optimize)=([A-Za-z0-9_.]+)"
        "|(clip)=(off|[0-9.eE+-]+))(?:@(step|epoch):(\\d+))?$"));
    const QRegularExpressionMatch m = form.match(text.trimmed());
    if (!m.hasMatch()) {
        *error = QStringLiteral("cannot read the change \"%1\": write lr=VALUE, lr*FACTOR, reinit=LAYER[:SCHEME], "
                                "reset_optimizer, freeze=LAYER, unfreeze=LAYER, optimize=LAYER or clip=NORM|off, optionally "
                                "@step:N or @epoch:N")
                     .arg(text);
        return false;
    }
    LiveChange c;
    c.text = text.trimmed();
    if (!m.captured(1).isEmpty()) {
        bool ok = false;
        c.value = m.captured(3).toDouble(&ok);
        if (!ok || !(c.value > 0)) {
            *error = QStringLiteral("%1: the learning rate or factor must be a positive number").arg(text);
            return false;
        }
        c.kind = m.captured(2) == QLatin1String("=") ? LiveChange::Kind::SetLearningRate : LiveChange::Kind::ScaleLearningRate;
    } else if (!m.captured(4).isEmpty()) {
        c.kind = LiveChange::Kind::Reinitialise;
        c.layer = m.captured(5);
        c.scheme = m.captured(6);
    } else if (!m.captured(7).isEmpty()) {
        c.kind = LiveChange::Kind::ResetOptimizerState;
    } else if (!m.captured(8).isEmpty()) {
        c.kind = m.captured(8) == QLatin1String("freeze")   ? LiveChange::Kind::Freeze
            : m.captured(8) == QLatin1String("unfreeze")    ? LiveChange::Kind::Unfreeze
                                                            : LiveChange::Kind::AddToOptimizer;
        c.layer = m.captured(9);
    } else {
        c.kind = LiveChange::Kind::ClipGradientNorm;
        bool ok = true;
        c.value = m.captured(11) == QLatin1String("off") ? 0.0 : m.captured(11).toDouble(&ok);
        if (!ok || !(c.value >= 0)) {
            *error = QStringLiteral("%1: the gradient norm must be a positive number, or off").arg(text);
            return false;
        }
    }
    if (m.captured(12) == QLatin1String("step"))
        c.atStep = m.captured(13).toLongLong();
    else if (m.captured(12) == QLatin1String("epoch"))
        c.atEpoch = m.captured(13).toInt();
    *change = c;
    return true;
}

namespace {

QString schemeBefore(ActivationKind activation)
{
    const bool rectifier = activation == ActivationKind::Relu || activation == ActivationKind::LeakyRelu
        || activation == ActivationKind::Elu || activation == ActivationKind::Smooth;
    return rectifier ? QStringLiteral("kaiming_normal") : QStringLiteral("xavier_normal");
}

LiveChange reinitialisation(const Layer& layer, ActivationKind after)
{
    LiveChange c;
    c.kind = LiveChange::Kind::Reinitialise;
    c.layer = layer.index >= 0 ? QString::number(layer.index) : layer.path;
    c.scheme = schemeBefore(after);
    c.seed = quint64(1 + std::max(0, layer.index)); // layers of one shape get different draws
    c.text = QStringLiteral("reinit=%1:%2").arg(c.layer, c.scheme);
    return c;
}

} // namespace

LiveChange reinitialisationOf(const Model& model, int id)
{
    return reinitialisation(model.layers[id], ModelFacts(model, DataDescription()).activationAfter(id));
}

QVector<LiveChange> reinitialisationsFor(const RunState& run, const Thresholds& thresholds)
{
    const ModelFacts facts(run.model, run.data);
    const Checkers checkers(run, facts, thresholds);
    SnapshotPtr initial;
    for (const SnapshotPtr& s : run.snapshots)
        if (s->initial)
            initial = s;
    auto initialStd = [&initial](int layer) {
        const LayerSample* sample = initial ? initial->layer(layer) : nullptr;
        return sample && sample->stats(TensorKind::Weight).present ? sample->stats(TensorKind::Weight).std : -1.0;
    };
    QVector<int> flagged;
    for (int layer : facts.parametric())
        if (checkers.initialization(layer).fired)
            flagged.append(layer);
    // A layer drawn from the same distribution as a flagged one (the same spread, whatever its
    // fan-in) was initialised by the same line of code: within the checker's factor for its
    // own shape, it still grows with the others.
    QVector<LiveChange> changes;
    for (int layer : facts.parametric()) {
        bool same = flagged.contains(layer);
        for (int other : flagged)
            same = same || (initialStd(layer) > 0 && std::abs(initialStd(layer) - initialStd(other)) <= 0.1 * initialStd(other));
        if (same)
            changes.append(reinitialisation(run.model.layers[layer], facts.activationAfter(layer)));
    }
    return changes;
}

std::optional<LiveChange> liveFixFor(const Finding& f, const Model& model)
{
    LiveChange c;
    if (f.fixClass == FixClass::ChangeLearningRate) {
        const double lr = f.value(QStringLiteral("learning_rate"), -1);
        const double suggested = f.value(QStringLiteral("suggested_learning_rate"), -1);
        if (lr == 0 || (lr < 0 && f.fixText.startsWith(QLatin1String("Give")))) {
            c.kind = LiveChange::Kind::SetLearningRate;
            c.value = 1e-3;
        } else if (suggested > 0) { // the rate the advice names
            c.kind = LiveChange::Kind::SetLearningRate;
            c.value = suggested;
        } else if (f.fixText.startsWith(QLatin1String("Lower"))) {
            c.kind = LiveChange::Kind::ScaleLearningRate;
            c.value = 0.1;
        } else if (f.fixText.startsWith(QLatin1String("Raise"))) {
            // Far below any rate its optimizer is used with: straight to the usual one.
            const bool adaptive = model.optimizer.startsWith(QLatin1String("Adam")) || model.optimizer == QLatin1String("RMSprop")
                || model.optimizer == QLatin1String("Adagrad");
            const double usual = adaptive ? 1e-3 : 1e-2;
            c.kind = model.learningRate > 0 && model.learningRate < usual / 1000 ? LiveChange::Kind::SetLearningRate
                                                                                 : LiveChange::Kind::ScaleLearningRate;
            c.value = c.kind == LiveChange::Kind::SetLearningRate ? usual : 10;
        } else {
            return std::nullopt;
        }
        c.text = c.kind == LiveChange::Kind::SetLearningRate ? QStringLiteral("lr=%1").arg(c.value)
                                                              : QStringLiteral("lr*%1").arg(c.value);
        return c;
    }
    if (f.fixClass == FixClass::ChangeInitialization && model.layer(f.layer))
        return reinitialisationOf(model, f.layer);
    if (f.symptom == Symptom::NotInOptimizer && model.layer(f.layer)) {
        c.kind = LiveChange::Kind::AddToOptimizer;
        c.layer = model.layer(f.layer)->index >= 0 ? QString::number(model.layer(f.layer)->index) : f.layerPath;
        c.text = QStringLiteral("optimize=%1").arg(c.layer);
        return c;
    }
    return std::nullopt;
}

} // namespace traindx
