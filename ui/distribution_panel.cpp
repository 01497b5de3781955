#include "distribution_panel.h"

#include "distribution_map.h"
#include "histogram_grid.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QVBoxLayout>

namespace traindx {

namespace {

QComboBox* kindChooser(QWidget* parent)
{
    auto* combo = new QComboBox(parent);
    combo->addItem(QObject::tr("outputs"), int(TensorKind::Activation));
    combo->addItem(QObject::tr("weights"), int(TensorKind::Weight));
    combo->addItem(QObject::tr("gradients"), int(TensorKind::WeightGrad));
    return combo;
}

} // namespace

DistributionPanel::DistributionPanel(QWidget* parent)
    : QWidget(parent)
    , m_kind(kindChooser(this))
    , m_map(new widgets::DistributionMap(this))
{
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Show"), this));
    top->addWidget(m_kind);
    top->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_map, 1);
    m_map->setObjectName(QStringLiteral("distribution-map"));
    m_map->setAxisLabels(tr("epoch (0: before training)"), tr("value"));
    connect(m_kind, &QComboBox::currentIndexChanged, this, [this] {
        m_shownEpochs = -1;
        refresh();
    });
}

void DistributionPanel::setState(const RunStatePtr& state)
{
    m_state = state;
    if (state && (state->epochEnds.size() != m_shownEpochs || state->changes.size() != m_shownChanges))
        refresh();
}

void DistributionPanel::setLayer(int layer)
{
    m_layer = layer;
    m_shownEpochs = -1;
    refresh();
}

void DistributionPanel::refresh()
{
    const Layer* layer = m_state ? m_state->model.layer(m_layer) : nullptr;
    const auto kind = TensorKind(m_kind->currentData().toInt());
    m_map->setTitle(layer ? tr("%1 of %2 over the epochs").arg(m_kind->currentText(), layer->displayName())
                          : tr("Select a layer"));
    QVector<widgets::DistributionColumn> columns;
    if (layer) {
        m_shownEpochs = m_state->epochEnds.size();
        m_shownChanges = m_state->changes.size();
        for (const SnapshotPtr& s : m_state->snapshots) {
            const LayerSample* sample = s->layer(m_layer);
            if (!(s->epochEnd || s->initial) || !sample || !sample->stats(kind).present || sample->stats(kind).bins.isEmpty())
                continue;
            const TensorStats& t = sample->stats(kind);
            columns.append({double(s->initial ? 0 : s->epoch + 1), t.histLo, t.histHi, t.bins});
        }
    }
    m_map->setColumns(columns);
    // Each change to the live training between the epoch columns it separates.
    QVector<QPair<double, QString>> markers;
    if (layer)
        for (const ChangeRecord& c : m_state->changes)
            if (c.applied)
                markers.append({(c.atEpochEnd ? c.epoch + 1 : c.epoch) + 0.5, c.text.section(QLatin1Char(':'), 0, 0).left(40)});
    m_map->setMarkers(markers);
}

OverviewPanel::OverviewPanel(QWidget* parent)
    : QWidget(parent)
    , m_kind(kindChooser(this))
    , m_scroll(new QScrollArea(this))
    , m_grid(new widgets::HistogramGrid)
{
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("All layers, latest"), this));
    top->addWidget(m_kind);
    top->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    m_grid->setObjectName(QStringLiteral("overview-grid"));
    m_scroll->setWidget(m_grid);
    m_scroll->setWidgetResizable(true);
    layout->addWidget(m_scroll, 1);
    connect(m_grid, &widgets::HistogramGrid::cellClicked, this, &OverviewPanel::layerClicked);
    connect(m_kind, &QComboBox::currentIndexChanged, this, [this] {
        m_shownRevision = 0;
        refresh();
    });
}

void OverviewPanel::setState(const RunStatePtr& state)
{
    m_state = state;
    if (isVisible())
        refresh(); // hidden tabs catch up when shown
}

void OverviewPanel::refresh()
{
    if (!m_state || m_state->revision == m_shownRevision)
        return;
    m_shownRevision = m_state->revision;
    const auto kind = TensorKind(m_kind->currentData().toInt());
    QVector<widgets::GridCell> cells;
    for (const Layer& layer : m_state->model.layers) {
        if (layer.id == 0 || !layer.leaf)
            continue;
        widgets::GridCell cell;
        cell.id = layer.id;
        cell.title = layer.displayName();
        cell.severity = int(m_state->layerHealth(layer.id));
        if (const SnapshotPtr s = m_state->latestWith(layer.id, kind)) {
            const TensorStats& t = s->layer(layer.id)->stats(kind);
            cell.lo = t.histLo;
            cell.hi = t.histHi;
            cell.bins = t.bins;
            cell.count = t.count;
            cell.nonFinite = t.nonFinite();
        }
        cells.append(cell);
    }
    m_grid->setCells(cells);
}

} // namespace traindx
