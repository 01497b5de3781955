// The look shared by TrainDx's plots: fonts, axis colours, the series palette.
#pragma once

#include <QColor>

class QCustomPlot;

namespace traindx::widgets {

void applyPlotStyle(QCustomPlot* plot);

QColor seriesColor(int index);
QColor healthColor(int severity); // 0 healthy, 1 warning, 2 faulty

} // namespace traindx::widgets
