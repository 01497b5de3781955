// The diagnosis' findings, most important first: symptom, layer, when, fix. New findings
// are inserted where their rank puts them, so selections and scroll positions survive.
#pragma once

#include "run_state.h"

#include <QAbstractTableModel>

namespace traindx {

class FindingsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Symptom, Layer, When, Fix, Summary, ColumnCount };
    enum Role { LayerIdRole = Qt::UserRole + 1, KeyRole };

    explicit FindingsModel(QObject* parent = nullptr);

    void setFindings(const QVector<Finding>& findings);
    const Finding* finding(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<Finding> m_findings;
};

} // namespace traindx
