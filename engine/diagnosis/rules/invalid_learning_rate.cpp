// invalid_learning_rate: a learning rate that is zero or negative, or whose very first
// step moves the weights by a large share of their size — judged from the first measured
// step, before the values can overflow.
#include "rule.h"

#include <algorithm>
#include <cmath>

namespace traindx {

namespace {

class InvalidLearningRateRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        const Model& model = o.run.model;
        if (model.optimizer.isEmpty())
            return; // no optimizer watched: the rate is unknown, not zero
        const double lr = o.snapshot && o.snapshot->learningRate != 0 ? o.snapshot->learningRate : model.learningRate;
        if (lr <= 0) {
            Finding f = findingAt(o, Symptom::InvalidLearningRate, -1, Location::Setup);
            f.summary = lr == 0 ? QStringLiteral("the learning rate of %1 is 0: no step can change the weights").arg(model.optimizer)
                                : QStringLiteral("the learning rate of %1 is %2: every step climbs the loss instead of "
                                                 "descending it")
                                      .arg(model.optimizer, formatNumber(lr));
            f.evidence = {{QStringLiteral("learning_rate"), lr}, {QStringLiteral("optimizer"), 0, model.optimizer}};
            candidates.append({f});
            return;
        }
        if (!o.batchSample() || m_judged)
            return;
        m_judged = true; // only the first measured step speaks for the rate as set
        if (setupExplainsLargeSteps(o, lr))
            return;
        const MedianStep step = medianStepRatio(o, [&o](int layer) { return startedAtZero(o, layer); });
        if (step.layers == 0)
            return;
        const double median = step.ratio;
        const double limit = o.thresholds[QStringLiteral("lr_first_step_ratio")];
        if (!(median > limit))
            return;
        Finding f = findingAt(o, Symptom::InvalidLearningRate, -1, Location::Setup);
        f.summary = QStringLiteral("one step at learning rate %1 changed the weights by %2 of their size (median over %3 "
                                   "layers); steps that large overshoot any minimum")
                        .arg(formatNumber(lr), median >= 1e30 ? QStringLiteral("more than all") : formatNumber(median))
                        .arg(step.layers);
        f.evidence = {{QStringLiteral("learning_rate"), lr},
                      {QStringLiteral("first_update_ratio"), median},
                      {QStringLiteral("step"), double(o.snapshot->step)},
                      {QStringLiteral("threshold"), limit},
                      {QStringLiteral("optimizer"), 0, model.optimizer}};
        candidates.append({f});
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        const double lr = f.value(QStringLiteral("learning_rate"));
        const QString optimizer = f.text(QStringLiteral("optimizer"));
        const QString typical = optimizer.startsWith(QLatin1String("Adam")) ? QStringLiteral("1e-3")
                                                                           : QStringLiteral("0.01");
        if (lr <= 0) {
            a.set(f, FixClass::ChangeLearningRate,
                  QStringLiteral("Give %1 a positive learning rate, e.g. torch::optim::%1Options(%2); the sign of the step "
                                 "is the optimizer's job.")
                      .arg(optimizer.isEmpty() ? QStringLiteral("the optimizer") : optimizer, typical),
                  QStringLiteral("the optimizer's learning rate is %1").arg(formatNumber(lr)));
            return;
        }
        const double ratio = f.value(QStringLiteral("first_update_ratio"));
        const double factor = std::pow(10.0, std::ceil(std::log10(std::min(ratio, 1e12) / 1e-3)) - 1);
        a.set(f, FixClass::ChangeLearningRate,
              QStringLiteral("Lower the learning rate%1 by about %2x (to %3): a healthy step changes the weights by about "
                             "0.001 of their size, the first one here by %4.")
                  .arg(a.currentLearningRate(), formatNumber(factor), formatNumber(lr / factor), formatNumber(ratio)),
              QStringLiteral("learning-rate checker: the first measured step's update ratio %1 is above %2")
                  .arg(formatNumber(ratio), formatNumber(f.value(QStringLiteral("threshold")))));
    }

private:
    // Inputs or targets far from unit scale make every gradient large, and weights drawn
    // far from the fan-in rule make the step large against them: then a large first step
    // at a learning rate in the usual range for its optimizer says nothing about the rate,
    // and unscaled_data or poor_initialization speaks. A rate beyond that range is a cause
    // of its own, reported beside them.
    static bool setupExplainsLargeSteps(const Observation& o, double lr)
    {
        const QString optimizer = o.run.model.optimizer;
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
};

const RegisterRule registered {{Symptom::InvalidLearningRate, Role::Setup, 1, Once::PerSymptom,
                                "a learning rate that is not positive, or whose first step is far too large",
                                {QStringLiteral("lr_first_step_ratio")},
                                [] { return std::make_unique<InvalidLearningRateRule>(); }}};

} // namespace

} // namespace traindx
