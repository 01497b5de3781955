// The network as a graph: layers as boxes coloured by health, edges in data-flow order.
// Layout runs on a worker thread (Graphviz dot); recolouring and selection never re-lay out.
#pragma once

#include "graph_layout.h"

#include <QFutureWatcher>
#include <QGraphicsView>

namespace traindx::widgets {

class NetworkGraphView : public QGraphicsView {
    Q_OBJECT
public:
    explicit NetworkGraphView(QWidget* parent = nullptr);
    ~NetworkGraphView() override;

    // Lays the graph out again only when its structure (nodes, edges, clusters) changed.
    void setGraph(const GraphSpec& spec);
    void setSelected(const QString& id);
    // Marks a node as the one to look at and scrolls it into view.
    void highlight(const QString& id);

    QString selected() const { return m_selected; }
    QString highlighted() const { return m_highlighted; }
    bool isLayingOut() const { return m_watcher.isRunning(); }
    int nodeCount() const;
    // The colour a node is drawn with, for tests: its severity as drawn.
    int drawnSeverity(const QString& id) const;
    QString nodeToolTip(const QString& id) const;
    // The whole network in view (View ▸ Fit graph).
    void fitAll();

Q_SIGNALS:
    void nodeClicked(const QString& id);
    void nodeDoubleClicked(const QString& id);
    void layoutFinished();

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;

private:
    class NodeItem;
    void applyLayout();
    void restyle();
    NodeItem* nodeAt(const QPoint& position) const;
    static QString structureKey(const GraphSpec& spec);

    QGraphicsScene* m_scene;
    GraphSpec m_spec;
    QString m_structure;
    QFutureWatcher<GraphLayout> m_watcher;
    bool m_pending = false;
    QHash<QString, NodeItem*> m_nodes;
    QString m_selected;
    QString m_highlighted;
    bool m_fitted = false;
};

} // namespace traindx::widgets
