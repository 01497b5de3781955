// The ranks of a job side by side: one row per rank (its state, epoch, step, last loss,
// last gradient norm, health), and beside them what comparing the ranks found. Activating a
// row shows that rank in every other view. A job served reduced has one stream, the job's:
// the table then says which rank stands out and by how much (slowest, largest gradient,
// first non-finite, weights farthest apart) and whether the probes still combine.
#pragma once

#include "run_state.h"

#include <QWidget>

class QTableWidget;
class QTextBrowser;

namespace traindx {

class RanksPanel : public QWidget {
    Q_OBJECT
public:
    explicit RanksPanel(QWidget* parent = nullptr);
    void setRanks(const QVector<RunStatePtr>& ranks, int selected);
    void setReducedJob(const RunState& run);
    QTableWidget* table() const { return m_table; }
    QString jobFindingsText() const;
    const QVector<Finding>& jobFindings() const { return m_job; }

Q_SIGNALS:
    void rankActivated(int rank);

private:
    void showJobFindings();

    QTableWidget* m_table;
    QTextBrowser* m_findings;
    QVector<Finding> m_job;
};

} // namespace traindx
