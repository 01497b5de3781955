#include "runs_dialog.h"

#include "plot_style.h"

#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>

namespace traindx {

namespace {

constexpr int kPathRole = Qt::UserRole + 1;
constexpr int kSortRole = Qt::UserRole + 2;

QStandardItem* item(const QString& text, const QVariant& sortKey = {})
{
    auto* cell = new QStandardItem(text);
    cell->setEditable(false);
    cell->setToolTip(text);
    cell->setData(sortKey.isValid() ? sortKey : QVariant(text), kSortRole);
    return cell;
}

int severityOf(const QString& verdict)
{
    return verdict == QLatin1String("faulty") || verdict == QLatin1String("crashed") ? 2
        : verdict == QLatin1String("not_diagnosed")                                   ? 1
                                                                                      : 0;
}

} // namespace

RunsDialog::RunsDialog(const QString& directory, QWidget* parent)
    : QDialog(parent)
    , m_directory(directory)
    , m_filter(new QLineEdit(this))
    , m_table(new QTableView(this))
    , m_model(new QStandardItemModel(0, ColumnCount, this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_open(new QPushButton(tr("&Open"), this))
    , m_compare(new QPushButton(tr("&Compare"), this))
    , m_reveal(new QPushButton(tr("&Reveal file"), this))
    , m_delete(new QPushButton(tr("&Delete"), this))
{
    setWindowTitle(tr("Recorded runs"));
    resize(1180, 480);
    m_model->setHorizontalHeaderLabels({tr("Started"), tr("Program"), tr("Model"), tr("Epochs"), tr("Verdict"),
                                        tr("Most important finding"), tr("Size")});
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setSortRole(kSortRole);
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(TopFinding, QHeaderView::Stretch);
    m_table->setObjectName(QStringLiteral("runs-table"));
    m_filter->setObjectName(QStringLiteral("runs-filter"));
    m_filter->setPlaceholderText(tr("Filter by program, arguments, model, verdict or finding"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_filter);
    layout->addWidget(m_table, 1);
    auto* folder = new QLabel(tr("Runs in %1 (yours only)").arg(directory.toHtmlEscaped()), this);
    folder->setStyleSheet(QStringLiteral("color: #666"));
    layout->addWidget(folder);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->addButton(m_open, QDialogButtonBox::ActionRole);
    buttons->addButton(m_compare, QDialogButtonBox::ActionRole);
    buttons->addButton(m_reveal, QDialogButtonBox::ActionRole);
    buttons->addButton(m_delete, QDialogButtonBox::DestructiveRole);
    layout->addWidget(buttons);
    m_compare->setToolTip(tr("Select two runs: the older is A, the newer B"));
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_open, &QPushButton::clicked, this, [this] {
        if (const QStringList paths = selectedPaths(); paths.size() == 1)
            Q_EMIT openRequested(paths.first());
    });
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        Q_EMIT openRequested(index.siblingAtColumn(Started).data(kPathRole).toString());
    });
    connect(m_compare, &QPushButton::clicked, this, [this] {
        const QStringList paths = selectedPaths();
        if (paths.size() != 2)
            return;
        // The older one first: "what did the later run fix?"
        const QDateTime first = QFileInfo(paths[0]).lastModified(), second = QFileInfo(paths[1]).lastModified();
        if (first <= second)
            Q_EMIT compareRequested(paths[0], paths[1]);
        else
            Q_EMIT compareRequested(paths[1], paths[0]);
    });
    connect(m_reveal, &QPushButton::clicked, this, [this] {
        if (const QStringList paths = selectedPaths(); !paths.isEmpty())
            QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(paths.first()).absolutePath()));
    });
    connect(m_delete, &QPushButton::clicked, this, [this] { deleteSelected(); });
    reload();
    m_table->sortByColumn(Started, Qt::DescendingOrder);
}

void RunsDialog::reload()
{
    m_model->removeRows(0, m_model->rowCount());
    const QLocale locale;
    for (const RunSummary& run : listRunFiles(m_directory)) {
        const QString program = QFileInfo(run.program).fileName() + (run.arguments.isEmpty() ? QString() : QLatin1Char(' ') + run.arguments.join(QLatin1Char(' ')));
        const QString verdict = run.error.isEmpty() ? run.verdict() : run.error;
        QList<QStandardItem*> row {
            item(run.started.isValid() ? locale.toString(run.started, QLocale::ShortFormat) : tr("unknown"), run.started),
            item(program.trimmed().isEmpty() ? QFileInfo(run.path).fileName() : program),
            item(run.model),
            item(QString::number(run.epochs), run.epochs),
            item(verdict),
            item(run.topFinding),
            item(locale.formattedDataSize(run.bytes), run.bytes)};
        row[Started]->setData(run.path, kPathRole);
        row[Program]->setToolTip(run.path);
        row[Verdict]->setForeground(widgets::healthColor(severityOf(run.error.isEmpty() ? run.verdict() : QStringLiteral("faulty"))));
        m_model->appendRow(row);
    }
    m_table->resizeColumnsToContents();
    // Long command lines and model names give way to the finding, which says the most.
    for (int column : {int(Program), int(Model)})
        m_table->setColumnWidth(column, std::min(m_table->columnWidth(column), 300));
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunsDialog::updateButtons,
            Qt::UniqueConnection);
    updateButtons();
}

QStringList RunsDialog::selectedPaths() const
{
    QStringList paths;
    for (const QModelIndex& index : m_table->selectionModel()->selectedRows(Started))
        paths.append(index.data(kPathRole).toString());
    return paths;
}

void RunsDialog::deleteSelected(bool confirmed)
{
    const QStringList paths = selectedPaths();
    if (paths.isEmpty())
        return;
    if (!confirmed
        && QMessageBox::question(this, tr("Delete runs"),
                                 tr("Delete %n recorded run(s)? The files are removed from disk.", nullptr, int(paths.size())))
            != QMessageBox::Yes)
        return;
    QStringList failed;
    for (const QString& path : paths)
        if (!QFile::remove(path))
            failed.append(path);
    reload();
    if (!failed.isEmpty())
        QMessageBox::warning(this, tr("Delete runs"), tr("Could not delete:\n%1").arg(failed.join(QLatin1Char('\n'))));
}

void RunsDialog::updateButtons()
{
    const int selected = int(selectedPaths().size());
    m_open->setEnabled(selected == 1);
    m_compare->setEnabled(selected == 2);
    m_reveal->setEnabled(selected >= 1);
    m_delete->setEnabled(selected >= 1);
}

} // namespace traindx
