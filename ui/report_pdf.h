// The diagnosis report as a PDF: A4 pages, vector plots and network picture, page numbers.
#pragma once

#include "report_content.h"

namespace traindx {

bool writeReportPdf(const ReportContent& report, const QString& path, QString* error);
bool exportReport(const RunState& run, const QMap<QString, double>& thresholds, const QString& path, QString* error);

} // namespace traindx
