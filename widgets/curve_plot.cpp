#include "curve_plot.h"

#include "plot_export.h"
#include "plot_style.h"

#include <QLabel>
#include <QMouseEvent>
#include <QToolTip>
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
    // Once the user drags or zooms, new points no longer move the view; a double-click
    // brings back the whole curve and following it.
    connect(m_plot, &QCustomPlot::mousePress, this, [this] { m_following = false; });
    connect(m_plot, &QCustomPlot::mouseWheel, this, [this] { m_following = false; });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] { resetView(); });
    showValueOnHover(m_plot, [this](double x) { return valueAt(x); });
}

void CurvePlot::resetView()
{
    m_following = true;
    fitToData();
}

void CurvePlot::fitToData()
{
    m_plot->rescaleAxes();
    m_plot->yAxis->scaleRange(1.1, m_plot->yAxis->range().center());
    placeLegend();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

// The legend goes in the right-hand corner the curves leave free at their end: top for a
// falling loss, bottom for a rising accuracy.
void CurvePlot::placeLegend()
{
    const QCPRange x = m_plot->xAxis->range(), y = m_plot->yAxis->range();
    double sum = 0;
    int count = 0;
    for (QCPGraph* graph : std::as_const(m_graphs))
        for (auto it = graph->data()->findBegin(x.upper - 0.3 * x.size()); it != graph->data()->constEnd(); ++it) {
            sum += (it->value - y.lower) / std::max(y.size(), 1e-300);
            ++count;
        }
    const bool high = count > 0 && sum / count > 0.55;
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignRight | (high ? Qt::AlignBottom : Qt::AlignTop));
}

QString CurvePlot::valueAt(double x) const
{
    QStringList lines;
    double at = std::nan("");
    for (auto it = m_graphs.cbegin(); it != m_graphs.cend(); ++it) {
        const auto& data = *it.value()->data();
        if (data.isEmpty())
            continue;
        auto nearest = data.findBegin(x, true);
        if (nearest == data.constEnd())
            continue;
        if (std::next(nearest) != data.constEnd() && std::abs(std::next(nearest)->key - x) < std::abs(nearest->key - x))
            ++nearest;
        if (std::isnan(at))
            at = nearest->key;
        lines.append(QStringLiteral("%1: %2 (step %3)")
                         .arg(it.key(), QString::number(nearest->value, 'g', 5), QString::number(nearest->key, 'f', 0)));
    }
    lines.sort();
    return lines.join(QLatin1Char('\n'));
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
    graph->setName(name);
    m_bounds.insert(name, Bound());
    appendToCurve(name, xs, ys);
}

