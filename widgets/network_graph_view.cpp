#include "network_graph_view.h"

#include <QGraphicsPathItem>
#include <QGraphicsSimpleTextItem>
#include <QMouseEvent>
#include <QPainter>
#include <QStyleOptionGraphicsItem>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>

namespace traindx::widgets {

class NetworkGraphView::NodeItem : public QGraphicsItem {
public:
    NodeItem(const GraphNode& node, const QRectF& rect)
        : m_node(node)
        , m_rect(rect)
    {
        applyToolTip();
    }

    void applyToolTip()
    {
        setToolTip(!m_node.toolTip.isEmpty() ? m_node.toolTip
                   : m_node.detail.isEmpty() ? m_node.title
                                             : m_node.title + QLatin1Char('\n') + m_node.detail);
    }

    QRectF boundingRect() const override { return m_rect.adjusted(-4, -4, 4, 4); }

    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) override
    {
        const qreal detail = option->levelOfDetailFromTransform(painter->worldTransform());
        QPen pen(QColor(severityStroke(m_node.severity)), m_highlighted ? 3.2 : m_node.severity > 0 ? 1.8 : 1.0);
        if (m_selected) {
            pen.setColor(QColor(0x1f, 0x6f, 0xd1));
            pen.setWidthF(2.6);
        }
        painter->setPen(pen);
        painter->setBrush(QColor(severityFill(m_node.severity)));
        painter->drawRoundedRect(m_rect, 6, 6);
        if (detail < 0.35)
            return; // far away: the box is the message, text would be noise
        painter->setPen(QColor(0x20, 0x24, 0x2c));
        QFont font = painter->font();
        font.setPointSizeF(9);
        painter->setFont(font);
        const QString text = m_node.detail.isEmpty() ? m_node.title : m_node.title + QLatin1Char('\n') + m_node.detail;
        painter->drawText(m_rect, Qt::AlignCenter, text);
    }

    const GraphNode& node() const { return m_node; }
    void setNode(const GraphNode& node)
    {
        m_node = node;
        applyToolTip();
        update();
    }
    void setSelected(bool on)
    {
        m_selected = on;
        update();
    }
    void setHighlighted(bool on)
    {
        m_highlighted = on;
        update();
    }

private:
    GraphNode m_node;
    QRectF m_rect;
    bool m_selected = false;
    bool m_highlighted = false;
};

