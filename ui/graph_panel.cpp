#include "graph_panel.h"

#include "network_graph_view.h"

#include <QLocale>
#include <QVBoxLayout>

namespace traindx {

namespace {

// The outermost container below the root that holds `layer`, or -1.
int topContainer(const Model& model, int layer)
{
    int container = -1;
    for (const Layer* l = model.layer(layer); l && l->parent > 0; l = model.layer(l->parent))
        container = l->parent;
    return container;
}

} // namespace

GraphPanel::GraphPanel(QWidget* parent)
    : QWidget(parent)
    , m_view(new widgets::NetworkGraphView(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
    m_view->setObjectName(QStringLiteral("network-graph"));
    m_view->setToolTip(tr("Click a layer to inspect it; double-click a module to collapse or expand it; Ctrl+wheel zooms"));
    connect(m_view, &widgets::NetworkGraphView::nodeClicked, this, [this](const QString& id) {
        const int layer = id.startsWith(QLatin1Char('m')) ? id.mid(1).toInt() : id.toInt();
        Q_EMIT layerClicked(layer);
    });
    connect(m_view, &widgets::NetworkGraphView::nodeDoubleClicked, this, [this](const QString& id) {
        if (!m_state)
            return;
        if (id.startsWith(QLatin1Char('m'))) {
            m_collapsed.remove(id.mid(1).toInt());
        } else {
            const int container = topContainer(m_state->model, id.toInt());
            if (container < 0)
                return;
            m_collapsed.insert(container);
        }
        rebuild();
    });
}

// Type, shape and health, with the layer's most important finding.
QString GraphPanel::toolTipFor(const RunState& state, const Layer& layer)
{
    QStringList lines {layer.displayName() + (layer.path.isEmpty() ? QString() : QStringLiteral(" — %1").arg(layer.path)),
                       layer.options};
    if (!layer.outputShape.isEmpty())
        lines.append(QObject::tr("output %1").arg(shapeText(layer.outputShape)));
    if (layer.parameterCount() > 0)
        lines.append(QObject::tr("%1 parameters").arg(QLocale().toString(layer.parameterCount())));
    const Health health = state.layerHealth(layer.id);
    if (const auto kind = state.nonFiniteKind(layer.id))
        lines.append(QObject::tr("faulty: every value of its %1 is NaN or infinite").arg(tensorKindName(*kind)));
    for (const auto& f : state.findings)
        if (f.layer == layer.id) {
            lines.append(QObject::tr("%1: %2 (%3) — fix: %4")
                             .arg(health == Health::Faulty ? QObject::tr("faulty") : QObject::tr("warning"), symptomName(f.symptom),
                                  f.when(), fixClassName(f.fixClass)));
            break; // findings are ranked: the first is the one to read
        }
    if (health == Health::Healthy)
        lines.append(QObject::tr("healthy so far"));
    return lines.join(QLatin1Char('\n'));
}

widgets::GraphSpec GraphPanel::specFor(const RunState& state, const QSet<int>& collapsed)
{
    widgets::GraphSpec spec;
    const Model& model = state.model;
    auto representative = [&](int layer) {
        const int container = topContainer(model, layer);
        return container >= 0 && collapsed.contains(container) ? QStringLiteral("m%1").arg(container) : QString::number(layer);
    };
    QHash<QString, int> severity;
    for (const Layer& layer : model.layers) {
        if (layer.id == 0 || !layer.leaf)
            continue;
        const QString id = representative(layer.id);
        severity[id] = std::max(severity.value(id), int(state.layerHealth(layer.id)));
    }
    QSet<QString> added;
    for (const Layer& layer : model.layers) {
        if (layer.id == 0 || !layer.leaf)
            continue;
        const QString id = representative(layer.id);
        if (added.contains(id))
            continue;
        added.insert(id);
        widgets::GraphNode node;
        node.id = id;
        node.severity = severity.value(id);
        if (id.startsWith(QLatin1Char('m'))) {
            const Layer& container = model.layers[id.mid(1).toInt()];
            int count = 0;
            for (const Layer& l : model.layers)
                count += l.leaf && topContainer(model, l.id) == container.id;
            node.title = QStringLiteral("%1 %2").arg(container.path, container.type);
            node.detail = QObject::tr("%1 layers, collapsed").arg(count);
        } else {
            node.title = layer.index >= 0 ? QStringLiteral("%1  %2").arg(layer.index).arg(layer.type)
                                          : QStringLiteral("%1  %2").arg(layer.path, layer.type);
            if (!layer.outputShape.isEmpty())
                node.detail = shapeText(layer.outputShape);
            else if (!layer.parameters.isEmpty())
                node.detail = shapeText(layer.parameters.first().dims);
            node.toolTip = toolTipFor(state, layer);
            const int container = topContainer(model, layer.id);
            if (container >= 0) {
                node.cluster = QString::number(container);
                spec.clusterTitles.insert(node.cluster, model.layers[container].path + QStringLiteral(" (") + model.layers[container].type
                                                            + QLatin1Char(')'));
            }
        }
        spec.nodes.append(node);
    }
    QSet<QPair<QString, QString>> seen;
    for (const auto& [from, to] : model.edges) {
        const QString a = representative(from), b = representative(to);
        if (a != b && !seen.contains({a, b})) {
            seen.insert({a, b});
            spec.edges.append({a, b});
        }
    }
    spec.leftToRight = false;
    return spec;
}

int GraphPanel::visibleNodeFor(int layer) const
{
    if (!m_state)
        return layer;
    const int container = topContainer(m_state->model, layer);
    return container >= 0 && m_collapsed.contains(container) ? -container : layer;
}

void GraphPanel::rebuild()
{
    if (m_state)
        m_view->setGraph(specFor(*m_state, m_collapsed));
}

void GraphPanel::setState(const RunStatePtr& state)
{
    m_state = state;
    rebuild();
}

void GraphPanel::setSelectedLayer(int layer)
{
    const int node = visibleNodeFor(layer);
    m_view->setSelected(node < 0 ? QStringLiteral("m%1").arg(-node) : QString::number(node));
}

void GraphPanel::highlightLayer(int layer)
{
    const int node = visibleNodeFor(layer);
    m_view->highlight(node < 0 ? QStringLiteral("m%1").arg(-node) : QString::number(node));
}

} // namespace traindx
