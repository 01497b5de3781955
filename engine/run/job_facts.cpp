#include "job_facts.h"

#include <algorithm>

namespace traindx {

QVector<JobFact> reducedJobFacts(const RunState& run)
{
    if (!run.program.reduced)
        return {};
    // The latest summary, and over the whole run the earliest non-finite and the widest parting.
    const JobSummary* last = nullptr;
    const JobSummary* nonFinite = nullptr;
    const RankDeviation* apart = nullptr;
    QString fallback;
    for (const SnapshotPtr& s : run.snapshots) {
        const JobSummary& job = s->job;
        if (!job.present)
            continue;
        last = &job;
        if (job.firstNonFiniteRank >= 0 && (!nonFinite || job.firstNonFiniteStep < nonFinite->firstNonFiniteStep))
            nonFinite = &job;
        for (const RankDeviation& d : job.deviations)
            if (!apart || d.deviation > apart->deviation)
                apart = &d;
        if (!job.fallback.isEmpty() && fallback.isEmpty())
            fallback = QStringLiteral("stopped at step %1: %2").arg(s->step).arg(job.fallback);
    }
    const auto rankText = [](int rank) { return rank >= 0 ? QString::number(rank) : QStringLiteral("—"); };
    const auto layerName = [&run](int id) {
        const Layer* layer = run.model.layer(id);
        return layer ? (layer->path.isEmpty() ? layer->type : layer->path) : QString::number(id);
    };
    // A row is marked when the diagnosis found its symptom.
    const auto found = [&run](Symptom symptom) {
        return std::any_of(run.findings.begin(), run.findings.end(),
                           [symptom](const Finding& f) { return f.symptom == symptom; });
    };
    const QString none = QStringLiteral("—");
    QVector<JobFact> rows;
    rows.append({QStringLiteral("ranks combined"), QString(),
                 last ? QStringLiteral("%1 of %2").arg(last->ranks).arg(last->worldSize) : QStringLiteral("waiting")});
    if (last && last->slowestRank >= 0) {
        const QString times = QStringLiteral("%1 ms, the others %2 ms")
                                  .arg(1000 * last->slowestSeconds, 0, 'f', 1)
                                  .arg(1000 * last->othersMedianSeconds, 0, 'f', 1);
        rows.append({QStringLiteral("slowest step (own work)"), rankText(last->slowestRank), times, found(Symptom::StragglerRank)});
    }
    if (last && last->largestGradientRank >= 0)
        rows.append({QStringLiteral("largest gradient norm"), rankText(last->largestGradientRank),
                     formatNumber(last->largestGradientNorm)});
    if (nonFinite) {
        const QString where = nonFinite->firstNonFiniteInLoss ? QStringLiteral("loss") : QStringLiteral("gradients");
        rows.append({QStringLiteral("first non-finite value"), rankText(nonFinite->firstNonFiniteRank),
                     QStringLiteral("step %1, in its %2").arg(nonFinite->firstNonFiniteStep + 1).arg(where), true});
    } else {
        rows.append({QStringLiteral("first non-finite value"), none, QStringLiteral("none")});
    }
    if (apart)
        rows.append({QStringLiteral("weights farthest apart"), rankText(apart->rank),
                     QStringLiteral("%1: %2 from the ranks' middle").arg(layerName(apart->layer), formatNumber(apart->deviation)),
                     found(Symptom::RanksOutOfSync)});
    else
        rows.append({QStringLiteral("weights farthest apart"), none, QStringLiteral("in step")});
    rows.append({QStringLiteral("probes combining"), QString(), fallback.isEmpty() ? QStringLiteral("yes") : fallback,
                 !fallback.isEmpty()});
    return rows;
}

} // namespace traindx
