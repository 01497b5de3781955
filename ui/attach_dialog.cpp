#include "attach_dialog.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace traindx {

namespace {

QString uptime(qint64 startedMs)
{
    if (startedMs <= 0)
        return {};
    const qint64 seconds = (QDateTime::currentMSecsSinceEpoch() - startedMs) / 1000;
    if (seconds < 60)
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 3600)
        return QStringLiteral("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
    return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60);
}

} // namespace

ProbeListModel::ProbeListModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void ProbeListModel::setProbes(const QVector<discovery::ProbeInfo>& probes)
{
    // Same processes: update in place; otherwise the list changed shape.
    bool same = probes.size() == m_probes.size();
    for (int i = 0; same && i < probes.size(); ++i)
        same = probes[i].pid == m_probes[i].pid;
    if (!same) {
        beginResetModel();
        m_probes = probes;
        endResetModel();
        return;
    }
    m_probes = probes;
    if (!m_probes.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(m_probes.size() - 1, ColumnCount - 1));
}

const discovery::ProbeInfo* ProbeListModel::probe(int row) const
{
    return row >= 0 && row < m_probes.size() ? &m_probes[row] : nullptr;
}

int ProbeListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_probes.size();
}

int ProbeListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ProbeListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const discovery::ProbeInfo& p = m_probes[index.row()];
    if (role == Qt::ToolTipRole)
        return p.ok ? p.program + QLatin1Char(' ') + p.arguments.join(QLatin1Char(' ')) + QLatin1Char('\n') + p.socketPath : p.error;
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Pid: return p.pid;
    case Program: return QFileInfo(p.program).fileName() + (p.arguments.isEmpty() ? QString() : QLatin1Char(' ') + p.arguments.join(QLatin1Char(' ')));
    case Model: return p.modelName;
    case Epoch: return p.ok ? tr("%1 (step %2)").arg(p.epoch).arg(p.step) : QString();
    case Uptime: return uptime(p.startedUnixMs);
    case Status: return !p.ok ? tr("not answering: %1").arg(p.error) : p.busy ? tr("another TrainDx is attached") : tr("listening");
    }
    return {};
}

QVariant ProbeListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Pid: return tr("PID");
    case Program: return tr("Program");
    case Model: return tr("Model");
    case Epoch: return tr("Epochs done");
    case Uptime: return tr("Running for");
    case Status: return tr("Probe");
    }
    return {};
}

AttachDialog::AttachDialog(QWidget* parent)
    : QDialog(parent)
    , m_model(new ProbeListModel(this))
    , m_view(new QTableView(this))
    , m_status(new QLabel(this))
    , m_address(new QLineEdit(this))
    , m_token(new QLineEdit(this))
{
    setWindowTitle(tr("Attach to a running training program"));
    resize(760, 320);
    m_view->setObjectName(QStringLiteral("probe-list"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    QPushButton* attach = buttons->button(QDialogButtonBox::Ok);
    attach->setText(tr("&Attach"));
    attach->setEnabled(false);
    QPushButton* again = buttons->addButton(tr("&Refresh"), QDialogButtonBox::ActionRole);
    connect(again, &QPushButton::clicked, this, &AttachDialog::refresh);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto choose = [this](const QModelIndex& index) {
        const discovery::ProbeInfo* probe = m_model->probe(index.row());
        if (!probe || !probe->ok)
            return;
        m_chosen = probe->socketPath;
        accept();
    };
    connect(buttons, &QDialogButtonBox::accepted, this, [this, choose] { choose(m_view->currentIndex()); });
    connect(m_view, &QTableView::doubleClicked, this, choose);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this, attach](const QModelIndex& current) {
        const discovery::ProbeInfo* probe = m_model->probe(current.row());
        attach->setEnabled(probe && probe->ok);
    });

    // A probe started with TRAINDX_LISTEN=tcp://…, on this machine or another.
    m_address->setObjectName(QStringLiteral("remote-address"));
    m_address->setPlaceholderText(tr("tcp://host:7777"));
    m_token->setObjectName(QStringLiteral("remote-token"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("the token the probe printed, or $TRAINDX_TOKEN"));
    m_token->setText(qEnvironmentVariable("TRAINDX_TOKEN"));
    auto* remote = new QPushButton(tr("Attach &remote"), this);
    remote->setObjectName(QStringLiteral("attach-remote"));
    remote->setEnabled(false);
    auto remoteReady = [this, remote] {
        const QUrl url(m_address->text().trimmed());
        remote->setEnabled(url.scheme() == QLatin1String("tcp") && !url.host().isEmpty() && url.port() > 0
                           && !m_token->text().isEmpty());
    };
    connect(m_address, &QLineEdit::textChanged, this, remoteReady);
    connect(m_token, &QLineEdit::textChanged, this, remoteReady);
    connect(remote, &QPushButton::clicked, this, [this] {
        m_chosen = m_address->text().trimmed();
        accept();
    });
    auto* remoteRow = new QFormLayout;
    auto* addressRow = new QHBoxLayout;
    addressRow->addWidget(m_address, 2);
    addressRow->addWidget(m_token, 3);
    addressRow->addWidget(remote);
    remoteRow->addRow(tr("On another machine:"), addressRow);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_status);
    layout->addLayout(remoteRow);
    layout->addWidget(buttons);

    connect(&m_watcher, &QFutureWatcher<QVector<discovery::ProbeInfo>>::finished, this, [this] {
        const auto probes = m_watcher.result();
        m_model->setProbes(probes);
        const QString where = discovery::describeDirectory();
        m_status->setText(probes.isEmpty() ? tr("No training program with a TrainDx probe is running for this user (looked in %1).")
                                                 .arg(where)
                                           : tr("%n program(s) listening in %1", nullptr, int(probes.size())).arg(where));
    });
    m_timer.setInterval(2000);
    connect(&m_timer, &QTimer::timeout, this, &AttachDialog::refresh);
    m_timer.start();
    refresh();
}

QString AttachDialog::token() const
{
    return m_token->text();
}

AttachDialog::~AttachDialog()
{
    m_watcher.waitForFinished();
}

void AttachDialog::refresh()
{
    if (m_watcher.isRunning())
        return;
    m_watcher.setFuture(QtConcurrent::run([] {
        QVector<discovery::ProbeInfo> probes;
        for (const auto& endpoint : discovery::listEndpoints())
            probes.append(discovery::queryEndpoint(endpoint.socketPath, 800));
        return probes;
    }));
}

} // namespace traindx