void CurvePlot::appendToCurve(const QString& name, const QVector<double>& xs, const QVector<double>& ys)
{
    QCPGraph* graph = m_graphs.value(name);
    if (!graph)
        return;
    // Non-finite values cannot be drawn; they leave a gap, which is what the eye should see.
    Bound& bound = m_bounds[name];
    QVector<double> finiteX, finiteY;
    finiteX.reserve(xs.size() / bound.stride + 1);
    finiteY.reserve(ys.size() / bound.stride + 1);
    for (int i = 0; i < std::min(xs.size(), ys.size()); ++i) {
        if (!std::isfinite(ys[i]))
            continue;
        bound.sumY += ys[i];
        if (++bound.pending < bound.stride)
            continue;
        finiteX.append(xs[i]);
        finiteY.append(bound.sumY / bound.pending);
        bound.pending = 0;
        bound.sumY = 0;
    }
    graph->addData(finiteX, finiteY, true);
    if (graph->dataCount() > kMaxPoints)
        coarsen(name, graph);
    if (m_following)
        fitToData();
    else
        m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CurvePlot::coarsen(const QString& name, QCPGraph* graph)
{
    Bound& bound = m_bounds[name];
    QVector<double> keys, values;
    const auto data = graph->data();
    for (int i = 0; i + 1 < data->size(); i += 2) {
        const auto first = data->at(i), second = data->at(i + 1);
        keys.append(second->key);
        values.append((first->value + second->value) / 2);
    }
    bound.stride *= 2;
    if (data->size() % 2) { // the odd one out starts the next bucket
        bound.sumY += data->at(data->size() - 1)->value * (bound.stride / 2);
        bound.pending += bound.stride / 2;
    }
    graph->setData(keys, values, true);
    graph->setName(tr("%1 (means of %2)").arg(name).arg(bound.stride));
}

int CurvePlot::pointCount(const QString& name) const
{
    const QCPGraph* graph = m_graphs.value(name);
    return graph ? graph->dataCount() : 0;
}

void CurvePlot::setMarkers(const QVector<QPair<double, QString>>& markers)
{
    for (QCPAbstractItem* item : std::as_const(m_markers))
        m_plot->removeItem(item);
    m_markers.clear();
    const QPen pen(QColor(0x6a, 0x1b, 0x9a), 1.2, Qt::DashLine);
    for (const auto& [step, label] : markers) {
        auto* line = new QCPItemStraightLine(m_plot);
        line->point1->setTypeX(QCPItemPosition::ptPlotCoords);
        line->point1->setTypeY(QCPItemPosition::ptAxisRectRatio);
        line->point2->setTypeX(QCPItemPosition::ptPlotCoords);
        line->point2->setTypeY(QCPItemPosition::ptAxisRectRatio);
        line->point1->setCoords(step, 0);
        line->point2->setCoords(step, 1);
        line->setPen(pen);
        auto* text = new QCPItemText(m_plot);
        text->position->setTypeX(QCPItemPosition::ptPlotCoords);
        text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        text->position->setCoords(step, 0.02);
        text->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
        text->setText(QLatin1Char(' ') + label);
        text->setColor(pen.color());
        text->setBrush(QColor(255, 255, 255, 215)); // readable over the curve it crosses
        text->setFont(QFont(font().family(), 8));
        m_markers.append(line);
        m_markers.append(text);
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CurvePlot::setBand(const QString& name, const QVector<double>& xs, const QVector<double>& lows,
                        const QVector<double>& highs, int colorIndex)
{
    if (xs.isEmpty()) {
        for (QCPGraph* graph : {m_bandLow, m_bandHigh})
            if (graph)
                m_plot->removeGraph(graph);
        m_bandLow = m_bandHigh = nullptr;
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    QColor color = seriesColor(colorIndex);
    if (!m_bandHigh) {
        m_bandLow = m_plot->addGraph();
        m_bandHigh = m_plot->addGraph();
        m_bandLow->removeFromLegend();
        m_bandHigh->setChannelFillGraph(m_bandLow);
        // Behind the curves it spreads around, over the grid.
        for (QCPGraph* graph : {m_bandLow, m_bandHigh})
            graph->setLayer(QStringLiteral("grid"));
    }
    color.setAlpha(110);
    for (QCPGraph* graph : {m_bandLow, m_bandHigh})
        graph->setPen(QPen(color, 0.8));
    color.setAlpha(60);
    m_bandHigh->setBrush(color);
    m_bandHigh->setName(name);
    const int stride = std::max<int>(1, int(xs.size() / kMaxPoints) + 1);
    QVector<double> x, low, high;
    for (int i = 0; i < xs.size(); i += stride) {
        double lo = lows[i], hi = highs[i];
        for (int j = i + 1; j < std::min<int>(i + stride, xs.size()); ++j) {
            lo = std::min(lo, lows[j]);
            hi = std::max(hi, highs[j]);
        }
        if (!std::isfinite(lo) || !std::isfinite(hi))
            continue;
        x.append(xs[i]);
        low.append(lo);
        high.append(hi);
    }
    m_bandLow->setData(x, low, true);
    m_bandHigh->setData(x, high, true);
    if (m_following)
        fitToData();
    else
        m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CurvePlot::removeCurve(const QString& name)
{
    if (QCPGraph* graph = m_graphs.take(name))
        m_plot->removeGraph(graph);
    m_bounds.remove(name);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CurvePlot::setCurveFaint(const QString& name, bool faint)
{
    QCPGraph* graph = m_graphs.value(name);
    if (!graph)
        return;
    QPen pen = graph->pen();
    QColor color = pen.color();
    if ((color.alpha() < 255) == faint)
        return;
    color.setAlpha(faint ? 70 : 255);
    pen.setColor(color);
    graph->setPen(pen);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void CurvePlot::clear()
{
    m_plot->clearGraphs();
    m_graphs.clear();
    m_bounds.clear();
    m_bandLow = m_bandHigh = nullptr;
    m_following = true;
    setMarkers({});
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace traindx::widgets
