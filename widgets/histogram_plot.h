// A histogram of one tensor over time: the latest sample drawn bold and filled, a few
// earlier ones faded behind it, each normalised to a density so ranges can differ.
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

class HistogramPlot : public QWidget {
    Q_OBJECT
public:
    explicit HistogramPlot(QWidget* parent = nullptr);

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
};

} // namespace traindx::widgets
