#include "histogram_grid.h"

#include "graph_layout.h"

#include <QMouseEvent>
#include <QPaintEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace traindx::widgets {

HistogramGrid::HistogramGrid(QWidget* parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
}

void HistogramGrid::setCells(const QVector<GridCell>& cells)
{
    m_cells = cells;
    setMinimumHeight(heightForWidth(width()));
    updateGeometry();
    update();
}

int HistogramGrid::columns() const
{
    return std::max(1, width() / kCellWidth);
}

int HistogramGrid::heightForWidth(int width) const
{
    const int perRow = std::max(1, width / kCellWidth);
    return ((m_cells.size() + perRow - 1) / perRow) * kCellHeight;
}

QSize HistogramGrid::sizeHint() const
{
    return {4 * kCellWidth, heightForWidth(4 * kCellWidth)};
}

void HistogramGrid::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    setMinimumHeight(heightForWidth(width()));
}

QRect HistogramGrid::cellRect(int index) const
{
    const int perRow = columns();
    const int w = width() / perRow;
    return QRect((index % perRow) * w, (index / perRow) * kCellHeight, w, kCellHeight);
}

void HistogramGrid::paintEvent(QPaintEvent* event)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.fillRect(event->rect(), Qt::white);
    m_painted = 0;
    const int perRow = columns();
    const int firstRow = std::max(0, event->rect().top() / kCellHeight);
    const int lastRow = event->rect().bottom() / kCellHeight;
    for (int row = firstRow; row <= lastRow; ++row) {
        for (int column = 0; column < perRow; ++column) {
            const int index = row * perRow + column;
            if (index >= m_cells.size())
                break;
            const GridCell& cell = m_cells[index];
            const QRect box = cellRect(index).adjusted(4, 4, -4, -4);
            ++m_painted;
            painter.setPen(QPen(QColor(severityStroke(cell.severity)), cell.severity > 0 ? 1.6 : 0.8));
            painter.setBrush(cell.severity > 0 ? QColor(severityFill(cell.severity)) : QColor(0xfa, 0xfb, 0xfc));
            painter.drawRoundedRect(box, 4, 4);
            painter.setPen(QColor(0x30, 0x30, 0x30));
            QFont font = painter.font();
            font.setPointSizeF(8);
            painter.setFont(font);
            painter.drawText(box.adjusted(5, 2, -5, 0), Qt::AlignLeft | Qt::AlignTop | Qt::TextSingleLine,
                             painter.fontMetrics().elidedText(cell.title, Qt::ElideRight, box.width() - 10));
            const QRectF area = QRectF(box).adjusted(6, 18, -6, -6);
            quint32 peak = 0;
            for (auto count : cell.bins)
                peak = std::max(peak, count);
            if (cell.count > 0 && cell.nonFinite == cell.count) {
                painter.setPen(QColor(severityStroke(2)));
                painter.drawText(area, Qt::AlignCenter | Qt::TextWordWrap, tr("all %1 values NaN or infinite").arg(cell.count));
                continue;
            }
            if (cell.bins.isEmpty() || peak == 0) {
                painter.setPen(QColor(0x99, 0x99, 0x99));
                painter.drawText(area, Qt::AlignCenter, tr("no data"));
                continue;
            }
            QPainterPath outline;
            const int n = cell.bins.size();
            outline.moveTo(area.bottomLeft());
            for (int b = 0; b < n; ++b) {
                const double y = area.bottom() - area.height() * cell.bins[b] / peak;
                outline.lineTo(area.left() + area.width() * b / n, y);
                outline.lineTo(area.left() + area.width() * (b + 1) / n, y);
            }
            outline.lineTo(area.bottomRight());
            painter.setPen(QPen(QColor(0x1f, 0x5f, 0x95), 1.0));
            painter.setBrush(QColor(0x1f, 0x77, 0xb4, 70));
            painter.drawPath(outline);
        }
    }
}

void HistogramGrid::mousePressEvent(QMouseEvent* event)
{
    for (int i = 0; i < m_cells.size(); ++i)
        if (cellRect(i).contains(event->pos())) {
            Q_EMIT cellClicked(m_cells[i].id);
            return;
        }
}

} // namespace traindx::widgets
