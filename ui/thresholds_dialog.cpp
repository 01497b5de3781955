#include "thresholds_dialog.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QTableWidget>
#include <QVBoxLayout>

namespace traindx {

namespace {
const QString kGroup = QStringLiteral("thresholds");
}

Thresholds ThresholdsDialog::fromSettings()
{
    Thresholds thresholds;
    QSettings settings;
    settings.beginGroup(kGroup);
    QString ignored;
    for (const QString& name : settings.childKeys())
        thresholds.set(name, settings.value(name).toString(), &ignored); // names a newer TrainDx dropped are skipped
    return thresholds;
}

ThresholdsDialog::ThresholdsDialog(QWidget* parent)
    : QDialog(parent)
    , m_table(new QTableWidget(this))
{
    setWindowTitle(tr("Diagnosis thresholds"));
    resize(820, 560);
    const Thresholds current = fromSettings();
    const Thresholds defaults;
    m_table->setColumnCount(3);
    m_table->setHorizontalHeaderLabels({tr("Threshold"), tr("Value"), tr("Meaning")});
    m_table->setRowCount(current.entries().size());
    for (int row = 0; row < current.entries().size(); ++row) {
        const auto& entry = current.entries()[row];
        auto* name = new QTableWidgetItem(entry.name);
        name->setFlags(name->flags() & ~Qt::ItemIsEditable);
        auto* value = new QTableWidgetItem(QString::number(entry.value, 'g', 10));
        value->setToolTip(tr("default %1").arg(defaults.entries()[row].value));
        auto* meaning = new QTableWidgetItem(entry.meaning);
        meaning->setFlags(meaning->flags() & ~Qt::ItemIsEditable);
        m_table->setItem(row, 0, name);
        m_table->setItem(row, 1, value);
        m_table->setItem(row, 2, meaning);
    }
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::RestoreDefaults, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &ThresholdsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this, [this, defaults] {
        for (int row = 0; row < m_table->rowCount(); ++row)
            m_table->item(row, 1)->setText(QString::number(defaults.entries()[row].value, 'g', 10));
    });
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_table);
    layout->addWidget(buttons);
}

void ThresholdsDialog::accept()
{
    Thresholds checked;
    QString error;
    for (int row = 0; row < m_table->rowCount(); ++row)
        if (!checked.set(m_table->item(row, 0)->text(), m_table->item(row, 1)->text(), &error)) {
            QMessageBox::warning(this, windowTitle(), error);
            return;
        }
    QSettings settings;
    settings.remove(kGroup);
    settings.beginGroup(kGroup);
    const auto changed = checked.overridden();
    for (auto it = changed.begin(); it != changed.end(); ++it)
        settings.setValue(it.key(), it.value());
    QDialog::accept();
}

} // namespace traindx
