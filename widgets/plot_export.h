// Saving a plot as the user asks: PNG (raster), SVG (vector) or CSV (the numbers).
#pragma once

#include <QString>

class QCustomPlot;
class QWidget;

namespace traindx::widgets {

// The format follows the file's suffix. CSV has one row per data point: series, x, y —
// unless the plot carries its own numbers as text in the property kCsvProperty (a
// histogram's bins rather than the outline drawn from them).
inline constexpr char kCsvProperty[] = "traindxCsv";
bool exportPlot(QCustomPlot* plot, const QString& path, QString* error);
// Adds "Export…" to the plot's context menu.
void enablePlotExport(QCustomPlot* plot, const QString& suggestedName);

} // namespace traindx::widgets
