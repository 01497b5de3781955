// Named curves over a shared x axis (training step): batch loss, epoch means, validation.
#pragma once

#include <QHash>
#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPGraph;
class QLabel;

namespace traindx::widgets {

class CurvePlot : public QWidget {
    Q_OBJECT
public:
    enum class Style { Line, Points, LineWithPoints };

    explicit CurvePlot(QWidget* parent = nullptr);

    void setTitle(const QString& title);
    void setAxisLabels(const QString& x, const QString& y);
    void setCurve(const QString& name, const QVector<double>& xs, const QVector<double>& ys, int colorIndex,
                  Style style = Style::Line);
    // Adds points after those already on the curve (keys in increasing order).
    void appendToCurve(const QString& name, const QVector<double>& xs, const QVector<double>& ys);
    void clear();
    void setLogScale(bool on);

    int curveCount() const { return m_graphs.size(); }
    int pointCount(const QString& name) const;
    QCustomPlot* plot() const { return m_plot; }

private:
    QLabel* m_title;
    QCustomPlot* m_plot;
    QHash<QString, QCPGraph*> m_graphs;
};

} // namespace traindx::widgets
