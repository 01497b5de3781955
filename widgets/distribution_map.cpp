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
            // Spread the source bin over the target bins it covers (the centre, for a zero-width range).
            const double centre = width > 0 ? c.lo + (b + 0.5) * width : c.lo;
            const int t = std::clamp(int((centre - lo) / target), 0, kValueBins - 1);
            density[t] += c.bins[b] / total;
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
