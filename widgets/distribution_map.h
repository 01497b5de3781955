// A distribution over time as a heat map: one column per sample (epoch), value bins up
// the side, colour the density. Each sample's histogram is re-binned onto a common range.
#pragma once

#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPAbstractItem;
class QCPColorMap;
class QLabel;

namespace traindx::widgets {

struct DistributionColumn {
    double x = 0; // epoch or step
    double lo = 0, hi = 0;
    QVector<quint32> bins;
};

class DistributionMap : public QWidget {
    Q_OBJECT
public:
    explicit DistributionMap(QWidget* parent = nullptr);
    void setTitle(const QString& title);
    void setAxisLabels(const QString& x, const QString& y);
    void setColumns(const QVector<DistributionColumn>& columns);
    int columnCount() const { return m_columns; }
    // Vertical lines at these x (between the columns they separate), each labelled.
    void setMarkers(const QVector<QPair<double, QString>>& markers);
    int markerCount() const { return int(m_markers.size() / 2); }
    QCustomPlot* plot() const { return m_plot; }

    static constexpr int kValueBins = 96;

private:
    QLabel* m_title;
    QCustomPlot* m_plot;
    QCPColorMap* m_map;
    int m_columns = 0;
    QVector<QCPAbstractItem*> m_markers; // lines, each followed by its label
};

} // namespace traindx::widgets
