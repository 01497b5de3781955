// Distributions over time: the selected layer's weights, gradients or outputs as a heat map
// of value against epoch.
#pragma once

#include "run_state.h"

#include <QWidget>

class QComboBox;
class QScrollArea;

namespace traindx {

namespace widgets {
class DistributionMap;
class HistogramGrid;
}

class DistributionPanel : public QWidget {
    Q_OBJECT
public:
    explicit DistributionPanel(QWidget* parent = nullptr);
    void setState(const RunStatePtr& state);
    void setLayer(int layer);
    widgets::DistributionMap* map() const { return m_map; }

private:
    void refresh();

    QComboBox* m_kind;
    widgets::DistributionMap* m_map;
    RunStatePtr m_state;
    int m_layer = -1;
    int m_shownEpochs = -1;
    int m_shownChanges = -1;
};

class OverviewPanel : public QWidget {
    Q_OBJECT
public:
    explicit OverviewPanel(QWidget* parent = nullptr);
    void setState(const RunStatePtr& state);
    widgets::HistogramGrid* grid() const { return m_grid; }

Q_SIGNALS:
    void layerClicked(int layer);

protected:
    void showEvent(QShowEvent* event) override
    {
        QWidget::showEvent(event);
        refresh();
    }

private:
    void refresh();

    QComboBox* m_kind;
    QScrollArea* m_scroll;
    widgets::HistogramGrid* m_grid;
    RunStatePtr m_state;
    quint64 m_shownRevision = 0;
};

} // namespace traindx
