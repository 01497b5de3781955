// Training curves: loss and accuracy per batch, epoch means and validation metrics. The
// two plots share their step axis; the batch loss can be smoothed (an exponential moving
// average with TensorBoard's start-up correction) over the raw curve, which stays faint.
#pragma once

#include "run_state.h"

#include <QWidget>

namespace traindx {

namespace widgets {
class CurvePlot;
}

class CurvesPanel : public QWidget {
    Q_OBJECT
public:
    explicit CurvesPanel(QWidget* parent = nullptr);

    void setState(const RunStatePtr& state);
    // The batch loss's spread over the ranks of a job, step by step: a band behind the curve
    // of the rank shown. Fewer than two ranks with points remove it.
    void setRankSpread(const QVector<RunStatePtr>& ranks);
    // Draws the next state from scratch (another rank's run, not more of this one).
    void restart() { m_pointsShown = -1; m_epochsShown = -1; m_changesShown = -1; m_lastStepShown = -1; }
    // 0 (off) to 0.999: the weight of the past in the moving average.
    void setSmoothing(double weight);
    static QString smoothedName();
    widgets::CurvePlot* lossPlot() const { return m_loss; }
    widgets::CurvePlot* accuracyPlot() const { return m_accuracy; }

private:
    widgets::CurvePlot* m_loss;
    widgets::CurvePlot* m_accuracy;
    void smoothFrom(int first);
    RunStatePtr m_state;
    double m_smoothing = 0;
    double m_ema = 0;      // biased average over the points smoothed so far
    int m_emaCount = 0;    // finite points in it
    int m_changesShown = 0;
    int m_pointsShown = -1;
    int m_epochsShown = -1;
    qint64 m_lastStepShown = -1;
};

} // namespace traindx
