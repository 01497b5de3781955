// The inspector: everything about the selected layer — what it is, its statistics with
// their course over the epochs, the findings on it and the fix, with the numbers behind it.
#pragma once

#include "live_change.h"
#include "run_state.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;
class QTextBrowser;

namespace traindx {

namespace widgets {
class Sparkline;
}

class InspectorPanel : public QWidget {
    Q_OBJECT
public:
    explicit InspectorPanel(QWidget* parent = nullptr);

    void setState(const RunStatePtr& state);
    void setLayer(int layer);
    int layer() const { return m_layer; }
    QString findingsText() const;
    QTableWidget* statistics() const { return m_table; }
    QPushButton* applyButton() const { return m_apply; }
    QLineEdit* changeEdit() const { return m_change; }

Q_SIGNALS:
    // "Apply and continue": the change the user confirmed (pre-filled from the fix, editable).
    void applyRequested(const traindx::LiveChange& change);

private:
    void refresh();

    RunStatePtr m_state;
    int m_layer = -1;
    QLabel* m_header;
    QTableWidget* m_table;
    QVector<QPair<QLabel*, widgets::Sparkline*>> m_trends;
    QTextBrowser* m_findings;
    QWidget* m_applyRow;
    QLineEdit* m_change;
    QPushButton* m_apply;
    QString m_offeredFor; // key of the finding whose fix is offered
    void offerLiveFix();
};

} // namespace traindx
