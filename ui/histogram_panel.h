// The selected layer's histograms (weights, gradients, activations): the latest sample
// bold, the epochs before it faded.
#pragma once

#include "run_state.h"

#include <QWidget>

class QLineEdit;

namespace traindx {

namespace widgets {
class HistogramPlot;
}

class HistogramPanel : public QWidget {
    Q_OBJECT
public:
    explicit HistogramPanel(QWidget* parent = nullptr);

    void setLayer(int layerId);
    // Overlays these epochs (1 is the first, 0 the weights before training) instead of the
    // latest sample and the epochs before it; empty restores that default.
    void compareEpochs(const QVector<int>& epochs);
    // A new run: the epochs typed for the last one mean nothing here.
    void clearEpochFilter();
    void setState(const RunStatePtr& state);
    int layer() const { return m_layer; }
    widgets::HistogramPlot* plot(TensorKind kind) const;

    static constexpr int kEarlierEpochs = 4;

private:
    void refresh(bool force);

    struct Slot {
        TensorKind kind;
        widgets::HistogramPlot* plot;
        SnapshotPtr shown; // the latest sample drawn, to skip needless redraws
        int shownLayer = -2;
    };
    QVector<Slot> m_slots;
    RunStatePtr m_state;
    int m_layer = -1;
    QVector<int> m_compare;
    QLineEdit* m_compareEdit;
};

} // namespace traindx
