// Two runs side by side: their loss and accuracy curves overlaid, the same layer's latest
// histogram from each, and what the second run fixed, added and shares with the first.
#pragma once

#include "run_comparison.h"

#include <QDialog>

class QComboBox;
class QTextBrowser;

namespace traindx {

namespace widgets {
class CurvePlot;
class HistogramPlot;
}

class CompareDialog : public QDialog {
    Q_OBJECT
public:
    CompareDialog(const QString& pathA, const RunStatePtr& a, const QString& pathB, const RunStatePtr& b,
                  QWidget* parent = nullptr);

    widgets::CurvePlot* lossPlot() const { return m_loss; }
    widgets::HistogramPlot* histogramPlot() const { return m_histogram; }
    QComboBox* layerChoice() const { return m_layer; }
    QString findingsText() const;

private:
    void showLayer();

    RunStatePtr m_a, m_b;
    widgets::CurvePlot* m_loss;
    widgets::CurvePlot* m_accuracy;
    widgets::HistogramPlot* m_histogram;
    QComboBox* m_layer;
    QComboBox* m_kind;
    QTextBrowser* m_findings;
};

} // namespace traindx
