#include "histogram_plot.h"

#include "plot_export.h"
#include "plot_style.h"

#include <QLabel>
#include <QMouseEvent>
#include <QToolTip>
#include <QStackedLayout>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace traindx::widgets {

namespace {

QString number(double value)
{
    return QString::number(value, 'g', 4);
}

QString axisLabel(HistogramScale scale)
{
    switch (scale) {
    case HistogramScale::Count: return QObject::tr("values per bin");
    case HistogramScale::Fraction: return QObject::tr("fraction of values");
    case HistogramScale::Density: return QObject::tr("density");
    }
    return {};
}

// Step outline of a histogram, x at bin edges; y the bin's count, its share of the values,
// or count / (total * width).
void outline(const HistogramSeries& series, HistogramScale scale, QVector<double>& xs, QVector<double>& ys)
{
    const int n = series.bins.size();
    double total = 0;
    for (auto count : series.bins)
        total += count;
    double lo = series.lo, hi = series.hi;
    if (!(hi > lo)) { // every value equal: one narrow bar centred on it
        const double half = std::max(std::abs(lo) * 0.01, 1e-6);
        const double barHalf = half / n;
        xs = {lo - half, lo - barHalf, lo - barHalf, lo + barHalf, lo + barHalf, lo + half};
        const double height = total <= 0                         ? 0
            : scale == HistogramScale::Count                        ? total
            : scale == HistogramScale::Fraction                     ? 1.0
                                                                     : 1.0 / (2 * barHalf);
        ys = {0, 0, height, height, 0, 0};
        return;
    }
    const double width = (hi - lo) / std::max(1, n);
    // Empty bins at either end are left out: a histogram on a grid wider than its values (a
    // job's, whose bins the ranks add up) is drawn where its values are.
    int first = 0, last = n - 1;
    while (total > 0 && first < last && series.bins[first] == 0)
        ++first;
    while (total > 0 && last > first && series.bins[last] == 0)
        --last;
    xs.clear();
    ys.clear();
    xs.append(lo + first * width);
    ys.append(0);
    for (int i = first; i <= last; ++i) {
        const double height = total <= 0                         ? 0
            : scale == HistogramScale::Count                        ? double(series.bins[i])
            : scale == HistogramScale::Fraction                     ? series.bins[i] / total
                                                                     : series.bins[i] / (total * width);
        xs.append(lo + i * width);
        ys.append(height);
        xs.append(lo + (i + 1) * width);
        ys.append(height);
    }
    xs.append(lo + (last + 1) * width);
    ys.append(0);
}

} // namespace

HistogramPlot::HistogramPlot(QWidget* parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_placeholder(new QLabel(this))
    , m_plot(new QCustomPlot(this))
    , m_note(new QCPItemText(m_plot))
{
    QVBoxLayout* layout = framePlot(this, m_title);

    auto* stack = new QWidget(this);
    auto* stackLayout = new QStackedLayout(stack);
    stackLayout->addWidget(m_plot);
    stackLayout->addWidget(m_placeholder);
    layout->addWidget(stack, 1);

    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setStyleSheet(QStringLiteral("color: #777;"));
    applyPlotStyle(m_plot);
    enablePlotExport(m_plot, QStringLiteral("histogram"));
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(QFont(font().family(), 8));
    m_plot->legend->setBrush(QColor(255, 255, 255, 200));
    m_plot->legend->setBorderPen(QPen(QColor(0xcc, 0xcc, 0xcc)));
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    m_note->setPositionAlignment(Qt::AlignTop | Qt::AlignHCenter);
    m_note->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_note->position->setCoords(0.5, 0.08);
    m_note->setFont(QFont(font().family(), 10, QFont::Bold));
    m_note->setColor(QColor(0xb0, 0x30, 0x20));
    m_note->setBrush(QColor(255, 255, 255, 220));
    m_note->setPadding(QMargins(6, 3, 6, 3));
    m_plot->yAxis->setLabel(axisLabel(m_scale));
    m_plot->setMinimumHeight(120);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] { resetView(); });
    showValueOnHover(m_plot, [this](double x) { return valueAt(x); });
    setPlaceholder(tr("No data yet"));
}

void HistogramPlot::setScale(HistogramScale scale)
{
    m_scale = scale;
    m_plot->yAxis->setLabel(axisLabel(scale));
    draw();
}

