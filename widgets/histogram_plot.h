// A histogram of one tensor over time: the latest sample drawn bold and filled, a few
// earlier ones faded behind it. Counts per bin by default; as fractions of the values, or
// as densities when samples of different ranges are compared. Drag and wheel zoom,
// double-click resets, the bin under the cursor is said in a tooltip.
#pragma once

#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPItemText;
class QLabel;

namespace traindx::widgets {

struct HistogramSeries {
    double lo = 0;
    double hi = 0;
    QVector<quint32> bins;
    QString label; // "epoch 3"
    QString note;  // said over the plot when this is the latest series: "every value is 0"
};

enum class HistogramScale { Count, Fraction, Density };

class HistogramPlot : public QWidget {
    Q_OBJECT
public:
    explicit HistogramPlot(QWidget* parent = nullptr);

    void setScale(HistogramScale scale);
    HistogramScale scale() const { return m_scale; }
    // "[-0.12, -0.1): 37 values (epoch 3)" for the latest series' bin at x; empty outside it.
    QString valueAt(double x) const;
    // Back to the whole of the data, as a double-click does.
    void resetView();

    void setTitle(const QString& title);
    // Oldest first; the last one is the latest and is emphasised.
    void setSeries(const QVector<HistogramSeries>& series);
    // Shown instead of the plot when there is nothing to draw.
    void setPlaceholder(const QString& text);
    void setLogScale(bool on);

    int seriesCount() const { return m_seriesCount; }
    QString placeholder() const;
    QCustomPlot* plot() const { return m_plot; }

private:
    QLabel* m_title;
    QLabel* m_placeholder;
    QCustomPlot* m_plot;
    QCPItemText* m_note;
    int m_seriesCount = 0;
    bool m_log = false;
    HistogramScale m_scale = HistogramScale::Count;
    QVector<HistogramSeries> m_series; // as last set, to redraw in another scale
    void draw();
    void placeLegend();
};

} // namespace traindx::widgets
