#include "distribution_map.h"

#include "plot_export.h"
#include "plot_style.h"

#include <QLabel>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <cmath>

namespace traindx::widgets {

DistributionMap::DistributionMap(QWidget* parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_plot(new QCustomPlot(this))
    , m_map(new QCPColorMap(m_plot->xAxis, m_plot->yAxis))
{
    QVBoxLayout* layout = framePlot(this, m_title);
    layout->addWidget(m_plot, 1);
    applyPlotStyle(m_plot);
    enablePlotExport(m_plot, QStringLiteral("distribution"));
    auto* scale = new QCPColorScale(m_plot);
    m_plot->plotLayout()->addElement(0, 1, scale);
    scale->setLabel(tr("density (log)"));
    m_map->setColorScale(scale);
    QCPColorGradient gradient(QCPColorGradient::gpThermal);
    m_map->setGradient(gradient);
    m_map->setInterpolate(false);
    m_plot->setMinimumHeight(160);
}

void DistributionMap::setTitle(const QString& title)
{
    m_title->setText(title);
}

void DistributionMap::setAxisLabels(const QString& x, const QString& y)
{
    m_plot->xAxis->setLabel(x);
    m_plot->yAxis->setLabel(y);
}

void DistributionMap::setMarkers(const QVector<QPair<double, QString>>& markers)
{
    for (QCPAbstractItem* item : std::as_const(m_markers))
        m_plot->removeItem(item);
    m_markers.clear();
    const QPen pen(QColor(0xe1, 0xbe, 0xe7), 1.5, Qt::DashLine); // light: it crosses the dark map
    for (const auto& [x, label] : markers) {
        auto* line = new QCPItemStraightLine(m_plot);
        for (QCPItemPosition* point : {line->point1, line->point2}) {
            point->setTypeX(QCPItemPosition::ptPlotCoords);
            point->setTypeY(QCPItemPosition::ptAxisRectRatio);
        }
        line->point1->setCoords(x, 0);
        line->point2->setCoords(x, 1);
        line->setPen(pen);
        auto* text = new QCPItemText(m_plot);
        text->position->setTypeX(QCPItemPosition::ptPlotCoords);
        text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        text->position->setCoords(x, 0.02);
        text->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
        text->setText(QLatin1Char(' ') + label);
        text->setColor(QColor(0x4a, 0x14, 0x8c));
        text->setBrush(QColor(255, 255, 255, 215));
        text->setFont(QFont(font().family(), 8));
        m_markers.append(line);
        m_markers.append(text);
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void DistributionMap::setColumns(const QVector<DistributionColumn>& columns)
{
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& c : columns)
        if (!c.bins.isEmpty() && std::isfinite(c.lo) && std::isfinite(c.hi)) {
            lo = std::min(lo, c.lo);
            hi = std::max(hi, c.hi);
        }
    m_columns = 0;
    if (!(hi >= lo)) {
        m_map->data()->clear();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    if (hi == lo) {
        lo -= 0.5;
        hi += 0.5;
    }
    const int n = columns.size();
    m_map->data()->setSize(n, kValueBins);
    m_map->data()->setRange(QCPRange(columns.first().x - 0.5, columns.last().x + 0.5), QCPRange(lo, hi));
    const double target = (hi - lo) / kValueBins;
    for (int i = 0; i < n; ++i) {
        const auto& c = columns[i];
        QVector<double> density(kValueBins, 0.0);
        double total = 0;
        for (auto count : c.bins)
            total += count;
        const int bins = c.bins.size();
        const double width = bins > 0 && c.hi > c.lo ? (c.hi - c.lo) / bins : 0;
        for (int b = 0; b < bins && total > 0; ++b) {
            const double share = c.bins[b] / total;
            if (width <= 0) { // a zero-width range: all at its one value
                density[std::clamp(int((c.lo - lo) / target), 0, kValueBins - 1)] += share;
                continue;
            }
            // The source bin spread over the target bins it overlaps, by the length of overlap:
            // a source bin as wide as a target bin must not leave its neighbour empty.
            const double from = c.lo + b * width, to = from + width;
            const int first = std::clamp(int((from - lo) / target), 0, kValueBins - 1);
            const int last = std::clamp(int((to - lo) / target), 0, kValueBins - 1);
            for (int t = first; t <= last; ++t) {
                const double overlap = std::min(to, lo + (t + 1) * target) - std::max(from, lo + t * target);
                if (overlap > 0)
                    density[t] += share * overlap / width;
            }
        }
        for (int t = 0; t < kValueBins; ++t)
            m_map->data()->setCell(i, t, density[t] > 0 ? std::log10(density[t]) : -6);
        ++m_columns;
    }
    m_map->setDataRange(QCPRange(-4, 0));
    m_plot->rescaleAxes();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace traindx::widgets
