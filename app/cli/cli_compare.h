// traindx-cli compare A B: both recorded runs diagnosed afresh, and what B fixed, what it
// broke and what both share, finding by finding.
#pragma once

#include <QString>
#include <QTextStream>

namespace traindx::cli {

// Prints the comparison to `out`; returns 0 when B has no fault A lacked, 1 when it has,
// 2 when a file cannot be read (said on `err`).
int compareRuns(const QString& before, const QString& after, QTextStream& out, QTextStream& err);

} // namespace traindx::cli
