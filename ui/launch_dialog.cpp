#include "launch_dialog.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSettings>

namespace traindx {

namespace {

QWidget* withBrowse(QLineEdit* edit, QWidget* parent, bool directory)
{
    auto* row = new QWidget(parent);
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(edit, 1);
    auto* browse = new QPushButton(QObject::tr("Browse…"), row);
    layout->addWidget(browse);
    QObject::connect(browse, &QPushButton::clicked, parent, [edit, parent, directory] {
        const QString chosen = directory
            ? QFileDialog::getExistingDirectory(parent, QObject::tr("Working directory"), edit->text())
            : QFileDialog::getOpenFileName(parent, QObject::tr("Training program"), edit->text());
        if (!chosen.isEmpty())
            edit->setText(chosen);
    });
    return row;
}

QString quoted(const QStringList& arguments)
{
    QStringList parts;
    for (const QString& argument : arguments)
        parts.append(argument.contains(QLatin1Char(' ')) ? QLatin1Char('"') + argument + QLatin1Char('"') : argument);
    return parts.join(QLatin1Char(' '));
}

} // namespace

LaunchDialog::LaunchDialog(QWidget* parent)
    : QDialog(parent)
    , m_program(new QLineEdit(this))
    , m_arguments(new QLineEdit(this))
    , m_directory(new QLineEdit(this))
    , m_environment(new QLineEdit(this))
{
    setWindowTitle(tr("Launch a training program"));
    auto* form = new QFormLayout;
    form->addRow(tr("&Program:"), withBrowse(m_program, this, false));
    form->addRow(tr("&Arguments:"), m_arguments);
    form->addRow(tr("&Working directory:"), withBrowse(m_directory, this, true));
    form->addRow(tr("&Environment:"), m_environment);
    m_program->setPlaceholderText(tr("a LibTorch program linked with the TrainDx probe"));
    m_directory->setPlaceholderText(tr("current directory"));
    m_environment->setPlaceholderText(tr("NAME=value NAME=value"));
    m_program->setMinimumWidth(420);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Launch"));
    connect(buttons, &QDialogButtonBox::accepted, this, &LaunchDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &LaunchDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);

    const LaunchSpec last = lastSpec();
    m_program->setText(last.program);
    m_arguments->setText(quoted(last.arguments));
    m_directory->setText(last.workingDirectory);
    m_environment->setText(last.environment.join(QLatin1Char(' ')));
}

LaunchSpec LaunchDialog::spec() const
{
    LaunchSpec spec;
    spec.program = m_program->text().trimmed();
    spec.arguments = QProcess::splitCommand(m_arguments->text());
    spec.workingDirectory = m_directory->text().trimmed();
    spec.environment = QProcess::splitCommand(m_environment->text());
    return spec;
}

void LaunchDialog::accept()
{
    if (m_program->text().trimmed().isEmpty()) {
        QMessageBox::warning(this, windowTitle(), tr("Choose the training program to launch."));
        return;
    }
    remember(spec());
    QDialog::accept();
}

LaunchSpec LaunchDialog::lastSpec()
{
    QSettings settings;
    settings.beginGroup(QStringLiteral("launch"));
    LaunchSpec spec;
    spec.program = settings.value(QStringLiteral("program")).toString();
    spec.arguments = settings.value(QStringLiteral("arguments")).toStringList();
    spec.workingDirectory = settings.value(QStringLiteral("workingDirectory")).toString();
    spec.environment = settings.value(QStringLiteral("environment")).toStringList();
    return spec;
}

void LaunchDialog::remember(const LaunchSpec& spec)
{
    QSettings settings;
    settings.beginGroup(QStringLiteral("launch"));
    settings.setValue(QStringLiteral("program"), spec.program);
    settings.setValue(QStringLiteral("arguments"), spec.arguments);
    settings.setValue(QStringLiteral("workingDirectory"), spec.workingDirectory);
    settings.setValue(QStringLiteral("environment"), spec.environment);
}

} // namespace traindx
