#include "live_change.h"

#include <QRegularExpression>


namespace traindx {

bool parseLiveChange(const QString& text, LiveChange* change, QString* error)
{
    static const QRegularExpression form(QStringLiteral(
        "^(?:(lr)([=*])([0-9.eE+-]+)|(reinit)=([A-Za-z0-9_.]+)(?::([a-z_]+))?|(reset_optimizer)|(freeze|unfreeze)=([A-Za-z0-9_.]+))(?:@(step|epoch):(\\d+))?$"));
    const QRegularExpressionMatch m = form.match(text.trimmed());
    if (!m.hasMatch()) {
        *error = QStringLiteral("cannot read the change \"%1\": write lr=VALUE, lr*FACTOR, reinit=LAYER[:SCHEME], "
                                "reset_optimizer, freeze=LAYER or unfreeze=LAYER, optionally @step:N or @epoch:N")
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
    } else {
        c.kind = m.captured(8) == QLatin1String("freeze") ? LiveChange::Kind::Freeze : LiveChange::Kind::Unfreeze;
        c.layer = m.captured(9);
    }
    if (m.captured(10) == QLatin1String("step"))
        c.atStep = m.captured(11).toLongLong();
    else if (m.captured(10) == QLatin1String("epoch"))
        c.atEpoch = m.captured(11).toInt();
    *change = c;
    return true;
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
    if (f.fixClass == FixClass::ChangeInitialization && f.layer >= 0) {
        c.kind = LiveChange::Kind::Reinitialise;
        c.layer = f.layerIndex >= 0 ? QString::number(f.layerIndex) : f.layerPath;
        c.seed = quint64(1 + std::max(0, f.layerIndex)); // layers of one shape get different draws
        c.text = QStringLiteral("reinit=%1").arg(c.layer);
        return c;
    }
    return std::nullopt;
}

} // namespace traindx
