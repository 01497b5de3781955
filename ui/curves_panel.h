// Training curves: loss and accuracy per batch, epoch means and validation metrics.
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
    widgets::CurvePlot* lossPlot() const { return m_loss; }
    widgets::CurvePlot* accuracyPlot() const { return m_accuracy; }

private:
    widgets::CurvePlot* m_loss;
    widgets::CurvePlot* m_accuracy;
    int m_pointsShown = -1;
    int m_epochsShown = -1;
    qint64 m_lastStepShown = -1;
};

} // namespace traindx
