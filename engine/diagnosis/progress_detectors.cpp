// loss_not_decreasing, accuracy_not_increasing, oscillating_loss: whether training makes
// progress. A flat curve is a symptom only while the model has not learned; a converged
// model is flat too.
#include "detector.h"

#include <Eigen/Dense>

#include <cmath>

namespace traindx {

namespace {

class ProgressDetector : public Detector {
public:
    void observe(const Observation& o, QVector<Finding>& findings) override
    {
        if (!o.snapshot || !o.snapshot->epochEnd)
            return;
        const int window = std::max(1, int(o.thresholds[QStringLiteral("progress_window_epochs")]));
        if (!m_loss)
            examineLoss(o, window, findings);
        if (!m_accuracy)
            examineAccuracy(o, window, findings);
    }

private:
    void examineLoss(const Observation& o, int window, QVector<Finding>& findings)
    {
        const QVector<double> loss = epochSeries(o.run, QStringLiteral("train_loss"));
        if (loss.size() <= window)
            return;
        const double before = loss[loss.size() - 1 - window];
        double best = loss.last();
        for (int i = loss.size() - window; i < loss.size(); ++i)
            best = std::min(best, loss[i]);
        if (!std::isfinite(before) || !std::isfinite(best))
            return; // invalid_loss
        const double improvement = (before - best) / std::max(std::abs(before), 1e-12);
        if (improvement >= o.thresholds[QStringLiteral("loss_min_improvement")])
            return;
        // Flat and high: still at (at least half) the loss of a model that knows nothing.
        const double chance = o.facts.chanceLoss();
        const double reference = chance > 0 ? 0.5 * chance : 0.5 * loss.first();
        if (best < reference || hasConverged(o))
            return;
        Finding f = findingAt(o, symptom::LossNotDecreasing, -1, location::Metric);
        f.summary = QStringLiteral("the training loss went from %1 to at best %2 over the last %3 epochs (%4 % better)")
                        .arg(before, 0, 'g', 4)
                        .arg(best, 0, 'g', 4)
                        .arg(window)
                        .arg(100 * improvement, 0, 'f', 2);
        f.evidence = {{QStringLiteral("loss_before"), before}, {QStringLiteral("loss_best"), best},
                      {QStringLiteral("relative_improvement"), improvement}, {QStringLiteral("epochs"), double(window)}};
        if (chance > 0)
            f.evidence.append({QStringLiteral("chance_loss"), chance});
        findings.append(f);
        m_loss = true;
    }

    void examineAccuracy(const Observation& o, int window, QVector<Finding>& findings)
    {
        const QVector<double> accuracy = epochSeries(o.run, QStringLiteral("train_accuracy"));
        if (accuracy.size() <= window)
            return;
        const double before = accuracy[accuracy.size() - 1 - window];
        double best = accuracy.last();
        for (int i = accuracy.size() - window; i < accuracy.size(); ++i)
            best = std::max(best, accuracy[i]);
        if (best - before >= o.thresholds[QStringLiteral("accuracy_min_improvement")])
            return;
        // Stuck near guessing: a plateau well above chance is a model that learned.
        const double chance = o.facts.chanceAccuracy();
        const double floor = chance >= 0 ? chance + 0.25 * (1 - chance) : 0.5;
        double bestEver = 0;
        for (double a : accuracy)
            bestEver = std::max(bestEver, a);
        if (bestEver > floor || hasConverged(o))
            return;
        Finding f = findingAt(o, symptom::AccuracyNotIncreasing, -1, location::Metric);
        f.summary = QStringLiteral("the training accuracy stays at %1 (chance is %2) and gained %3 over the last %4 epochs")
                        .arg(best, 0, 'f', 3)
                        .arg(chance, 0, 'f', 3)
                        .arg(best - before, 0, 'f', 3)
                        .arg(window);
        f.evidence = {{QStringLiteral("accuracy_before"), before}, {QStringLiteral("accuracy_best"), best},
                      {QStringLiteral("chance_accuracy"), chance}, {QStringLiteral("epochs"), double(window)}};
        findings.append(f);
        m_accuracy = true;
    }

    bool m_loss = false, m_accuracy = false;
};

// Means of windows of batch losses: noise averages out, a loss that swings up and down
// from one window to the next without getting lower does not.
class OscillationDetector : public Detector {
public:
    void observe(const Observation& o, QVector<Finding>& findings) override
    {
        if (m_reported || !o.snapshot || !o.snapshot->epochEnd)
            return;
        const int windows = std::max(4, int(o.thresholds[QStringLiteral("oscillation_windows")]));
        QVector<double> losses;
        for (const auto& point : o.run.points)
            if (std::isfinite(point.loss))
                losses.append(point.loss);
        // The recent half of the run, in windows long enough to average batch noise away.
        const int perWindow = std::max(20, int(losses.size() / (2 * windows)));
        if (losses.size() < windows * perWindow || o.run.epochEnds.size() < 3)
            return;
        Eigen::VectorXd means(windows);
        const int start = losses.size() - windows * perWindow;
        for (int w = 0; w < windows; ++w) {
            double sum = 0;
            for (int i = 0; i < perWindow; ++i)
                sum += losses[start + w * perWindow + i];
            means[w] = sum / perWindow;
        }
        const Eigen::VectorXd diffs = means.tail(windows - 1) - means.head(windows - 1);
        int turns = 0;
        for (int i = 1; i < diffs.size(); ++i)
            turns += (diffs[i] > 0) != (diffs[i - 1] > 0);
        const double level = std::max(means.mean(), 1e-12);
        const double amplitude = diffs.cwiseAbs().mean() / level;
        const double share = double(turns) / double(diffs.size() - 1);
        // Least-squares slope over the windows, as a share of the level per window.
        const Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(windows, 0, windows - 1);
        const Eigen::VectorXd centred = x.array() - x.mean();
        const double slope = centred.dot(means) / centred.squaredNorm() / level;
        const bool oscillating = share >= o.thresholds[QStringLiteral("oscillation_share")]
            && amplitude >= o.thresholds[QStringLiteral("oscillation_amplitude")] && slope > -0.02 && !hasConverged(o);
        if (!oscillating)
            return;
        Finding f = findingAt(o, symptom::OscillatingLoss, -1, location::Metric);
        f.summary = QStringLiteral("the loss swings by %1 % between windows of %2 batches and changes direction %3 times "
                                   "out of %4 without coming down")
                        .arg(100 * amplitude, 0, 'f', 1)
                        .arg(perWindow)
                        .arg(turns)
                        .arg(diffs.size() - 1);
        f.evidence = {{QStringLiteral("relative_swing"), amplitude}, {QStringLiteral("direction_changes"), double(turns)},
                      {QStringLiteral("windows"), double(windows)}, {QStringLiteral("slope_per_window"), slope}};
        findings.append(f);
        m_reported = true;
    }

private:
    bool m_reported = false;
};

} // namespace

std::unique_ptr<Detector> makeProgressDetector()
{
    return std::make_unique<ProgressDetector>();
}

std::unique_ptr<Detector> makeOscillationDetector()
{
    return std::make_unique<OscillationDetector>();
}

} // namespace traindx