QString HistogramPlot::valueAt(double x) const
{
    if (m_series.isEmpty() || m_series.last().bins.isEmpty())
        return {};
    const HistogramSeries& latest = m_series.last();
    const int n = latest.bins.size();
    if (!(latest.hi > latest.lo)) {
        quint64 total = 0;
        for (auto count : latest.bins)
            total += count;
        return tr("all %1 values are %2 (%3)").arg(total).arg(number(latest.lo), latest.label);
    }
    if (x < latest.lo || x > latest.hi)
        return {};
    const double width = (latest.hi - latest.lo) / n;
    const int bin = std::clamp(int((x - latest.lo) / width), 0, n - 1);
    return tr("[%1, %2): %3 values (%4)")
        .arg(number(latest.lo + bin * width), number(latest.lo + (bin + 1) * width))
        .arg(latest.bins[bin])
        .arg(latest.label);
}

void HistogramPlot::resetView()
{
    if (m_seriesCount == 0)
        return;
    m_plot->rescaleAxes();
    m_plot->yAxis->setRangeLower(!m_log ? 0 : m_scale == HistogramScale::Count ? 0.5 : 1e-6);
    m_plot->yAxis->scaleRange(1.08, m_plot->yAxis->range().lower);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

// In the top corner over the side of the latest histogram that holds less of its values.
void HistogramPlot::placeLegend()
{
    if (m_series.isEmpty())
        return;
    const auto& bins = m_series.last().bins;
    double left = 0, right = 0;
    for (int i = 0; i < bins.size(); ++i)
        (2 * i < bins.size() ? left : right) += bins[i];
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | (right > left ? Qt::AlignLeft : Qt::AlignRight));
}

void HistogramPlot::setTitle(const QString& title)
{
    m_title->setText(title);
}

void HistogramPlot::setPlaceholder(const QString& text)
{
    m_placeholder->setText(text);
    if (m_seriesCount == 0)
        static_cast<QStackedLayout*>(m_plot->parentWidget()->layout())->setCurrentWidget(m_placeholder);
}

QString HistogramPlot::placeholder() const
{
    return m_seriesCount == 0 ? m_placeholder->text() : QString();
}

void HistogramPlot::setLogScale(bool on)
{
    m_log = on;
    m_plot->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    resetView();
}

void HistogramPlot::setSeries(const QVector<HistogramSeries>& series)
{
    m_series = series;
    draw();
}

void HistogramPlot::draw()
{
    const QVector<HistogramSeries>& series = m_series;
    // Exported as the bins themselves: a row per bin of each series.
    QString csv = QStringLiteral("series,bin_low,bin_high,count\n");
    for (const auto& one : series) {
        const int n = one.bins.size();
        QString name = one.label;
        name.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        for (int i = 0; i < n; ++i) {
            const double width = (one.hi - one.lo) / n;
            csv += QStringLiteral("\"%1\",%2,%3,%4\n")
                       .arg(name, QString::number(one.lo + i * width, 'g', 10), QString::number(one.lo + (i + 1) * width, 'g', 10))
                       .arg(one.bins[i]);
        }
    }
    m_plot->setProperty(kCsvProperty, csv);
    m_plot->clearGraphs();
    m_seriesCount = 0;
    QVector<double> xs, ys;
    const int count = series.size();
    for (int i = 0; i < count; ++i) {
        if (series[i].bins.isEmpty())
            continue;
        outline(series[i], m_scale, xs, ys);
        QCPGraph* graph = m_plot->addGraph();
        graph->setData(xs, ys, true);
        graph->setName(series[i].label);
        const bool latest = i == count - 1;
        QColor color = seriesColor(0);
        if (latest) {
            graph->setPen(QPen(color.darker(130), 2.2));
            QColor fill = color;
            fill.setAlpha(60);
            graph->setBrush(fill);
        } else {
            // Older samples fade: the oldest is the faintest.
            color.setAlpha(40 + 120 * (i + 1) / count);
            graph->setPen(QPen(color, 1.0));
        }
        ++m_seriesCount;
    }
    auto* stack = static_cast<QStackedLayout*>(m_plot->parentWidget()->layout());
    if (m_seriesCount == 0) {
        stack->setCurrentWidget(m_placeholder);
        return;
    }
    stack->setCurrentWidget(m_plot);
    // A lone sample with a note says its label in the note: a legend would cover it.
    const bool lone = m_seriesCount == 1 && !series.last().note.isEmpty();
    m_note->setText(lone ? QStringLiteral("%1 (%2)").arg(series.last().note, series.last().label) : series.last().note);
    m_note->setVisible(!series.last().note.isEmpty());
    m_plot->legend->setVisible(!lone);
    placeLegend();
    resetView();
}

} // namespace traindx::widgets
