#include "report_pdf.h"

#include "curve_plot.h"
#include "graph_layout.h"
#include "histogram_plot.h"

#include <QBuffer>
#include <QFile>
#include <QPdfWriter>
#include <QSvgRenderer>
#include <QAbstractTextDocumentLayout>
#include <QTextBlock>
#include <QTextDocument>
#include <QTextLayout>
#include <qcustomplot.h>

#include <functional>

namespace traindx {

namespace {

// Lays blocks out top to bottom on A4 pages, with a footer on each. Run twice: once to
// count the pages, once to draw with "page N of M".
class Composer {
public:
    Composer(QPdfWriter& writer, QCPPainter& painter, int totalPages)
        : m_writer(writer)
        , m_painter(painter)
        , m_total(totalPages)
    {
        m_page = QRectF(QPointF(0, 0), QSizeF(writer.width(), writer.height()));
        m_body = m_page.adjusted(0, 0, 0, -kFooter);
        m_y = m_body.top();
        footer();
    }

    qreal width() const { return m_body.width(); }
    int pages() const { return m_pageNumber; }

    void newPage()
    {
        m_writer.newPage();
        ++m_pageNumber;
        m_y = m_body.top();
        footer();
    }

    void space(qreal height) { m_y += height; }

    // Rich text; a block taller than the rest of the page continues on the next ones.
    void html(const QString& html)
    {
        QTextDocument document;
        document.documentLayout()->setPaintDevice(&m_writer);
        QFont font(QStringLiteral("Helvetica"), 10);
        // No ligatures, so the text extracted from the PDF reads "fix", not "ﬁx", and can be searched.
        font.setStyleStrategy(QFont::PreferNoShaping);
        document.setDefaultFont(font);
        document.setDefaultStyleSheet(kStyle);
        document.setDocumentMargin(0);
        document.setHtml(html);
        document.setTextWidth(width());
        const QVector<QPair<qreal, qreal>> lines = lineExtents(document);
        qreal done = 0;
        const qreal height = document.size().height();
        while (done < height) {
            if (m_body.bottom() - m_y < 40)
                newPage();
            const qreal slice = cleanCut(lines, done, std::min(height - done, m_body.bottom() - m_y));
            m_painter.save();
            m_painter.translate(m_body.left(), m_y - done);
            document.drawContents(&m_painter, QRectF(0, done, width(), slice));
            m_painter.restore();
            done += slice;
            m_y += slice;
            if (done < height)
                newPage();
        }
        m_y += 8;
    }

    // A picture of a fixed height, moved to the next page if it does not fit.
    void picture(qreal height, const std::function<void(QCPPainter&, const QRectF&)>& draw)
    {
        if (m_y + height > m_body.bottom())
            newPage();
        const QRectF area(m_body.left(), m_y, width(), height);
        m_painter.save();
        draw(m_painter, area);
        m_painter.restore();
        m_y += height + 8;
    }

    qreal remaining() const { return m_body.bottom() - m_y; }

private:
    // Top and bottom of every line of text, table cells included, in document coordinates.
    static QVector<QPair<qreal, qreal>> lineExtents(QTextDocument& document)
    {
        QVector<QPair<qreal, qreal>> lines;
        auto* layout = document.documentLayout();
        for (QTextBlock block = document.begin(); block.isValid(); block = block.next()) {
            const QRectF box = layout->blockBoundingRect(block);
            const QTextLayout* text = block.layout();
            for (int i = 0; text && i < text->lineCount(); ++i) {
                const QTextLine line = text->lineAt(i);
                lines.append({box.top() + line.y(), box.top() + line.y() + line.height()});
            }
        }
        return lines;
    }

    // The longest slice from `from` not longer than `most` that cuts no line in two.
    static qreal cleanCut(const QVector<QPair<qreal, qreal>>& lines, qreal from, qreal most)
    {
        qreal cut = from + most;
        for (bool moved = true; moved;) {
            moved = false;
            for (const auto& [top, bottom] : lines)
                if (top < cut && bottom > cut && top > from) {
                    cut = top;
                    moved = true;
                }
        }
        return cut > from + 20 ? cut - from : most;
    }