NetworkGraphView::NetworkGraphView(QWidget* parent)
    : QGraphicsView(parent)
    , m_scene(new QGraphicsScene(this))
{
    setScene(m_scene);
    setRenderHint(QPainter::Antialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setViewportUpdateMode(QGraphicsView::MinimalViewportUpdate);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setBackgroundBrush(QColor(0xfb, 0xfc, 0xfd));
    connect(&m_watcher, &QFutureWatcher<GraphLayout>::finished, this, &NetworkGraphView::applyLayout);
}

NetworkGraphView::~NetworkGraphView()
{
    m_watcher.waitForFinished();
}

QString NetworkGraphView::structureKey(const GraphSpec& spec)
{
    QStringList parts;
    for (const auto& node : spec.nodes)
        parts.append(node.id + QLatin1Char('|') + node.title + QLatin1Char('|') + node.detail + QLatin1Char('|') + node.cluster);
    for (const auto& edge : spec.edges)
        parts.append(edge.from + QStringLiteral("->") + edge.to);
    return parts.join(QLatin1Char(';'));
}

void NetworkGraphView::setGraph(const GraphSpec& spec)
{
    const QString structure = structureKey(spec);
    m_spec = spec;
    if (structure == m_structure) {
        restyle();
        return;
    }
    m_structure = structure;
    if (m_watcher.isRunning()) {
        m_pending = true; // lay out the newest spec once the running layout is done
        return;
    }
    m_watcher.setFuture(QtConcurrent::run([spec] { return layoutGraph(spec, false); }));
}

void NetworkGraphView::applyLayout()
{
    if (m_pending) {
        m_pending = false;
        const GraphSpec spec = m_spec;
        m_watcher.setFuture(QtConcurrent::run([spec] { return layoutGraph(spec, false); }));
        return;
    }
    const GraphLayout layout = m_watcher.result();
    m_scene->clear();
    m_nodes.clear();
    if (!layout.ok) {
        m_scene->addSimpleText(layout.error);
        return;
    }
    QPen edgePen(QColor(0x7a, 0x86, 0x99), 1.2);
    for (int i = 0; i < layout.edges.size(); ++i) {
        const QPainterPath& path = layout.edges[i];
        if (path.isEmpty())
            continue;
        m_scene->addPath(path, edgePen)->setZValue(-1);
        // Arrowhead at the end of the curve, pointing along it.
        const QPointF tip = path.pointAtPercent(1.0), back = path.pointAtPercent(0.97);
        const double angle = std::atan2(tip.y() - back.y(), tip.x() - back.x());
        QPolygonF head;
        head << tip << tip - QPointF(std::cos(angle - 0.4) * 7, std::sin(angle - 0.4) * 7)
             << tip - QPointF(std::cos(angle + 0.4) * 7, std::sin(angle + 0.4) * 7);
        m_scene->addPolygon(head, edgePen, QColor(0x7a, 0x86, 0x99))->setZValue(-1);
    }
    for (const auto& node : m_spec.nodes) {
        if (!layout.nodes.contains(node.id))
            continue;
        auto* item = new NodeItem(node, layout.nodes.value(node.id));
        m_scene->addItem(item);
        m_nodes.insert(node.id, item);
    }
    m_scene->setSceneRect(m_scene->itemsBoundingRect().adjusted(-20, -20, 20, 20));
    restyle();
    if (!m_fitted) {
        m_fitted = true;
        fitInView(m_scene->sceneRect(), Qt::KeepAspectRatio);
        if (transform().m11() < 0.6) { // a big network: readable boxes beat seeing it all
            resetTransform();
            scale(0.6, 0.6);
        } else if (transform().m11() > 1.3) {
            resetTransform();
            scale(1.3, 1.3);
        }
    }
    if (!m_highlighted.isEmpty())
        highlight(m_highlighted);
    Q_EMIT layoutFinished();
}

void NetworkGraphView::restyle()
{
    for (const auto& node : m_spec.nodes)
        if (NodeItem* item = m_nodes.value(node.id)) {
            item->setNode(node);
            item->setSelected(node.id == m_selected);
            item->setHighlighted(node.id == m_highlighted);
        }
}

void NetworkGraphView::setSelected(const QString& id)
{
    m_selected = id;
    restyle();
}

void NetworkGraphView::highlight(const QString& id)
{
    m_highlighted = id;
    restyle();
    if (NodeItem* item = m_nodes.value(id))
        ensureVisible(item, 40, 40);
}

int NetworkGraphView::nodeCount() const
{
    return m_nodes.size();
}

void NetworkGraphView::fitAll()
{
    if (!m_scene->items().isEmpty())
        fitInView(m_scene->sceneRect(), Qt::KeepAspectRatio);
}

QString NetworkGraphView::nodeToolTip(const QString& id) const
{
    const NodeItem* item = m_nodes.value(id);
    return item ? item->toolTip() : QString();
}

int NetworkGraphView::drawnSeverity(const QString& id) const
{
    const NodeItem* item = m_nodes.value(id);
    return item ? item->node().severity : -1;
}

NetworkGraphView::NodeItem* NetworkGraphView::nodeAt(const QPoint& position) const
{
    for (QGraphicsItem* item : items(position))
        for (auto it = m_nodes.cbegin(); it != m_nodes.cend(); ++it)
            if (it.value() == item)
                return it.value();
    return nullptr;
}

void NetworkGraphView::mousePressEvent(QMouseEvent* event)
{
    if (NodeItem* item = nodeAt(event->pos()); item && event->button() == Qt::LeftButton)
        Q_EMIT nodeClicked(item->node().id);
    QGraphicsView::mousePressEvent(event);
}

void NetworkGraphView::mouseDoubleClickEvent(QMouseEvent* event)
{
    if (NodeItem* item = nodeAt(event->pos()))
        Q_EMIT nodeDoubleClicked(item->node().id);
    QGraphicsView::mouseDoubleClickEvent(event);
}

void NetworkGraphView::wheelEvent(QWheelEvent* event)
{
    if (event->modifiers() & Qt::ControlModifier) {
        const double factor = event->angleDelta().y() > 0 ? 1.15 : 1 / 1.15;
        scale(factor, factor);
        return;
    }
    QGraphicsView::wheelEvent(event);
}

} // namespace traindx::widgets
