// The network graph of the run: leaves in data-flow order, nested modules as boxes that
// a double click collapses into one node (and expands again), coloured by health.
#pragma once

#include "run_state.h"

#include <QSet>
#include <QWidget>

namespace traindx {

namespace widgets {
class NetworkGraphView;
struct GraphSpec;
}

class GraphPanel : public QWidget {
    Q_OBJECT
public:
    explicit GraphPanel(QWidget* parent = nullptr);

    void setState(const RunStatePtr& state);
    void setSelectedLayer(int layer);
    void highlightLayer(int layer);
    widgets::NetworkGraphView* view() const { return m_view; }

    // The graph of a model, with these modules collapsed; ids are layer ids as text.
    static widgets::GraphSpec specFor(const RunState& state, const QSet<int>& collapsed);
    static QString toolTipFor(const RunState& state, const Layer& layer);

Q_SIGNALS:
    void layerClicked(int layer);

private:
    void rebuild();
    int visibleNodeFor(int layer) const;

    widgets::NetworkGraphView* m_view;
    RunStatePtr m_state;
    QSet<int> m_collapsed;
};

} // namespace traindx
