#include "sparkline.h"

#include <QPainter>
#include <QPainterPath>

#include <cmath>

namespace traindx::widgets {

Sparkline::Sparkline(QWidget* parent)
    : QWidget(parent)
{
    setMinimumSize(60, 18);
}

void Sparkline::setValues(const QVector<double>& values, const QString& what)
{
    m_values = values;
    QStringList tail;
    for (int i = std::max(0, int(values.size()) - 5); i < values.size(); ++i)
        tail.append(QString::number(values[i], 'g', 4));
    setToolTip(values.isEmpty() ? QString() : QStringLiteral("%1 by epoch: … %2").arg(what, tail.join(QStringLiteral(", "))));
    update();
}

void Sparkline::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    QVector<QPointF> points;
    double lo = INFINITY, hi = -INFINITY;
    for (double v : m_values)
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    if (m_values.size() < 2 || !(hi >= lo))
        return;
    const QRectF area = QRectF(rect()).adjusted(2, 3, -2, -3);
    const double span = hi > lo ? hi - lo : 1;
    QPainterPath path;
    bool started = false;
    for (int i = 0; i < m_values.size(); ++i) {
        if (!std::isfinite(m_values[i])) {
            started = false; // a gap where values were not finite
            continue;
        }
        const QPointF p(area.left() + area.width() * i / (m_values.size() - 1),
                        area.bottom() - area.height() * (m_values[i] - lo) / span);
        started ? path.lineTo(p) : path.moveTo(p);
        started = true;
        points.append(p);
    }
    painter.setPen(QPen(QColor(0x1f, 0x77, 0xb4), 1.3));
    painter.drawPath(path);
    if (!points.isEmpty()) {
        painter.setBrush(QColor(0x1f, 0x77, 0xb4));
        painter.drawEllipse(points.last(), 2, 2);
    }
}

} // namespace traindx::widgets
