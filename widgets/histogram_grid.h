// Small histograms of many layers at once, in a grid. Only the cells on screen are drawn,
// so a network of a thousand layers scrolls as smoothly as one of ten.
#pragma once

#include <QVector>
#include <QWidget>

namespace traindx::widgets {

struct GridCell {
    QString title;
    double lo = 0, hi = 0;
    QVector<quint32> bins;
    int severity = 0;
    int id = -1;
    qint64 count = 0;     // values, finite or not
    qint64 nonFinite = 0; // NaN or infinite among them
};

class HistogramGrid : public QWidget {
    Q_OBJECT
public:
    explicit HistogramGrid(QWidget* parent = nullptr);
    void setCells(const QVector<GridCell>& cells);
    int cellCount() const { return m_cells.size(); }
    const QVector<GridCell>& cells() const { return m_cells; }
    // Cells drawn by the last paint: what "only the visible ones" amounted to.
    int lastPaintedCells() const { return m_painted; }
    QSize sizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

Q_SIGNALS:
    void cellClicked(int id);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    int columns() const;
    QRect cellRect(int index) const;

    QVector<GridCell> m_cells;
    int m_painted = 0;
    static constexpr int kCellWidth = 190;
    static constexpr int kCellHeight = 96;
};

} // namespace traindx::widgets
