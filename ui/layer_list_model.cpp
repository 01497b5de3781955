#include "layer_list_model.h"

#include "plot_style.h"

#include <QLocale>

namespace traindx {

LayerListModel::LayerListModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void LayerListModel::setModel(const Model& model)
{
    const QVector<Layer> layers = model.layers.size() > 1 ? model.layers.mid(1) : QVector<Layer>();
    const bool sameRows = layers.size() == m_layers.size()
        && std::equal(layers.begin(), layers.end(), m_layers.begin(),
                      [](const Layer& a, const Layer& b) { return a.path == b.path && a.type == b.type; });
    if (!sameRows) {
        beginResetModel();
        m_layers = layers;
        endResetModel();
        return;
    }
    for (int row = 0; row < layers.size(); ++row) {
        const bool changed = layers[row].outputShape != m_layers[row].outputShape
            || layers[row].index != m_layers[row].index || layers[row].options != m_layers[row].options;
        m_layers[row] = layers[row];
        if (changed)
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    }
}

void LayerListModel::setHealth(const QHash<int, int>& health)
{
    QVector<int> changed;
    for (int row = 0; row < m_layers.size(); ++row)
        if (health.value(m_layers[row].id) != m_health.value(m_layers[row].id))
            changed.append(row);
    m_health = health;
    for (int row : std::as_const(changed))
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1), {Qt::DecorationRole, Qt::BackgroundRole});
}

int LayerListModel::layerId(int row) const
{
    return row >= 0 && row < m_layers.size() ? m_layers[row].id : -1;
}

int LayerListModel::rowOf(int layerId) const
{
    for (int row = 0; row < m_layers.size(); ++row)
        if (m_layers[row].id == layerId)
            return row;
    return -1;
}

int LayerListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_layers.size();
}

int LayerListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LayerListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Layer& layer = m_layers[index.row()];
    if (role == LayerIdRole)
        return layer.id;
    if (role == Qt::ToolTipRole)
        return layer.options;
    const int health = m_health.value(layer.id);
    if (role == Qt::DecorationRole && index.column() == Path)
        return widgets::healthColor(health);
    if (role == Qt::BackgroundRole && health > 0) {
        QColor tint = widgets::healthColor(health);
        tint.setAlpha(health == 2 ? 60 : 40);
        return tint;
    }
    if (role == Qt::TextAlignmentRole && (index.column() == Index || index.column() == Parameters))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Index: return layer.index >= 0 ? QVariant(layer.index) : QVariant();
    case Path: return layer.path;
    case Type: return layer.type;
    case Parameters: return layer.parameterCount() > 0 ? QLocale().toString(layer.parameterCount()) : QString();
    case Output: return layer.outputShape.isEmpty() ? QString() : shapeText(layer.outputShape);
    }
    return {};
}

QVariant LayerListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Index: return tr("#");
    case Path: return tr("Module");
    case Type: return tr("Type");
    case Parameters: return tr("Parameters");
    case Output: return tr("Output");
    }
    return {};
}

} // namespace traindx
