// The ranks of a job side by side: one row per rank (its state, epoch, step, last loss,
// last gradient norm, health), and below them what comparing the ranks found. Activating a
// row shows that rank in every other view.
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
    QTableWidget* table() const { return m_table; }
    QString jobFindingsText() const;
    const QVector<Finding>& jobFindings() const { return m_job; }

Q_SIGNALS:
    void rankActivated(int rank);

private:
    QTableWidget* m_table;
    QTextBrowser* m_findings;
    QVector<Finding> m_job;
};

} // namespace traindx
