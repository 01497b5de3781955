#include "graph_layout.h"

#include <QMutex>
#include <QTextStream>

#include <graphviz/gvc.h>

namespace traindx::widgets {

namespace {

QMutex graphvizMutex;

QString quoted(QString text)
{
    text.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    text.replace(QLatin1Char('"'), QStringLiteral("\\\""));
    return QLatin1Char('"') + text + QLatin1Char('"');
}

QString dotSource(const GraphSpec& spec)
{
    QString dot;
    QTextStream out(&dot);
    out << "digraph network {\n";
    out << "  rankdir=" << (spec.leftToRight ? "LR" : "TB") << "; nodesep=0.25; ranksep=0.3;\n";
    out << "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11, margin=\"0.15,0.06\"];\n";
    out << "  edge [color=\"#7a8699\", arrowsize=0.7];\n";
    auto node = [&out](const GraphNode& n, int index) {
        out << "  n" << index << " [label=" << quoted(n.detail.isEmpty() ? n.title : n.title + QLatin1Char('\n') + n.detail)
            << ", fillcolor=" << quoted(severityFill(n.severity)) << ", color=" << quoted(severityStroke(n.severity))
            << ", penwidth=" << (n.emphasised ? 3.0 : n.severity > 0 ? 1.6 : 1.0) << "];\n";
    };
    QHash<QString, QVector<int>> clusters;
    for (int i = 0; i < spec.nodes.size(); ++i) {
        if (spec.nodes[i].cluster.isEmpty())
            node(spec.nodes[i], i);
        else
            clusters[spec.nodes[i].cluster].append(i);
    }
    int c = 0;
    for (auto it = clusters.cbegin(); it != clusters.cend(); ++it, ++c) {
        out << "  subgraph cluster_" << c << " {\n    label=" << quoted(spec.clusterTitles.value(it.key(), it.key()))
            << "; style=\"rounded,dashed\"; color=\"#9aa5b8\"; fontname=\"Helvetica\"; fontsize=10;\n";
        for (int i : it.value())
            node(spec.nodes[i], i);
        out << "  }\n";
    }
    QHash<QString, int> index;
    for (int i = 0; i < spec.nodes.size(); ++i)
        index.insert(spec.nodes[i].id, i);
    for (const auto& edge : spec.edges)
        if (index.contains(edge.from) && index.contains(edge.to))
            out << "  n" << index.value(edge.from) << " -> n" << index.value(edge.to) << ";\n";
    out << "}\n";
    return dot;
}

// Reads Graphviz's "plain" output: positions in inches, y pointing up.
void readPlain(const QByteArray& plain, const GraphSpec& spec, GraphLayout& layout)
{
    constexpr double points = 72.0;
    double height = 0;
    QHash<QString, int> index;
    for (int i = 0; i < spec.nodes.size(); ++i)
        index.insert(spec.nodes[i].id, i);
    QHash<QPair<int, int>, QPainterPath> curves;
    for (const QByteArray& line : plain.split('\n')) {
        const QList<QByteArray> f = line.split(' ');
        if (f.size() >= 4 && f[0] == "graph") {
            layout.size = QSizeF(f[2].toDouble() * points, f[3].toDouble() * points);
            height = f[3].toDouble();
        } else if (f.size() >= 6 && f[0] == "node") {
            const int i = f[1].mid(1).toInt();
            if (i < 0 || i >= spec.nodes.size())
                continue;
            const double x = f[2].toDouble(), y = height - f[3].toDouble(), w = f[4].toDouble(), h = f[5].toDouble();
            layout.nodes.insert(spec.nodes[i].id, QRectF((x - w / 2) * points, (y - h / 2) * points, w * points, h * points));
        } else if (f.size() >= 4 && f[0] == "edge") {
            const int from = f[1].mid(1).toInt(), to = f[2].mid(1).toInt(), n = f[3].toInt();
            if (f.size() < 4 + 2 * n || n < 1)
                continue;
            QPainterPath path;
            auto at = [&](int k) { return QPointF(f[4 + 2 * k].toDouble() * points, (height - f[5 + 2 * k].toDouble()) * points); };
            path.moveTo(at(0));
            for (int k = 1; k + 2 < n; k += 3)
                path.cubicTo(at(k), at(k + 1), at(k + 2));
            curves.insert({from, to}, path);
        }
    }
    for (const auto& edge : spec.edges)
        layout.edges.append(curves.value({index.value(edge.from, -1), index.value(edge.to, -1)}));
}

} // namespace

QString severityFill(int severity)
{
    switch (severity) {
    case 0: return QStringLiteral("#e7f4ea");
    case 1: return QStringLiteral("#fff1cc");
    default: return QStringLiteral("#f9d6d5");
    }
}

QString severityStroke(int severity)
{
    switch (severity) {
    case 0: return QStringLiteral("#5c8f6a");
    case 1: return QStringLiteral("#c98a00");
    default: return QStringLiteral("#c62828");
    }
}

GraphLayout layoutGraph(const GraphSpec& spec, bool withSvg)
{
    GraphLayout layout;
    const QByteArray dot = dotSource(spec).toUtf8();
    QMutexLocker lock(&graphvizMutex);
    GVC_t* gvc = gvContext();
    Agraph_t* graph = agmemread(dot.constData());
    if (!graph) {
        layout.error = QStringLiteral("Graphviz could not read the graph");
        gvFreeContext(gvc);
        return layout;
    }
    if (gvLayout(gvc, graph, "dot") != 0) {
        layout.error = QStringLiteral("Graphviz could not lay out the graph (is the dot plugin installed?)");
    } else {
        char* data = nullptr;
        unsigned int length = 0;
        if (gvRenderData(gvc, graph, "plain", &data, &length) == 0) {
            readPlain(QByteArray(data, int(length)), spec, layout);
            gvFreeRenderData(data);
            layout.ok = true;
        }
        if (withSvg && gvRenderData(gvc, graph, "svg", &data, &length) == 0) {
            layout.svg = QByteArray(data, int(length));
            gvFreeRenderData(data);
        }
        gvFreeLayout(gvc, graph);
    }
    agclose(graph);
    gvFreeContext(gvc);
    return layout;
}

} // namespace traindx::widgets
