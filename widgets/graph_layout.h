// Layered layout of a network graph with Graphviz dot (through libgvc): node boxes, edge
// curves, and the same picture as SVG for documents. Plain data in and out; safe to call
// from any thread (calls into Graphviz are serialised).
#pragma once

#include <QByteArray>
#include <QHash>
#include <QPainterPath>
#include <QRectF>
#include <QString>
#include <QVector>

namespace traindx::widgets {

struct GraphNode {
    QString id;
    QString title;    // "7 Softmax"
    QString detail;   // "[256, 1]"
    int severity = 0; // 0 healthy, 1 warning, 2 faulty
    bool emphasised = false;
    QString cluster;  // nodes with the same cluster are drawn inside one box (a module)
    QString toolTip;  // shown on hover; title and detail when empty
};

struct GraphEdge {
    QString from;
    QString to;
};

struct GraphSpec {
    QVector<GraphNode> nodes;
    QVector<GraphEdge> edges;
    QHash<QString, QString> clusterTitles;
    bool leftToRight = false;
};

struct GraphLayout {
    bool ok = false;
    QString error;
    QSizeF size;                   // points (1/72 inch), y pointing down
    QHash<QString, QRectF> nodes;  // by node id
    QVector<QPainterPath> edges;   // in GraphSpec::edges order
    QByteArray svg;
};

GraphLayout layoutGraph(const GraphSpec& spec, bool withSvg);

QString severityFill(int severity);
QString severityStroke(int severity);

} // namespace traindx::widgets
