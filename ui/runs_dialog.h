// File ▸ Runs: the recorded runs of this user, newest first, with what each was and what
// the diagnosis said; filter, sort, open, compare two, reveal or delete a file.
#pragma once

#include "run_summary.h"

#include <QDialog>

class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QStandardItemModel;
class QTableView;

namespace traindx {

class RunsDialog : public QDialog {
    Q_OBJECT
public:
    enum Column { Started, Program, Model, Epochs, Verdict, TopFinding, Size, ColumnCount };

    explicit RunsDialog(const QString& directory, QWidget* parent = nullptr);

    void reload();
    QTableView* table() const { return m_table; }
    QLineEdit* filter() const { return m_filter; }
    // The selected runs' files, in the order shown.
    QStringList selectedPaths() const;
    // Deletes the selected files, after asking unless `confirmed`.
    void deleteSelected(bool confirmed = false);

Q_SIGNALS:
    void openRequested(const QString& path);
    void compareRequested(const QString& before, const QString& after);

private:
    void updateButtons();

    QString m_directory;
    QLineEdit* m_filter;
    QTableView* m_table;
    QStandardItemModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QPushButton* m_open;
    QPushButton* m_compare;
    QPushButton* m_reveal;
    QPushButton* m_delete;
};

} // namespace traindx
