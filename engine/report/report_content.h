// What a diagnosis report says, worked out from a run: verdict, summary, the faulty layer
// and its fix with evidence, the timeline, the data for its plots, the per-layer table
// and the run's metadata. Plain data; laying it out on pages is the UI's job.
#pragma once

#include "job_facts.h"
#include "run_state.h"

#include <QMap>

namespace traindx {

struct ReportHistogram {
    double lo = 0, hi = 0;
    QVector<quint32> bins;
    QString label;
    QString note;
};

struct ReportContent {
    QString title;
    QString verdict;     // "Faulty", "Healthy", "Healthy, with warnings"
    int severity = 0;    // 0 healthy, 1 warnings, 2 faulty
    QString summary;     // one paragraph
    bool hasPrimary = false;
    Finding primary;     // the most important finding
    QString primaryLayer; // "layer 7, Softmax(dim=1), module path 7"
    QVector<QPair<QString, QString>> primaryEvidence;
    QVector<Finding> timeline; // every finding, in the order they were seen
    QVector<ChangeRecord> changes; // changes made to the live training, in order

    // The network, coloured by health.
    struct Node {
        int id = 0;
        QString title, detail;
        int severity = 0;
        bool primary = false;
    };
    QVector<Node> nodes;
    QVector<QPair<int, int>> edges;

    // Training curves.
    QVector<double> steps, losses, accuracySteps, accuracies;
    QMap<QString, QPair<QVector<double>, QVector<double>>> epochMetrics; // by name: steps, values

    // The faulty layer (or, if none, the first layer with weights) over epochs.
    int histogramLayer = -1;
    QString histogramLayerName;
    QString parameterLayerName; // when the layer has no parameters: the layer whose weights are shown
    QVector<QPair<QString, QVector<ReportHistogram>>> histograms; // "weights", …: oldest first

    QStringList tableHeader;
    QVector<QStringList> tableRows;
    QVector<int> tableSeverity;

    QVector<QPair<QString, QString>> metadata;

    // A job of several ranks: one row per rank, and what comparing them found. The rest of
    // the report is about the rank the first of those findings names (else rank 0).
    struct Rank {
        int rank = 0;
        QString state, verdict;
        int epochs = 0;
        qint64 steps = 0;
        double loss = 0;
    };
    QVector<Rank> ranks;
    int shownRank = -1;
    QVector<Finding> jobFindings;
    // A job served reduced: the report is the job's, and says which rank stands out.
    QVector<JobFact> reducedFacts;
};

ReportContent buildReport(const RunState& run, const QMap<QString, double>& thresholds);
// `ranks[r]` is rank r's run; `job` what comparing them found (diagnoseJob()).
ReportContent buildJobReport(const QVector<RunStatePtr>& ranks, const QVector<Finding>& job,
                             const QMap<QString, double>& thresholds);

} // namespace traindx
