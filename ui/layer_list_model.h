// The model's layers as a table: forward index, module path, type, parameters, output
// shape. Updated in place from each published RunState.
#pragma once

#include "run_state.h"

#include <QAbstractTableModel>

namespace traindx {

class LayerListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Index, Path, Type, Parameters, Output, ColumnCount };
    enum Role { LayerIdRole = Qt::UserRole + 1 };

    explicit LayerListModel(QObject* parent = nullptr);

    void setModel(const Model& model);
    // 0 healthy, 1 warning, 2 faulty, by layer id.
    void setHealth(const QHash<int, int>& health);
    int layerId(int row) const;
    int rowOf(int layerId) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<Layer> m_layers; // the root module is not a row
    QHash<int, int> m_health;
};

} // namespace traindx
