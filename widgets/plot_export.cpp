#include "plot_export.h"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QSvgGenerator>
#include <QTextStream>
#include <qcustomplot.h>

namespace traindx::widgets {

namespace {

bool writeCsv(QCustomPlot* plot, const QString& path, QString* error)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
        *error = file.errorString();
        return false;
    }
    QTextStream out(&file);
    if (const QVariant own = plot->property(kCsvProperty); own.isValid()) {
        out << own.toString();
        return true;
    }
    out << "series,x,y\n";
    for (int g = 0; g < plot->graphCount(); ++g) {
        QCPGraph* graph = plot->graph(g);
        QString name = graph->name();
        name.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it)
            out << '"' << name << "\"," << QString::number(it->key, 'g', 10) << ',' << QString::number(it->value, 'g', 10) << '\n';
    }
    for (int i = 0; i < plot->plottableCount(); ++i)
        if (auto* map = qobject_cast<QCPColorMap*>(plot->plottable(i))) {
            QCPColorMapData* data = map->data();
            for (int x = 0; x < data->keySize(); ++x)
                for (int y = 0; y < data->valueSize(); ++y) {
                    double key = 0, value = 0;
                    data->cellToCoord(x, y, &key, &value);
                    out << "\"density at " << QString::number(key, 'g', 10) << "\"," << QString::number(value, 'g', 10) << ','
                        << QString::number(data->cell(x, y), 'g', 10) << '\n';
                }
        }
    return true;
}

} // namespace

bool exportPlot(QCustomPlot* plot, const QString& path, QString* error)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    const int width = std::max(plot->width(), 800), height = std::max(plot->height(), 400);
    if (suffix == QLatin1String("png")) {
        if (plot->savePng(path, width, height, 2.0))
            return true;
        *error = QStringLiteral("cannot write %1").arg(path);
        return false;
    }
    if (suffix == QLatin1String("svg")) {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(QSize(width, height));
        svg.setViewBox(QRect(0, 0, width, height));
        svg.setTitle(QStringLiteral("TrainDx plot"));
        QCPPainter painter(&svg);
        painter.setMode(QCPPainter::pmVectorized);
        plot->toPainter(&painter, width, height);
        painter.end();
        if (QFileInfo(path).size() > 0)
            return true;
        *error = QStringLiteral("cannot write %1").arg(path);
        return false;
    }
    if (suffix == QLatin1String("csv"))
        return writeCsv(plot, path, error);
    *error = QStringLiteral("choose a .png, .svg or .csv file");
    return false;
}

void enablePlotExport(QCustomPlot* plot, const QString& suggestedName)
{
    plot->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(plot, &QWidget::customContextMenuRequested, plot, [plot, suggestedName](const QPoint& position) {
        QMenu menu(plot);
        menu.addAction(QObject::tr("Export…"), plot, [plot, suggestedName] {
            const QString path = QFileDialog::getSaveFileName(plot, QObject::tr("Export the plot"), suggestedName + QStringLiteral(".png"),
                                                              QObject::tr("PNG image (*.png);;SVG drawing (*.svg);;CSV data (*.csv)"));
            QString error;
            if (!path.isEmpty() && !exportPlot(plot, path, &error))
                QMessageBox::warning(plot, QObject::tr("Export the plot"), error);
        });
        menu.exec(plot->mapToGlobal(position));
    });
}

} // namespace traindx::widgets
