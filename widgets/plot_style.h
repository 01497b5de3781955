// The look shared by TrainDx's plots: fonts, axis colours, the series palette.
#pragma once

#include <QColor>
#include <QString>

#include <functional>

class QCustomPlot;
class QLabel;
class QVBoxLayout;
class QWidget;

namespace traindx::widgets {

void applyPlotStyle(QCustomPlot* plot);

// The frame every plot widget shares: a bold title over the plot, no margins. Returns the
// layout so a widget can add more below.
QVBoxLayout* framePlot(QWidget* owner, QLabel* title);

QColor seriesColor(int index);
QColor healthColor(int severity);
// A tooltip that follows the mouse over `plot`, saying valueAt(x) for the x under it.
void showValueOnHover(QCustomPlot* plot, const std::function<QString(double x)>& valueAt); // 0 healthy, 1 warning, 2 faulty

} // namespace traindx::widgets
