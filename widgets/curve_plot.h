// Named curves over a shared x axis (training step): batch loss, epoch means, validation.
#pragma once

#include <QHash>
#include <QVector>
#include <QWidget>

class QCPAbstractItem;
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
    // Adds points after those already on the curve (keys in increasing order). A curve keeps
    // at most kMaxPoints: beyond that, each drawn point is the mean of `stride` consecutive
    // ones (the legend says how many), so a run of a million steps draws as fast as a short one.
    void appendToCurve(const QString& name, const QVector<double>& xs, const QVector<double>& ys);
    static constexpr int kMaxPoints = 20000;
    int stride(const QString& name) const { return m_bounds.value(name).stride; }
    void clear();
    void removeCurve(const QString& name);
    // Vertical lines at these steps, each with its label (a change made to the live training).
    void setMarkers(const QVector<QPair<double, QString>>& markers);
    int markerCount() const { return int(m_markers.size() / 2); }
    // A shaded band between lows and highs at xs (the spread of a curve over the ranks of a
    // job), named in the legend; empty xs remove it. At most kMaxPoints are drawn.
    void setBand(const QString& name, const QVector<double>& xs, const QVector<double>& lows, const QVector<double>& highs,
                 int colorIndex);
    bool hasBand() const { return m_bandHigh != nullptr; }
    // Drawn faint behind the others (the raw curve under its smoothed twin), or as set.
    void setCurveFaint(const QString& name, bool faint);
    void setLogScale(bool on);

    // Back to the whole of every curve, following new points again (as a double-click does).
    void resetView();
    bool following() const { return m_following; }
    // "batch loss: 0.412 (step 120)", a line per curve, at the point nearest x.
    QString valueAt(double x) const;

    int curveCount() const { return m_graphs.size(); }
    int pointCount(const QString& name) const;
    QCustomPlot* plot() const { return m_plot; }

private:
    QLabel* m_title;
    QCustomPlot* m_plot;
    struct Bound {
        int stride = 1;  // points per drawn point
        int pending = 0; // points in the bucket being filled
        double sumY = 0;
    };
    void coarsen(const QString& name, QCPGraph* graph);
    void fitToData();
    void placeLegend();
    bool m_following = true;
    QVector<QCPAbstractItem*> m_markers; // lines, each followed by its label
    QCPGraph* m_bandLow = nullptr;
    QCPGraph* m_bandHigh = nullptr;

    QHash<QString, QCPGraph*> m_graphs;
    QHash<QString, Bound> m_bounds;
};

} // namespace traindx::widgets
