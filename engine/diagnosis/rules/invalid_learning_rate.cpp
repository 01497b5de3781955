// invalid_learning_rate: a learning rate that is zero or negative, or whose very first
// step moves the weights by a large share of their size — judged from the first measured
// step, before the values can overflow.
#include "rule.h"

#include <QSet>

#include <algorithm>
#include <cmath>
#include <optional>

namespace traindx {

namespace {

class InvalidLearningRateRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        const Model& model = o.run.model;
        if (model.optimizer.isEmpty())
            return; // no optimizer watched: the rate is unknown, not zero
        // Each watched optimizer is judged on the layers it updates: one model's huge steps
        // must not be outvoted by another's healthy ones.
        QVector<Group> groups;
        if (model.optimizers.size() <= 1) {
            const double lr = o.snapshot && o.snapshot->learningRate != 0 ? o.snapshot->learningRate : model.learningRate;
            groups.append({-1, QString(), model.optimizer, lr});
        } else {
            for (int k = 0; k < model.optimizers.size(); ++k)
                groups.append({k, model.optimizers[k].name, model.optimizers[k].type, model.optimizers[k].learningRate});
        }
        for (const Group& group : groups)
            if (group.lr <= 0 && !m_nonPositiveSaid.contains(group.index)) {
                m_nonPositiveSaid.insert(group.index);
                candidates.append({nonPositive(o, group)});
            }
        if (!o.batchSample() || m_judged)
            return;
        m_judged = true; // only the first measured step speaks for the rate as set
        for (const Group& group : groups)
            if (group.lr > 0)
                if (std::optional<Finding> f = firstStepTooLarge(o, group))
                    candidates.append({*f});
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        const double lr = f.value(QStringLiteral("learning_rate"));
        const QString optimizer = f.text(QStringLiteral("optimizer"));
        const QString of = f.text(QStringLiteral("optimizer_of"));
        const QString typical = optimizer.startsWith(QLatin1String("Adam")) ? QStringLiteral("1e-3")
                                                                           : QStringLiteral("0.01");
        if (lr <= 0) {
            a.set(f, FixClass::ChangeLearningRate,
                  QStringLiteral("Give %1%3 a positive learning rate, e.g. torch::optim::%1Options(%2); the sign of the step "
                                 "is the optimizer's job.")
                      .arg(optimizer.isEmpty() ? QStringLiteral("the optimizer") : optimizer, typical,
                           of.isEmpty() ? QString() : QStringLiteral(" (the %1's)").arg(of)),
                  QStringLiteral("the optimizer's learning rate is %1").arg(formatNumber(lr)));
            return;
        }
        const double ratio = f.value(QStringLiteral("first_update_ratio"));
        const double factor = lr / f.value(QStringLiteral("suggested_learning_rate"), lr);
        a.set(f, FixClass::ChangeLearningRate,
              QStringLiteral("Lower the learning rate%1 by about %2x (to %3): a healthy step changes the weights by about "
                             "0.001 of their size, the first one here by %4.")
                  .arg(of.isEmpty() ? a.currentLearningRate()
                                    : QStringLiteral(" of the %1's %2 (now %3)").arg(of, optimizer, formatNumber(lr)),
                       formatNumber(factor), formatNumber(lr / factor), formatNumber(ratio)),
              QStringLiteral("learning-rate checker: the first measured step's update ratio %1 is above %2")
                  .arg(formatNumber(ratio), formatNumber(f.value(QStringLiteral("threshold")))));
    }

private:
    struct Group {
        int index = -1;  // in Model::optimizers; -1: the only optimizer, every layer
        QString name;    // "discriminator"; empty for the only optimizer
        QString type;    // "Adam"
        double lr = 0;
        bool covers(const Observation& o, int layer) const
        {
            const Layer* l = o.run.model.layer(layer);
            return index < 0 || (l && l->optimizer == index);
        }
        // "SGD", or "the discriminator's Adam" when there are several.
        QString said() const { return name.isEmpty() ? type : QStringLiteral("the %1's %2").arg(name, type); }
    };

