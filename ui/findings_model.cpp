#include "findings_model.h"

#include "plot_style.h"

#include <QColor>
#include <QSet>

namespace traindx {

FindingsModel::FindingsModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void FindingsModel::setFindings(const QVector<Finding>& findings)
{
    QStringList oldKeys, newKeys;
    for (const auto& f : m_findings)
        oldKeys.append(f.key());
    for (const auto& f : findings)
        newKeys.append(f.key());
    if (oldKeys == newKeys) {
        m_findings = findings; // the same findings: only their fix may have been linked to a cause since
        if (!m_findings.isEmpty())
            Q_EMIT dataChanged(index(0, 0), index(m_findings.size() - 1, ColumnCount - 1));
        return;
    }
    // Insert the new ones in place when the known ones kept their order; else start over.
    QStringList kept;
    for (const QString& key : newKeys)
        if (oldKeys.contains(key))
            kept.append(key);
    if (kept != oldKeys) {
        beginResetModel();
        m_findings = findings;
        endResetModel();
        return;
    }
    for (int row = 0; row < findings.size(); ++row) {
        if (row < m_findings.size() && m_findings[row].key() == newKeys[row])
            continue;
        beginInsertRows({}, row, row);
        m_findings.insert(row, findings[row]);
        endInsertRows();
    }
    m_findings = findings;
    Q_EMIT dataChanged(index(0, 0), index(m_findings.size() - 1, ColumnCount - 1));
}

const Finding* FindingsModel::finding(int row) const
{
    return row >= 0 && row < m_findings.size() ? &m_findings[row] : nullptr;
}

int FindingsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_findings.size();
}

int FindingsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FindingsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Finding& f = m_findings[index.row()];
    switch (role) {
    case LayerIdRole:
        return f.layer;
    case KeyRole:
        return f.key();
    case Qt::ToolTipRole:
        return QStringLiteral("<b>%1</b><br>%2<br><br><b>Fix (%3):</b> %4<br><i>%5</i>")
            .arg(describeSymptom(f.symptom), f.summary.toHtmlEscaped(), fixClassName(f.fixClass), f.fixText.toHtmlEscaped(),
                 f.checker.toHtmlEscaped());
    case Qt::DecorationRole:
        return index.column() == Symptom ? QVariant(widgets::healthColor(int(f.health())))
                                         : QVariant();
    case Qt::ForegroundRole:
        return f.explainedBy.isEmpty() ? QVariant() : QVariant(QColor(0x70, 0x70, 0x70));
    case Qt::DisplayRole:
        switch (index.column()) {
        case Symptom: return symptomName(f.symptom);
        case Layer: return f.layerLabel();
        case When: return f.when();
        case Fix: return fixClassName(f.fixClass);
        case Summary: {
            const QString summary = f.explainedBy.isEmpty() ? f.summary
                                                            : tr("%1 (follows from %2)").arg(f.summary, f.causeLabel(m_findings));
            const QString after = f.afterChangeText();
            return after.isEmpty() ? summary : QStringLiteral("[%1] %2").arg(after, summary);
        }
        }
    }
    return {};
}

QVariant FindingsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Symptom: return tr("Symptom");
    case Layer: return tr("Layer");
    case When: return tr("First seen");
    case Fix: return tr("Fix");
    case Summary: return tr("Evidence");
    }
    return {};
}

} // namespace traindx
