#include "plot_style.h"

#include <QLabel>
#include <QMouseEvent>
#include <QToolTip>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace traindx::widgets {

void applyPlotStyle(QCustomPlot* plot)
{
    const QColor axis(0x55, 0x5b, 0x66);
    const QColor grid(0xe3, 0xe6, 0xea);
    for (QCPAxis* a : {plot->xAxis, plot->yAxis}) {
        a->setBasePen(QPen(axis));
        a->setTickPen(QPen(axis));
        a->setSubTickPen(QPen(axis));
        a->setTickLabelColor(axis);
        a->setLabelColor(axis);
        a->grid()->setPen(QPen(grid, 1, Qt::SolidLine));
        a->grid()->setSubGridVisible(false);
    }
    plot->setBackground(Qt::white);
    plot->axisRect()->setBackground(Qt::white);
    plot->setNoAntialiasingOnDrag(true);
}

void showValueOnHover(QCustomPlot* plot, const std::function<QString(double x)>& valueAt)
{
    QObject::connect(plot, &QCustomPlot::mouseMove, plot, [plot, valueAt](QMouseEvent* event) {
        const QString text = valueAt(plot->xAxis->pixelToCoord(event->position().x()));
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(event->globalPosition().toPoint(), text, plot);
    });
}

QVBoxLayout* framePlot(QWidget* owner, QLabel* title)
{
    auto* layout = new QVBoxLayout(owner);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    QFont bold = title->font();
    bold.setBold(true);
    title->setFont(bold);
    layout->addWidget(title);
    return layout;
}

QColor seriesColor(int index)
{
    static const QColor palette[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28), QColor(0x2c, 0xa0, 0x2c),
                                     QColor(0xff, 0x7f, 0x0e), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b)};
    return palette[index % (sizeof(palette) / sizeof(palette[0]))];
}

QColor healthColor(int severity)
{
    switch (severity) {
    case 0: return QColor(0x2e, 0x9e, 0x4f);
    case 1: return QColor(0xe0, 0x9b, 0x1a);
    default: return QColor(0xd0, 0x31, 0x2d);
    }
}

} // namespace traindx::widgets