    void footer()
    {
        m_painter.save();
        m_painter.setPen(QColor(0x77, 0x77, 0x77));
        m_painter.setFont(QFont(QStringLiteral("Helvetica"), 8));
        const QRectF line(m_page.left(), m_page.bottom() - kFooter + 12, m_page.width(), kFooter - 12);
        m_painter.drawText(line, Qt::AlignLeft | Qt::AlignVCenter, QStringLiteral("TrainDx diagnosis report"));
        m_painter.drawText(line, Qt::AlignRight | Qt::AlignVCenter,
                           m_total > 0 ? QStringLiteral("page %1 of %2").arg(m_pageNumber).arg(m_total)
                                       : QStringLiteral("page %1").arg(m_pageNumber));
        m_painter.restore();
    }

    static constexpr qreal kFooter = 30;
    static inline const QString kStyle = QStringLiteral(
        "h1 { font-size: 20pt; color: #1f2a44; } h2 { font-size: 13pt; color: #1f2a44; margin-top: 6px; }"
        "td, th { padding: 2px 5px; font-size: 8.5pt; } th { background: #e9edf3; text-align: left; }"
        ".mono { font-family: monospace; } .muted { color: #666; }");

    QPdfWriter& m_writer;
    QCPPainter& m_painter;
    QRectF m_page, m_body;
    qreal m_y = 0;
    int m_pageNumber = 1;
    int m_total = 0;
};

QString severityColor(int severity)
{
    return severity == 2 ? QStringLiteral("#c62828") : severity == 1 ? QStringLiteral("#b7791f") : QStringLiteral("#2e7d32");
}

QString escape(const QString& text)
{
    return text.toHtmlEscaped();
}

void drawPlot(QCPPainter& painter, const QRectF& area, QCustomPlot* plot)
{
    painter.translate(area.topLeft());
    plot->toPainter(&painter, int(area.width()), int(area.height()));
}

void compose(Composer& page, const ReportContent& report)
{
    // Page 1: verdict, summary, the faulty layer and the fix with its evidence.
    QString first = QStringLiteral("<h1>%1</h1>").arg(escape(report.title));
    first += QStringLiteral("<p style='font-size:16pt; color:%1'><b>Verdict: %2</b></p>")
                 .arg(severityColor(report.severity), escape(report.verdict));
    first += QStringLiteral("<p>%1</p>").arg(report.summary);
    // A job: its ranks and what comparing them found come first, on the first page.
    if (!report.ranks.isEmpty() || !report.reducedFacts.isEmpty()) {
        QString ranks = !report.reducedFacts.isEmpty()
            ? QStringLiteral("<h2>Ranks</h2><table cellspacing='0' cellpadding='3' border='1'><tr><th>across the ranks</th>"
                             "<th>rank</th><th>value</th></tr>")
            : QStringLiteral("<h2>Ranks</h2><table cellspacing='0' cellpadding='3' border='1'><tr><th>rank</th>"
                             "<th>trainer</th><th>own verdict</th><th>epochs</th><th>steps</th><th>last loss</th></tr>");
        for (const JobFact& fact : report.reducedFacts)
            ranks += QStringLiteral("<tr><td>%1</td><td>%2</td><td%3>%4</td></tr>")
                         .arg(escape(fact.what), escape(fact.rank),
                              fact.bad ? QStringLiteral(" style='color:%1'").arg(severityColor(2)) : QString(), escape(fact.value));
        for (const auto& r : report.ranks)
            ranks += QStringLiteral("<tr><td>%1%2</td><td>%3</td><td>%4</td><td>%5</td><td>%6</td><td>%7</td></tr>")
                         .arg(r.rank)
                         .arg(r.rank == report.shownRank ? QStringLiteral(" (this report)") : QString())
                         .arg(escape(r.state), escape(r.verdict))
                         .arg(r.epochs)
                         .arg(r.steps)
                         .arg(formatNumber(r.loss));
        ranks += QStringLiteral("</table><h2>Across the ranks</h2>");
        if (report.jobFindings.isEmpty())
            ranks += QStringLiteral("<p class='muted'>Nothing: weights in step, no rank first to break, none the others wait "
                                    "for, none lost.</p>");
        for (const Finding& f : report.jobFindings)
            ranks += QStringLiteral("<p><b style='color:%1'>%2</b>%3%4: %5<br><b>Fix (%6):</b> %7<br><span class='muted'>%8</span></p>")
                         .arg(severityColor(2), symptomName(f.symptom),
                              f.rank >= 0 ? QStringLiteral(" on rank %1").arg(f.rank) : QString(),
                              f.layer >= 0 ? QStringLiteral(" at ") + escape(f.layerLabel()) : QString(), escape(f.summary),
                              f.fixClass == FixClass::None ? QStringLiteral("what to do") : fixClassName(f.fixClass),
                              escape(f.fixText), escape(f.checker));
        first += ranks;
    }
    if (report.hasPrimary) {
        const Finding& f = report.primary;
        first += QStringLiteral("<h2>Faulty layer</h2><p><b>%1</b><br>symptom: <b>%2</b> (%3), seen in the %4 "
                                "from epoch %5, batch %6%7</p>")
                     .arg(escape(report.primaryLayer), symptomName(f.symptom), escape(describeSymptom(f.symptom)), locationName(f.location))
                     .arg(f.epoch + 1)
                     .arg(f.batch)
                     .arg(f.seconds >= 0 ? QStringLiteral(", %1 s after launch").arg(f.seconds, 0, 'f', 2) : QString());
        first += QStringLiteral("<p>%1</p>").arg(escape(f.summary));
        first += QStringLiteral("<h2>Recommended fix: %1</h2><p>%2</p><p class='muted'>Why this fix: %3</p>")
                     .arg(fixClassName(f.fixClass), escape(f.fixText), escape(f.checker));
        if (!report.primaryEvidence.isEmpty()) {
            first += QStringLiteral("<h2>Evidence</h2><table cellspacing='0' border='0'>");
            for (const auto& [name, value] : report.primaryEvidence)
                first += QStringLiteral("<tr><td>%1</td><td class='mono'>%2</td></tr>").arg(escape(name), escape(value));
            first += QStringLiteral("</table>");
        }
    }
    page.html(first);

    // The network, faulty layer highlighted.
    page.newPage();
    page.html(QStringLiteral("<h2>Network</h2><p class='muted'>Layers in forward order, coloured by health "
                             "(red: fault, amber: warning); the faulty layer has a heavy outline.</p>"));
    widgets::GraphSpec spec;
    for (const auto& node : report.nodes)
        spec.nodes.append({QString::number(node.id), node.title, node.detail, node.severity, node.primary, QString()});
    for (const auto& [from, to] : report.edges)
        spec.edges.append({QString::number(from), QString::number(to)});
    spec.leftToRight = report.nodes.size() > 8;
    const widgets::GraphLayout layout = widgets::layoutGraph(spec, true);
    if (layout.ok && !layout.svg.isEmpty()) {
        QSvgRenderer svg(layout.svg);
        const QSizeF natural = svg.defaultSize();
        const qreal scale = std::min({page.width() / natural.width(), (page.remaining() * 0.55) / natural.height(), 1.6});
        page.picture(natural.height() * scale, [&svg, natural, scale](QCPPainter& painter, const QRectF& area) {
            const QSizeF size = natural * scale;
            svg.render(&painter, QRectF(area.left() + (area.width() - size.width()) / 2, area.top(), size.width(), size.height()));
        });
    } else {
        page.html(QStringLiteral("<p class='muted'>No network picture: %1</p>").arg(escape(layout.error)));
    }

    // Symptom timeline.
    QString timeline = QStringLiteral("<h2>Symptom timeline</h2>");
    if (report.timeline.isEmpty() && report.changes.isEmpty()) {
        timeline += QStringLiteral("<p>No symptom appeared.</p>");
    } else {
        timeline += QStringLiteral("<table cellspacing='0' width='100%'><tr><th>When</th><th>Symptom</th><th>Where</th>"
                                   "<th>Fix</th><th>What was seen</th></tr>");
        int nextChange = 0;
        // A change made to the live training, in its place among the findings.
        const auto changeRow = [&](const ChangeRecord& c) {
            return QStringLiteral("<tr><td>%1</td><td style='color:#6a1b9a'>change</td><td></td><td>%2</td><td>%3</td></tr>")
                .arg(c.when(), c.applied ? QStringLiteral("made") : QStringLiteral("refused"),
                     escape(c.text));
        };
        for (const auto& f : report.timeline) {
            for (; nextChange < report.changes.size() && report.changes[nextChange].step < f.stepsDone(); ++nextChange)
                timeline += changeRow(report.changes[nextChange]);
            timeline += QStringLiteral("<tr><td>%1</td><td style='color:%2'>%3</td><td>%4</td><td>%5</td>"
                                       "<td>%6</td></tr>")
                            .arg(f.when(), severityColor(int(f.health())), symptomName(f.symptom), escape(f.layerLabel()), fixClassName(f.fixClass),
                                 escape(f.summary) + (f.explainedBy.isEmpty() ? QString()
                                                                               : QStringLiteral(" <i>(follows from %1)</i>")
                                                                                     .arg(escape(f.causeLabel(report.timeline))))
                                 + (f.afterChangeText().isEmpty() ? QString()
                                                                  : QStringLiteral(" <b>%1</b>").arg(escape(f.afterChangeText()))));
        }
        for (; nextChange < report.changes.size(); ++nextChange)
            timeline += changeRow(report.changes[nextChange]);
        timeline += QStringLiteral("</table>");
    }
    page.html(timeline);

    // Training curves.
    page.newPage();
    page.html(QStringLiteral("<h2>Training curves</h2>"));
    widgets::CurvePlot loss, accuracy;
    loss.setTitle(QStringLiteral("Loss"));
    loss.setAxisLabels(QStringLiteral("step"), QStringLiteral("loss"));
    loss.setCurve(QStringLiteral("batch loss"), report.steps, report.losses, 0);
    accuracy.setTitle(QStringLiteral("Accuracy"));
    accuracy.setAxisLabels(QStringLiteral("step"), QStringLiteral("accuracy"));
    if (!report.accuracies.isEmpty())
        accuracy.setCurve(QStringLiteral("batch accuracy"), report.accuracySteps, report.accuracies, 0);
    QVector<QPair<double, QString>> markers;
    for (const ChangeRecord& c : report.changes)
        if (c.applied)
            markers.append({double(c.step), c.text.section(QLatin1Char(':'), 0, 0).left(48)});
    loss.setMarkers(markers);
    accuracy.setMarkers(markers);
    int color = 1;
    for (auto it = report.epochMetrics.cbegin(); it != report.epochMetrics.cend(); ++it)
        (it.key().contains(QLatin1String("acc")) ? accuracy : loss)
            .setCurve(it.key(), it.value().first, it.value().second, color++, widgets::CurvePlot::Style::LineWithPoints);
    page.picture(260, [&loss](QCPPainter& painter, const QRectF& area) { drawPlot(painter, area, loss.plot()); });
    if (accuracy.curveCount() > 0)
        page.picture(230, [&accuracy](QCPPainter& painter, const QRectF& area) { drawPlot(painter, area, accuracy.plot()); });

    // The faulty layer's distributions over epochs.
    if (report.histogramLayer >= 0) {
        page.newPage();
        page.html(QStringLiteral("<h2>Distributions of %1</h2><p class='muted'>At each epoch end (the latest bold, "
                                 "earlier ones faded), normalised to densities.%2</p>")
                      .arg(escape(report.histogramLayerName),
                           report.parameterLayerName.isEmpty() ? QString()
                                                               : QStringLiteral(" It has no parameters: weights and gradients "
                                                                                "are those of %1, which feeds it.")
                                                                     .arg(escape(report.parameterLayerName))));
        for (const auto& [name, series] : report.histograms) {
            QVector<widgets::HistogramSeries> plotted;
            for (const auto& h : series)
                plotted.append({h.lo, h.hi, h.bins, h.label, h.note});
            widgets::HistogramPlot plot;
            plot.setSeries(plotted);
            plot.plot()->xAxis->setLabel(name);
            if (plotted.isEmpty())
                page.html(QStringLiteral("<p class='muted'>No %1 recorded for this layer.</p>").arg(name));
            else
                page.picture(220, [&plot](QCPPainter& painter, const QRectF& area) { drawPlot(painter, area, plot.plot()); });
        }
    }

    // Per-layer statistics.
    page.newPage();
    QString table = QStringLiteral("<h2>Per-layer statistics</h2><p class='muted'>At the last epoch end. Grad RMS: root mean "
                                   "square of the weight gradient; Update: relative change of the weights over the epoch; "
                                   "Dead / sat.: units that never fire (ReLU) or values in the flat tails (Sigmoid, Tanh).</p>"
                                   "<table cellspacing='0' width='100%'><tr>");
    for (const auto& header : report.tableHeader)
        table += QStringLiteral("<th>%1</th>").arg(escape(header));
    table += QStringLiteral("</tr>");
    for (int r = 0; r < report.tableRows.size(); ++r) {
        const int severity = report.tableSeverity.value(r);
        table += severity > 0 ? QStringLiteral("<tr style='background:%1'>").arg(severity == 2 ? QStringLiteral("#fbe3e2")
                                                                                               : QStringLiteral("#fff4d6"))
                              : QStringLiteral("<tr>");
        for (const auto& cell : report.tableRows[r])
            table += QStringLiteral("<td>%1</td>").arg(escape(cell));
        table += QStringLiteral("</tr>");
    }
    table += QStringLiteral("</table>");
    page.html(table);

    QString meta = QStringLiteral("<h2>Run</h2><table cellspacing='0'>");
    for (const auto& [name, value] : report.metadata)
        meta += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(escape(name), escape(value));
    meta += QStringLiteral("</table>");
    page.html(meta);
}

int render(QPdfWriter& writer, const ReportContent& report, int totalPages)
{
    QCPPainter painter(&writer);
    painter.setMode(QCPPainter::pmVectorized);
    painter.setRenderHint(QPainter::Antialiasing);
    Composer composer(writer, painter, totalPages);
    compose(composer, report);
    painter.end();
    return composer.pages();
}

void setUp(QPdfWriter& writer)
{
    writer.setResolution(96);
    writer.setPageSize(QPageSize(QPageSize::A4));
    writer.setPageMargins(QMarginsF(18, 16, 18, 12), QPageLayout::Millimeter);
    writer.setTitle(QStringLiteral("TrainDx diagnosis report"));
    writer.setCreator(QStringLiteral("TrainDx"));
}

} // namespace

bool writeReportPdf(const ReportContent& report, const QString& path, QString* error)
{
    // First pass counts the pages, into memory.
    QBuffer scratch;
    scratch.open(QIODevice::WriteOnly);
    int pages = 0;
    {
        QPdfWriter counting(&scratch);
        setUp(counting);
        pages = render(counting, report, 0);
    }
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    QPdfWriter writer(&file);
    setUp(writer);
    render(writer, report, pages);
    return true;
}

bool exportReport(const RunState& run, const QMap<QString, double>& thresholds, const QString& path, QString* error)
{
    return writeReportPdf(buildReport(run, thresholds), path, error);
}

bool exportJobReport(const QVector<RunStatePtr>& ranks, const QVector<Finding>& job, const QMap<QString, double>& thresholds,
                     const QString& path, QString* error)
{
    return writeReportPdf(buildJobReport(ranks, job, thresholds), path, error);
}

} // namespace traindx
