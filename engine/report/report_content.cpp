#include "report_content.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFileInfo>
#include <QLocale>

#include <cmath>

namespace traindx {

namespace {

bool activationOfType(const QString& type)
{
    return type.startsWith(QLatin1String("ReLU")) || type == QLatin1String("Sigmoid") || type == QLatin1String("Tanh");
}

QString percent(double fraction)
{
    return QString::number(100 * fraction, 'f', 1) + QStringLiteral(" %");
}

QString layerName(const Layer& layer)
{
    QString name = layer.index >= 0 ? QStringLiteral("layer %1, %2").arg(layer.index).arg(layer.options.isEmpty() ? layer.type : layer.options)
                                    : (layer.options.isEmpty() ? layer.type : layer.options);
    if (!layer.path.isEmpty())
        name += QStringLiteral(", module path \u201c%1\u201d").arg(layer.path);
    return name;
}

QString programLine(const RunState& run)
{
    QString line = QFileInfo(run.program.program).fileName();
    if (!run.program.arguments.isEmpty())
        line += QLatin1Char(' ') + run.program.arguments.join(QLatin1Char(' '));
    return line;
}

ReportHistogram histogramOf(const Snapshot& snapshot, int layer, TensorKind kind)
{
    const TensorStats& stats = snapshot.layer(layer)->stats(kind);
    ReportHistogram h;
    h.lo = stats.histLo;
    h.hi = stats.histHi;
    h.bins = stats.bins;
    h.label = snapshot.initial ? QStringLiteral("initial")
        : snapshot.epochEnd   ? QStringLiteral("epoch %1").arg(snapshot.epoch + 1)
                              : QStringLiteral("epoch %1, batch %2").arg(snapshot.epoch + 1).arg(snapshot.batch + 1);
    if (stats.count > 0 && stats.nonFinite() == stats.count)
        h.note = QStringLiteral("every value is NaN or infinite");
    else if (stats.nonFinite() > 0)
        h.note = QStringLiteral("%1 NaN and %2 infinite values not shown").arg(stats.nan).arg(stats.inf);
    else if (stats.min == stats.max)
        h.note = QStringLiteral("all %1 values are exactly %2").arg(stats.count).arg(formatNumber(stats.min));
    return h;
}

void addSummary(ReportContent& report, const RunState& run)
{
    const int epochs = run.epochEnds.size();
    QString text = QStringLiteral("TrainDx watched %1 for %2 epoch%3 (%4 steps)")
                       .arg(programLine(run).toHtmlEscaped())
                       .arg(epochs)
                       .arg(epochs == 1 ? QString() : QStringLiteral("s"))
                       .arg(run.step);
    if (!run.model.name.isEmpty())
        text += QStringLiteral(", training the model \u201c%1\u201d (%2 parameters)").arg(run.model.name.toHtmlEscaped(),
                                                                                         QLocale().toString(run.model.parameterCount));
    text += QStringLiteral(". ");
    int faults = 0;
    for (const auto& f : run.findings)
        faults += f.isFault();
    if (run.findings.isEmpty()) {
        text += QStringLiteral("No symptom appeared");
        const auto& points = run.points;
        if (!points.isEmpty())
            text += QStringLiteral("; the last training loss was %1").arg(formatNumber(points.last().loss))
                + (points.last().hasAccuracy ? QStringLiteral(" at an accuracy of %1").arg(percent(points.last().accuracy)) : QString());
        text += QStringLiteral(".");
    } else {
        const Finding& first = run.findings.first();
        text += QStringLiteral("It found %1 symptom%2 (%3 fault%4). The most important: <b>%5</b> at %6, first seen in epoch %7 "
                               "after %8 batches: %9. ")
                    .arg(run.findings.size())
                    .arg(run.findings.size() == 1 ? QString() : QStringLiteral("s"))
                    .arg(faults)
                    .arg(faults == 1 ? QString() : QStringLiteral("s"))
                    .arg(describeSymptom(first.symptom), first.layerLabel().toHtmlEscaped())
                    .arg(first.epoch + 1)
                    .arg(first.batch)
                    .arg(first.summary.toHtmlEscaped());
        int consequences = 0;
        for (const auto& f : run.findings)
            consequences += !f.explainedBy.isEmpty();
        if (consequences > 0)
            text += QStringLiteral("%1 of the other symptoms follow from it or from another cause. ").arg(consequences);
        text += QStringLiteral("Recommended: <b>%1</b>.").arg(fixClassName(first.fixClass));
    }
    if (run.state == TrainerState::Crashed || run.message.contains(QLatin1String("crashed")))
        text += QStringLiteral(" The trainer crashed: %1.").arg(run.message.toHtmlEscaped());
    report.summary = text;
}

void addTable(ReportContent& report, const RunState& run)
{
    report.tableHeader = {QStringLiteral("#"), QStringLiteral("Module"), QStringLiteral("Type"), QStringLiteral("Params"),
                          QStringLiteral("Weight mean ± std"), QStringLiteral("Grad RMS"), QStringLiteral("Output mean ± std"),
                          QStringLiteral("Zeros"), QStringLiteral("Dead / sat."), QStringLiteral("Update"),
                          QStringLiteral("NaN/Inf")};
    const SnapshotPtr last = run.epochEnds.isEmpty() ? (run.snapshots.isEmpty() ? nullptr : run.snapshots.last())
                                                     : run.snapshots[run.epochEnds.last()];
    for (const Layer& layer : run.model.layers) {
        if (layer.id == 0 || !layer.leaf)
            continue;
        QStringList row {layer.index >= 0 ? QString::number(layer.index) : QString(), layer.path, layer.type,
                         layer.parameterCount() > 0 ? QLocale().toString(layer.parameterCount()) : QString()};
        const LayerSample* s = last ? last->layer(layer.id) : nullptr;
        auto meanStd = [](const TensorStats& t) {
            return t.present ? formatNumber(t.mean) + QStringLiteral(" ± ") + formatNumber(t.std) : QString();
        };
        if (s) {
            const TensorStats& g = s->stats(TensorKind::WeightGrad);
            const TensorStats& a = s->stats(TensorKind::Activation);
            const qint64 bad = s->stats(TensorKind::Weight).nonFinite() + g.nonFinite() + a.nonFinite();
            row << meanStd(s->stats(TensorKind::Weight))
                << (g.present ? formatNumber(g.count - g.nonFinite() > 0 ? g.l2 / std::sqrt(double(g.count - g.nonFinite())) : 0) : QString())
                << meanStd(a) << (a.present && a.count > 0 ? percent(double(a.zeros) / a.count) : QString())
                << (activationOfType(layer.type) ? percent(std::max(s->deadFraction, s->saturatedFraction)) : QString())
                << (s->epochUpdateRatio >= 0 ? formatNumber(s->epochUpdateRatio) : s->updateRatio >= 0 ? formatNumber(s->updateRatio) : QString())
                << (bad > 0 ? QString::number(bad) : QString());
        } else {
            for (int i = 0; i < 7; ++i)
                row << QString();
        }
        report.tableRows.append(row);
        report.tableSeverity.append(int(run.layerHealth(layer.id)));
    }
}

} // namespace

void addReducedJob(ReportContent& report, const RunState& run)
{
    report.reducedFacts = reducedJobFacts(run);
    for (const Finding& f : run.findings)
        if (isJobSymptom(f.symptom))
            report.jobFindings.append(f);
    report.title = QStringLiteral("TrainDx diagnosis report: a job of %1 ranks, served reduced").arg(run.program.worldSize);
    report.summary = QStringLiteral("The statistics are every rank's together, combined by the probes on rank 0. ") + report.summary;
}

ReportContent buildReport(const RunState& run, const QMap<QString, double>& thresholds)
{
    ReportContent report;
    report.title = QStringLiteral("TrainDx diagnosis report");
    int faults = 0;
    for (const auto& f : run.findings)
        faults += f.isFault();
    report.severity = faults > 0 ? 2 : run.findings.isEmpty() ? 0 : 1;
    report.verdict = faults > 0 ? QStringLiteral("Faulty") : run.findings.isEmpty() ? QStringLiteral("Healthy")
                                                                                     : QStringLiteral("Healthy, with warnings");
    addSummary(report, run);
    if (const QString reason = faults > 0 ? QString() : run.notDiagnosedReason(); !reason.isEmpty()) {
        report.severity = 1;
        report.verdict = QStringLiteral("Not diagnosed");
        report.summary = reason.left(1).toUpper() + reason.mid(1) + QStringLiteral(". ") + report.summary;
    }

    if (!run.findings.isEmpty()) {
        report.hasPrimary = true;
        report.primary = run.findings.first();
        if (const Layer* l = run.model.layer(report.primary.layer))
            report.primaryLayer = layerName(*l);
        else
            report.primaryLayer = QStringLiteral("the model as a whole (a training metric)");
        for (const auto& e : report.primary.evidence)
            report.primaryEvidence.append({e.name, e.text.isEmpty() ? formatNumber(e.value) : e.text});
    }
    report.timeline = run.findings;
    report.changes = run.changes;
    std::stable_sort(report.timeline.begin(), report.timeline.end(), [](const Finding& a, const Finding& b) { return a.step < b.step; });

    for (const Layer& layer : run.model.layers) {
        if (layer.id == 0 || !layer.leaf)
            continue;
        ReportContent::Node node;
        node.id = layer.id;
        node.title = layer.index >= 0 ? QStringLiteral("%1  %2").arg(layer.index).arg(layer.type) : layer.path + QStringLiteral("  ") + layer.type;
        node.detail = layer.outputShape.isEmpty() ? QString() : shapeText(layer.outputShape);
        node.severity = int(run.layerHealth(layer.id));
        node.primary = report.hasPrimary && report.primary.layer == layer.id;
        report.nodes.append(node);
    }
    report.edges = run.model.edges;

    for (const auto& p : run.points) {
        report.steps.append(p.step);
        report.losses.append(p.loss);
        if (p.hasAccuracy) {
            report.accuracySteps.append(p.step);
            report.accuracies.append(p.accuracy);
        }
    }
    for (int index : run.epochEnds) {
        const Snapshot& s = *run.snapshots[index];
        for (auto it = s.metrics.cbegin(); it != s.metrics.cend(); ++it) {
            report.epochMetrics[it.key()].first.append(s.step);
            report.epochMetrics[it.key()].second.append(it.value());
        }
    }

    report.histogramLayer = report.hasPrimary ? report.primary.layer : -1;
    if (report.histogramLayer < 0)
        for (const Layer& layer : run.model.layers)
            if (layer.id > 0 && !layer.parameters.isEmpty()) {
                report.histogramLayer = layer.id;
                break;
            }
    if (const Layer* l = run.model.layer(report.histogramLayer)) {
        report.histogramLayerName = layerName(*l);
        // A layer without parameters (a Softmax, a ReLU) is shown with the weights feeding it.
        int parameterLayer = report.histogramLayer;
        if (l->parameters.isEmpty()) {
            const QVector<int> order = run.model.forwardOrder();
            for (int i = order.indexOf(l->id) - 1; i >= 0; --i)
                if (!run.model.layers[order[i]].parameters.isEmpty()) {
                    parameterLayer = order[i];
                    report.parameterLayerName = layerName(run.model.layers[parameterLayer]);
                    break;
                }
        }
        for (TensorKind kind : {TensorKind::Weight, TensorKind::WeightGrad, TensorKind::Activation}) {
            const int layer = kind == TensorKind::Activation ? report.histogramLayer : parameterLayer;
            QVector<ReportHistogram> series;
            for (const SnapshotPtr& s : run.snapshots) {
                const LayerSample* sample = s->layer(layer);
                if ((s->epochEnd || s->initial) && sample && sample->stats(kind).present && !sample->stats(kind).bins.isEmpty())
                    series.append(histogramOf(*s, layer, kind));
            }
            constexpr int kShown = 6;
            if (series.size() > kShown)
                series = series.mid(series.size() - kShown);
            report.histograms.append({tensorKindName(kind), series});
        }
    }
    addTable(report, run);

    auto meta = [&report](const QString& name, const QString& value) {
        if (!value.isEmpty())
            report.metadata.append({name, value});
    };
    meta(QStringLiteral("Program"), run.program.program);
    meta(QStringLiteral("Arguments"), run.program.arguments.join(QLatin1Char(' ')));
    meta(QStringLiteral("Working directory"), run.program.workingDirectory);
    meta(QStringLiteral("Process"), run.program.pid > 0 ? QString::number(run.program.pid) : QString());
    meta(QStringLiteral("Outcome"), trainerStateName(run.state) + (run.message.isEmpty() ? QString() : QStringLiteral(": ") + run.message));
    meta(QStringLiteral("Model"), run.model.name);
    meta(QStringLiteral("Parameters"), QLocale().toString(run.model.parameterCount));
    meta(QStringLiteral("Loss"), run.model.loss == LossKind::Unspecified ? QStringLiteral("not declared") : lossKindName(run.model.loss));
    meta(QStringLiteral("Optimizer"), run.model.optimizer);
    meta(QStringLiteral("Learning rate"), run.model.learningRate > 0 ? formatNumber(run.model.learningRate) : QString());
    meta(QStringLiteral("Epochs, steps"), QStringLiteral("%1, %2").arg(run.epochEnds.size()).arg(run.step));
    if (run.data.present) {
        meta(QStringLiteral("Inputs"), QStringLiteral("%1, range [%2, %3], mean %4, std %5")
                                           .arg(shapeText(run.data.inputShape), formatNumber(run.data.inputs.min), formatNumber(run.data.inputs.max),
                                                formatNumber(run.data.inputs.mean), formatNumber(run.data.inputs.std)));
        meta(QStringLiteral("Targets"), QStringLiteral("%1, range [%2, %3]%4")
                                            .arg(shapeText(run.data.targetShape), formatNumber(run.data.targets.min), formatNumber(run.data.targets.max),
                                                 run.data.targetsIntegral ? QStringLiteral(", class indices") : QString()));
    }
    meta(QStringLiteral("Probe overhead"), run.loopSeconds > 0 ? percent(run.overhead()) : QString());
    meta(QStringLiteral("LibTorch"), run.program.torchVersion);
    meta(QStringLiteral("Probe / protocol"), run.program.traindxVersion.isEmpty() ? QString()
                                                                                  : run.program.traindxVersion + QStringLiteral(" / ") + run.program.protocol);
    meta(QStringLiteral("Run file"), run.runFile);
    QStringList thresholdText;
    for (auto it = thresholds.cbegin(); it != thresholds.cend(); ++it)
        thresholdText.append(it.key() + QStringLiteral(" = ") + formatNumber(it.value()));
    meta(QStringLiteral("Thresholds"), thresholdText.join(QStringLiteral("; ")));
    meta(QStringLiteral("Report"), QStringLiteral("TrainDx %1, %2").arg(QCoreApplication::applicationVersion(),
                                                                        QDateTime::currentDateTime().toString(Qt::ISODate)));
    if (run.program.reduced && run.program.worldSize > 1)
        addReducedJob(report, run);
    return report;
}

ReportContent buildJobReport(const QVector<RunStatePtr>& ranks, const QVector<Finding>& job,
                             const QMap<QString, double>& thresholds)
{
    int shown = 0;
    for (const Finding& f : job)
        if (f.rank >= 0 && f.rank < ranks.size() && ranks[f.rank]) {
            shown = f.rank;
            break;
        }
    while (shown < ranks.size() && !ranks[shown])
        ++shown;
    ReportContent report = shown < ranks.size() ? buildReport(*ranks[shown], thresholds) : ReportContent();
    report.shownRank = shown;
    report.jobFindings = job;
    int jobFaults = 0;
    for (const Finding& f : job)
        jobFaults += f.isFault();
    for (int r = 0; r < ranks.size(); ++r) {
        if (!ranks[r])
            continue;
        const RunState& run = *ranks[r];
        int faults = 0;
        for (const Finding& f : run.findings)
            faults += f.isFault();
        report.ranks.append({r, trainerStateName(run.state),
                             faults > 0 ? QStringLiteral("faulty (%1)").arg(faults) : QStringLiteral("healthy"),
                             int(run.epochEnds.size()), run.step, run.points.isEmpty() ? 0.0 : run.points.last().loss});
    }
    report.title = QStringLiteral("TrainDx diagnosis report: a job of %1 ranks").arg(ranks.size());
    if (jobFaults > 0) {
        report.severity = 2;
        report.verdict = QStringLiteral("Faulty");
    }
    report.summary = QStringLiteral("%1 ranks, compared after the run: %2. The rest of this report is rank %3's own run, as one process: ")
                         .arg(ranks.size())
                         .arg(job.isEmpty() ? QStringLiteral("nothing found across them")
                                            : QStringLiteral("%1 finding(s) across them").arg(job.size()))
                         .arg(shown)
        + report.summary;
    return report;
}

} // namespace traindx
