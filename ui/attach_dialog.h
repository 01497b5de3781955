// File > Attach…: this user's running training programs whose probe is listening, with
// what they are doing, refreshed every two seconds and asked off the UI thread; or a probe
// on another machine, by its tcp:// address and token.
#pragma once

#include "discovery.h"

#include <QAbstractTableModel>
#include <QDialog>
#include <QFutureWatcher>
#include <QTimer>

class QLabel;
class QLineEdit;
class QTableView;

namespace traindx {

class ProbeListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Pid, Program, Model, Epoch, Uptime, Status, ColumnCount };

    explicit ProbeListModel(QObject* parent = nullptr);
    void setProbes(const QVector<discovery::ProbeInfo>& probes);
    const discovery::ProbeInfo* probe(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<discovery::ProbeInfo> m_probes;
};

class AttachDialog : public QDialog {
    Q_OBJECT
public:
    explicit AttachDialog(QWidget* parent = nullptr);
    ~AttachDialog() override;

    // A local socket, or "tcp://HOST:PORT" with token().
    QString socketPath() const { return m_chosen; }
    QString token() const;
    ProbeListModel* model() const { return m_model; }
    void refresh();

private:
    ProbeListModel* m_model;
    QTableView* m_view;
    QLabel* m_status;
    QLineEdit* m_address;
    QLineEdit* m_token;
    QTimer m_timer;
    QFutureWatcher<QVector<discovery::ProbeInfo>> m_watcher;
    QString m_chosen;
};

} // namespace traindx
