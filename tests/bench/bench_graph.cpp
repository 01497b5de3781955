// traindx-bench-graph [NODES...]: how the network graph copes with big models. For each
// size: the Graphviz layout (off the UI thread in the application), building the scene,
// drawing the whole graph, a viewport repaint at the default zoom, and a recolour (what a
// new finding costs: no new layout).
#include "network_graph_view.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QPainter>
#include <QTest>

#include <cstdio>

using namespace traindx::widgets;

namespace {

// A stack of blocks of ten layers, each block a module, as a deep network has.
GraphSpec deepNetwork(int nodes)
{
    GraphSpec spec;
    const char* types[] = {"Linear", "BatchNorm1d", "ReLU", "Dropout", "Conv2d"};
    for (int i = 0; i < nodes; ++i) {
        GraphNode node;
        node.id = QString::number(i);
        node.title = QStringLiteral("%1  %2").arg(i).arg(QLatin1String(types[i % 5]));
        node.detail = QStringLiteral("[256, %1]").arg(64 + i % 7);
        node.cluster = QString::number(i / 10);
        spec.clusterTitles.insert(node.cluster, QStringLiteral("blocks.%1").arg(i / 10));
        spec.nodes.append(node);
        if (i > 0)
            spec.edges.append({QString::number(i - 1), QString::number(i)});
    }
    return spec;
}

} // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? QByteArray("offscreen") : qgetenv("QT_QPA_PLATFORM"));
    QApplication app(argc, argv);
    QList<int> sizes;
    for (int i = 1; i < argc; ++i)
        sizes.append(QByteArray(argv[i]).toInt());
    if (sizes.isEmpty())
        sizes = {100, 1000};

    std::printf("%-7s %12s %12s %14s %12s %12s\n", "nodes", "layout_ms", "scene_ms", "draw_all_ms", "repaint_ms", "recolour_ms");
    for (int nodes : sizes) {
        const GraphSpec spec = deepNetwork(nodes);
        QElapsedTimer timer;
        timer.start();
        const GraphLayout layout = layoutGraph(spec, false);
        const double layoutMs = timer.nsecsElapsed() / 1e6;
        if (!layout.ok) {
            std::fprintf(stderr, "layout failed: %s\n", qPrintable(layout.error));
            return 1;
        }

        NetworkGraphView view;
        view.resize(500, 800);
        view.show();
        timer.restart();
        view.setGraph(spec); // lays out on a worker thread, then builds the scene on this one
        while (view.nodeCount() < nodes)
            QTest::qWait(1);
        const double sceneMs = timer.nsecsElapsed() / 1e6 - layoutMs; // the layout is included in the wait

        QImage image(view.scene()->sceneRect().size().toSize() / 4, QImage::Format_ARGB32_Premultiplied);
        timer.restart();
        QPainter painter(&image);
        view.scene()->render(&painter);
        painter.end();
        const double drawMs = timer.nsecsElapsed() / 1e6;

        timer.restart();
        view.viewport()->repaint();
        const double repaintMs = timer.nsecsElapsed() / 1e6;

        GraphSpec recoloured = spec;
        recoloured.nodes[nodes / 2].severity = 2;
        timer.restart();
        view.setGraph(recoloured);
        view.highlight(recoloured.nodes[nodes / 2].id);
        view.viewport()->repaint();
        const double recolourMs = timer.nsecsElapsed() / 1e6;
        std::printf("%-7d %12.1f %12.1f %14.1f %12.1f %12.1f\n", nodes, layoutMs, std::max(0.0, sceneMs), drawMs, repaintMs,
                    recolourMs);
    }
    return 0;
}
