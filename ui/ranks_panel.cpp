#include "ranks_panel.h"

#include "cross_rank.h"
#include "job_facts.h"
#include "plot_style.h"

#include <QHeaderView>
#include <QTableWidget>
#include <QTextBrowser>
#include <QHBoxLayout>

#include <cmath>

namespace traindx {

namespace {

enum Column { RankColumn, StateColumn, EpochColumn, StepColumn, LossColumn, GradNormColumn, HealthColumn, ColumnCount };

QString lastGradNorm(const RunState& run)
{
    for (int i = run.points.size() - 1; i >= 0 && i >= run.points.size() - 50; --i)
        if (run.points[i].gradNorm >= 0)
            return formatNumber(run.points[i].gradNorm);
    return QStringLiteral("—");
}

} // namespace

RanksPanel::RanksPanel(QWidget* parent)
    : QWidget(parent)
    , m_table(new QTableWidget(0, ColumnCount, this))
    , m_findings(new QTextBrowser(this))
{
    m_table->setObjectName(QStringLiteral("ranks-table"));
    m_table->setHorizontalHeaderLabels({tr("Rank"), tr("State"), tr("Epoch"), tr("Step"), tr("Loss"), tr("Grad norm"), tr("Health")});
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setToolTip(tr("Double-click a rank to show it in every view"));
    m_findings->setObjectName(QStringLiteral("job-findings"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_findings, 1);
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this](int row, int) { Q_EMIT rankActivated(row); });
}

void RanksPanel::setRanks(const QVector<RunStatePtr>& ranks, int selected)
{
    if (m_table->columnCount() != ColumnCount) {
        m_table->clear();
        m_table->setColumnCount(ColumnCount);
        m_table->setHorizontalHeaderLabels({tr("Rank"), tr("State"), tr("Epoch"), tr("Step"), tr("Loss"), tr("Grad norm"), tr("Health")});
    }
    m_job = diagnoseJob(ranks);
    m_table->setRowCount(ranks.size());
    for (int r = 0; r < ranks.size(); ++r) {
        const RunState* run = ranks[r].get();
        int faults = 0;
        if (run)
            for (const Finding& f : run->findings)
                faults += f.isFault();
        int jobFaults = 0;
        for (const Finding& f : m_job)
            jobFaults += f.rank == r && f.isFault();
        const QString health = !run ? QString()
            : jobFaults > 0          ? tr("%1 across ranks").arg(symptomName(std::find_if(m_job.begin(), m_job.end(), [r](const Finding& f) {
                                           return f.rank == r;
                                       })->symptom))
            : faults > 0             ? tr("%n fault(s)", nullptr, faults)
            : run->state == TrainerState::Finished ? tr("healthy")
                                                   : tr("healthy so far");
        const double loss = run && !run->points.isEmpty() ? run->points.last().loss : std::nan("");
        const QStringList cells {r == selected ? QStringLiteral("▶ %1").arg(r) : QString::number(r),
                                 run ? trainerStateName(run->state) : tr("starting"),
                                 run ? QString::number(run->epoch) : QString(),
                                 run ? QString::number(run->step) : QString(),
                                 run ? formatNumber(loss) : QString(),
                                 run ? lastGradNorm(*run) : QString(),
                                 health};
        const QColor colour = widgets::healthColor(jobFaults > 0 || faults > 0 ? int(Health::Faulty) : int(Health::Healthy));
        for (int c = 0; c < ColumnCount; ++c) {
            auto* item = m_table->item(r, c);
            if (!item) {
                item = new QTableWidgetItem;
                m_table->setItem(r, c, item);
            }
            item->setText(cells[c]);
            if (c == HealthColumn)
                item->setForeground(jobFaults > 0 || faults > 0 ? colour : palette().text().color());
        }
    }
    m_table->resizeColumnsToContents();
    showJobFindings();
}

void RanksPanel::setReducedJob(const RunState& run)
{
    m_job.clear();
    for (const Finding& f : run.findings)
        if (isJobSymptom(f.symptom))
            m_job.append(f);
    const QVector<JobFact> rows = reducedJobFacts(run);
    m_table->clear();
    m_table->setColumnCount(3);
    m_table->setHorizontalHeaderLabels({tr("Across the ranks"), tr("Rank"), tr("Value")});
    m_table->setRowCount(rows.size());
    const QColor faulty = widgets::healthColor(int(Health::Faulty));
    for (int r = 0; r < rows.size(); ++r) {
        const QStringList cells {rows[r].what, rows[r].rank, rows[r].value};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (rows[r].bad)
                item->setForeground(faulty);
            m_table->setItem(r, c, item);
        }
    }
    m_table->resizeColumnsToContents();
    showJobFindings();
}

void RanksPanel::showJobFindings()
{
    QString html;
    if (m_job.isEmpty()) {
        html = tr("<p style='color:#555'>Across the ranks: nothing — weights in step, no rank first to break, none the "
                  "others wait for, none lost.</p>");
    } else {
        for (const Finding& f : m_job)
            html += QStringLiteral("<p><b style='color:#c62828'>%1</b>%2%3: %4<br><b>Fix:</b> %5<br><i>%6</i></p>")
                        .arg(symptomName(f.symptom),
                             f.rank >= 0 ? tr(" on rank %1").arg(f.rank) : QString(),
                             f.layer >= 0 ? tr(" at %1").arg(f.layerLabel().toHtmlEscaped()) : QString(),
                             f.summary.toHtmlEscaped(), f.fixText.toHtmlEscaped(), f.checker.toHtmlEscaped());
    }
    m_findings->setHtml(html);
}

QString RanksPanel::jobFindingsText() const
{
    return m_findings->toPlainText();
}

} // namespace traindx