    static Finding nonPositive(const Observation& o, const Group& group)
    {
        Finding f = findingAt(o, Symptom::InvalidLearningRate, -1, Location::Setup);
        f.summary = group.lr == 0 ? QStringLiteral("the learning rate of %1 is 0: no step can change the weights").arg(group.said())
                                  : QStringLiteral("the learning rate of %1 is %2: every step climbs the loss instead of "
                                                   "descending it")
                                        .arg(group.said(), formatNumber(group.lr));
        f.evidence = {{QStringLiteral("learning_rate"), group.lr}, {QStringLiteral("optimizer"), 0, group.type}};
        if (!group.name.isEmpty())
            f.evidence.append({QStringLiteral("optimizer_of"), 0, group.name});
        return f;
    }

    static std::optional<Finding> firstStepTooLarge(const Observation& o, const Group& group)
    {
        if (setupExplainsLargeSteps(o, group.type, group.lr))
            return std::nullopt;
        const MedianStep step
            = medianStepRatio(o, [&o, &group](int layer) { return !group.covers(o, layer) || startedAtZero(o, layer); });
        if (step.layers == 0)
            return std::nullopt;
        const double median = step.ratio;
        const double limit = o.thresholds[QStringLiteral("lr_first_step_ratio")];
        if (!(median > limit))
            return std::nullopt;
        Finding f = findingAt(o, Symptom::InvalidLearningRate, -1, Location::Setup);
        const QString which = group.name.isEmpty() ? QString() : QStringLiteral(" of %1").arg(group.said());
        f.summary = QStringLiteral("one step at learning rate %1%2 changed the weights by %3 of their size (median over %4 "
                                   "layers); steps that large overshoot any minimum")
                        .arg(formatNumber(group.lr), which, median >= 1e30 ? QStringLiteral("more than all") : formatNumber(median))
                        .arg(step.layers);
        // The power of ten that brings a step near 0.001 of the weights: what the advice says,
        // and what a live fix sets.
        const double factor = std::pow(10.0, std::ceil(std::log10(std::min(median, 1e12) / 1e-3)) - 1);
        f.evidence = {{QStringLiteral("learning_rate"), group.lr},
                      {QStringLiteral("first_update_ratio"), median},
                      {QStringLiteral("suggested_learning_rate"), group.lr / factor},
                      {QStringLiteral("step"), double(o.snapshot->step)},
                      {QStringLiteral("threshold"), limit},
                      {QStringLiteral("optimizer"), 0, group.type}};
        if (!group.name.isEmpty())
            f.evidence.append({QStringLiteral("optimizer_of"), 0, group.name});
        return f;
    }

    // Inputs or targets far from unit scale make every gradient large, and weights drawn
    // far from the fan-in rule make the step large against them: then a large first step
    // at a learning rate in the usual range for its optimizer says nothing about the rate,
    // and unscaled_data or poor_initialization speaks. A rate beyond that range is a cause
    // of its own, reported beside them.
    static bool setupExplainsLargeSteps(const Observation& o, const QString& optimizer, double lr)
    {
        const bool adaptive = optimizer.startsWith(QLatin1String("Adam")) || optimizer == QLatin1String("RMSprop")
            || optimizer == QLatin1String("Adagrad");
        if (lr > (adaptive ? 1e-2 : 0.1))
            return false;
        const Checkers checkers(o.run, o.facts, o.thresholds);
        const TensorStats& x = o.run.data.inputs;
        const bool unscaledInputs = checkers.data().fired && x.nonFinite() == 0 && x.std > 0;
        return unscaledInputs || checkers.targets().fired || checkers.initialization().fired;
    }

    // Weights that start at zero have no size to compare a step with.
    static bool startedAtZero(const Observation& o, int layer)
    {
        for (const auto& snapshot : o.run.snapshots)
            if (snapshot->initial)
                if (const LayerSample* sample = snapshot->layer(layer))
                    return !(sample->stats(TensorKind::Weight).l2 > 0);
        return false;
    }

    bool m_judged = false;
    QSet<int> m_nonPositiveSaid;
};

const RegisterRule registered {{Symptom::InvalidLearningRate, Role::Setup, 1, Once::PerSymptom,
                                "a learning rate that is not positive, or whose first step is far too large",
                                {QStringLiteral("lr_first_step_ratio")},
                                [] { return std::make_unique<InvalidLearningRateRule>(); }}};

} // namespace

} // namespace traindx
