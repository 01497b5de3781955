// The diagnosis report as a PDF: A4 pages, vector plots and network picture, page numbers.
#pragma once

#include "report_content.h"

namespace traindx {

bool writeReportPdf(const ReportContent& report, const QString& path, QString* error);
bool exportReport(const RunState& run, const QMap<QString, double>& thresholds, const QString& path, QString* error);
// A job of several ranks: its ranks and what comparing them found, then the report of the
// rank the first finding names (else rank 0).
bool exportJobReport(const QVector<RunStatePtr>& ranks, const QVector<Finding>& job, const QMap<QString, double>& thresholds,
                     const QString& path, QString* error);

} // namespace traindx
