// oscillating_loss: means of windows of batch losses swing up and down without getting
// lower. Noise averages out within a window; steps that overshoot do not.
#include "rule.h"

#include <Eigen/Dense>

#include <cmath>
#include <vector>

namespace traindx {

namespace {

class OscillatingLossRule : public Rule {
public:
    void detect(const Observation& o, QVector<Candidate>& candidates) override
    {
        if (!o.snapshot || !o.snapshot->epochEnd || o.run.model.lossAdversarial)
            return; // a loss that pushes against another (a GAN's) is not expected to fall
        const int windows = std::max(4, int(o.thresholds[QStringLiteral("oscillation_windows")]));
        catchUp(o.run.points, o.firstPoint());
        const int finite = int(m_prefix.size()) - 1;
        // The recent half of the run, in windows long enough to average batch noise away.
        const int perWindow = std::max(20, finite / (2 * windows));
        if (finite < windows * perWindow || o.epochEndsSince() < 3)
            return;
        Eigen::VectorXd means(windows);
        const int start = finite - windows * perWindow;
        for (int w = 0; w < windows; ++w)
            means[w] = (m_prefix[std::size_t(start + (w + 1) * perWindow)] - m_prefix[std::size_t(start + w * perWindow)]) / perWindow;
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
        Finding f = findingAt(o, Symptom::OscillatingLoss, -1, Location::Metric);
        f.summary = QStringLiteral("the loss swings by %1 % between windows of %2 batches and changes direction %3 times "
                                   "out of %4 without coming down")
                        .arg(100 * amplitude, 0, 'f', 1)
                        .arg(perWindow)
                        .arg(turns)
                        .arg(diffs.size() - 1);
        f.evidence = {{QStringLiteral("relative_swing"), amplitude}, {QStringLiteral("direction_changes"), double(turns)},
                      {QStringLiteral("windows"), double(windows)}, {QStringLiteral("slope_per_window"), slope}};
        candidates.append({f});
    }

    void advise(Finding& f, const Advisor& a) const override
    {
        if (a.byData(f) || a.byTargets(f))
            return;
        const LearningRateResult lr = a.checkers().learningRate();
        if (lr.verdict != LearningRateVerdict::TooLow) {
            a.set(f, FixClass::ChangeLearningRate,
                  QStringLiteral("The steps overshoot: lower the learning rate%1 by 10x, or decay it "
                                 "(torch::optim::StepLR).")
                      .arg(a.currentLearningRate()),
                  lr.verdict == LearningRateVerdict::Unknown
                      ? QStringLiteral("learning-rate checker: no update ratio measured; an oscillating loss means steps too large")
                      : QStringLiteral("learning-rate checker: ") + lr.reason);
            return;
        }
        a.set(f, FixClass::ChangeOptimizer,
              QStringLiteral("The loss is noisy with small steps: use larger batches%1.")
                  .arg(a.run().model.optimizer == QLatin1String("Adam") ? QString() : QStringLiteral(" or torch::optim::Adam")),
              QStringLiteral("learning-rate checker: too low, so the swings come from gradient noise"));
    }

private:
    // Running sums of the finite batch losses in step order, kept up with the run instead of
    // rescanning a million points at every epoch end.
    // From `first` on: the rule is made anew after a change to the live training.
    void catchUp(const ChunkedVector<BatchPoint>& points, int first)
    {
        if (points.size() < m_seen || (m_seen > first && points[m_seen - 1].step != m_lastStep)) {
            m_prefix.assign(1, 0.0); // history arrived out of order after an attach: start over
            m_seen = first;
        }
        m_seen = std::max(m_seen, first);
        for (; m_seen < points.size(); ++m_seen)
            if (std::isfinite(points[m_seen].loss))
                m_prefix.push_back(m_prefix.back() + points[m_seen].loss);
        m_lastStep = m_seen > 0 ? points[m_seen - 1].step : -1;
    }

    std::vector<double> m_prefix {0.0};
    int m_seen = 0;
    qint64 m_lastStep = -1;
};

const RegisterRule registered {{Symptom::OscillatingLoss, Role::Consequence, 42, Once::PerSymptom,
                                "the loss swings without coming down",
                                {QStringLiteral("oscillation_amplitude"), QStringLiteral("oscillation_share"),
                                 QStringLiteral("oscillation_windows")},
                                [] { return std::make_unique<OscillatingLossRule>(); }}};

} // namespace

} // namespace traindx
