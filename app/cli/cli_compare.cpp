#include "cli_compare.h"

#include "run_comparison.h"

#include <QFileInfo>

#include <cmath>

namespace traindx::cli {

namespace {

QString describe(const Finding& f)
{
    return QStringLiteral("%1%2 at %3: %4")
        .arg(f.isFault() ? QString() : QStringLiteral("warning: "), symptomName(f.symptom), f.layerLabel(), f.summary);
}

QString plural(int n, const QString& word)
{
    return QStringLiteral("%1 %2%3").arg(n).arg(word, n == 1 ? QString() : QStringLiteral("s"));
}

QString headline(const QString& path, const RunState& run)
{
    int faults = 0;
    for (const auto& f : run.findings)
        faults += f.isFault();
    const QString program = QFileInfo(run.program.program).fileName();
    return QStringLiteral("%1 — %2%3, %4, %5, %6")
        .arg(path, program.isEmpty() ? QStringLiteral("unknown program") : program,
             run.program.arguments.isEmpty() ? QString() : QLatin1Char(' ') + run.program.arguments.join(QLatin1Char(' ')),
             plural(run.epochEnds.size(), QStringLiteral("epoch")), plural(faults, QStringLiteral("fault")),
             plural(run.findings.size() - faults, QStringLiteral("warning")));
}

} // namespace

int compareRuns(const QString& before, const QString& after, QTextStream& out, QTextStream& err)
{
    QString error;
    const RunStatePtr a = replayRunFile(before, &error);
    const RunStatePtr b = a ? replayRunFile(after, &error) : nullptr;
    if (!a || !b) {
        err << "traindx-cli: " << error << "\n";
        return 2;
    }
    out << "A: " << headline(before, *a) << "\n";
    out << "B: " << headline(after, *b) << "\n";
    for (const QString& metric : {QStringLiteral("train_loss"), QStringLiteral("train_accuracy"), QStringLiteral("val_loss"),
                                  QStringLiteral("val_accuracy")}) {
        const double inA = lastEpochMetric(*a, metric), inB = lastEpochMetric(*b, metric);
        const auto said = [](double v) { return std::isnan(v) ? QStringLiteral("none") : formatNumber(v); };
        if (!std::isnan(inA) || !std::isnan(inB))
            out << "last " << metric << ": A " << said(inA) << ", B " << said(inB) << "\n";
    }
    const FindingDiff diff = diffFindings(*a, *b);
    out << "\n";
    for (const auto& f : diff.fixed)
        out << "fixed in B: " << describe(f) << "\n";
    for (const auto& f : diff.added)
        out << "new in B:   " << describe(f) << "\n";
    for (const auto& f : diff.shared)
        out << "in both:    " << describe(f) << "\n";
    if (diff.fixed.isEmpty() && diff.added.isEmpty() && diff.shared.isEmpty())
        out << "no finding in either run\n";
    out << "\n" << diff.fixed.size() << " fixed, " << diff.added.size() << " new, " << diff.shared.size() << " in both\n";
    return diff.addedFaults() > 0 ? 1 : 0;
}

} // namespace traindx::cli
