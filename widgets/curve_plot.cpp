#include "curve_plot.h"

#include "plot_export.h"
#include "plot_style.h"

#include <QLabel>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <cmath>

namespace traindx::widgets {

CurvePlot::CurvePlot(QWidget* parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_plot(new QCustomPlot(this))
{
    QVBoxLayout* layout = framePlot(this, m_title);
    layout->addWidget(m_plot, 1);
    applyPlotStyle(m_plot);
    enablePlotExport(m_plot, QStringLiteral("curve"));
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(QFont(font().family(), 8));
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setMinimumHeight(120);
}

void CurvePlot::setTitle(const QString& title)
{
    m_title->setText(title);
}

void CurvePlot::setAxisLabels(const QString& x, const QString& y)
{
    m_plot->xAxis->setLabel(x);
    m_plot->yAxis->setLabel(y);
}

void CurvePlot::setLogScale(bool on)
{
    m_plot->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CurvePlot::setCurve(const QString& name, const QVector<double>& xs, const QVector<double>& ys, int colorIndex,
                         Style style)
{
    QCPGraph* graph = m_graphs.value(name);
    if (!graph) {
        graph = m_plot->addGraph();
        graph->setName(name);
        m_graphs.insert(name, graph);
    }
    const QColor color = seriesColor(colorIndex);
    graph->setPen(style == Style::Points ? QPen(Qt::NoPen) : QPen(color, 1.4));
    graph->setLineStyle(style == Style::Points ? QCPGraph::lsNone : QCPGraph::lsLine);
    graph->setScatterStyle(style == Style::Line ? QCPScatterStyle()
                                                : QCPScatterStyle(QCPScatterStyle::ssCircle, color, color, 5));
    graph->data()->clear();
    appendToCurve(name, xs, ys);
}

void CurvePlot::appendToCurve(const QString& name, const QVector<double>& xs, const QVector<double>& ys)
{
    QCPGraph* graph = m_graphs.value(name);
    if (!graph)
        return;
    // Non-finite values cannot be drawn; they leave a gap, which is what the eye should see.
    QVector<double> finiteX, finiteY;
    finiteX.reserve(xs.size());
    finiteY.reserve(ys.size());
    for (int i = 0; i < std::min(xs.size(), ys.size()); ++i) {
        if (std::isfinite(ys[i])) {
            finiteX.append(xs[i]);
            finiteY.append(ys[i]);
        }
    }
    graph->addData(finiteX, finiteY, true);
    m_plot->rescaleAxes();
    m_plot->yAxis->scaleRange(1.1, m_plot->yAxis->range().center());
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

int CurvePlot::pointCount(const QString& name) const
{
    const QCPGraph* graph = m_graphs.value(name);
    return graph ? graph->dataCount() : 0;
}

void CurvePlot::clear()
{
    m_plot->clearGraphs();
    m_graphs.clear();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace traindx::widgets
