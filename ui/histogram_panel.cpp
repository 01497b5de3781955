#include "histogram_panel.h"

#include "histogram_plot.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QRegularExpression>
#include <QVBoxLayout>

namespace traindx {

namespace {

widgets::HistogramSeries seriesOf(const Snapshot& snapshot, int layer, TensorKind kind)
{
    const TensorStats& stats = snapshot.layer(layer)->stats(kind);
    widgets::HistogramSeries series;
    series.lo = stats.histLo;
    series.hi = stats.histHi;
    series.bins = stats.bins;
    if (stats.count > 0 && stats.nonFinite() == stats.count)
        series.note = QObject::tr("every value is NaN or infinite");
    else if (stats.nonFinite() > 0)
        series.note = QObject::tr("%1 NaN and %2 infinite values not shown").arg(stats.nan).arg(stats.inf);
    else if (stats.min == stats.max)
        series.note = QObject::tr("all %1 values are exactly %2").arg(stats.count).arg(stats.min);
    series.label = snapshot.position();
    return series;
}

} // namespace

HistogramPanel::HistogramPanel(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    m_compareEdit = new QLineEdit(this);
    m_compareEdit->setObjectName(QStringLiteral("compare-epochs"));
    m_compareEdit->setPlaceholderText(tr("latest and the four epochs before it; or list epochs to overlay: 0, 5, 10"));
    m_compareEdit->setClearButtonEnabled(true);
    top->addWidget(new QLabel(tr("Epochs:"), this));
    top->addWidget(m_compareEdit, 1);
    auto* scale = new QComboBox(this);
    scale->setObjectName(QStringLiteral("histogram-scale"));
    scale->addItem(tr("count"), int(widgets::HistogramScale::Count));
    scale->addItem(tr("fraction"), int(widgets::HistogramScale::Fraction));
    scale->addItem(tr("density"), int(widgets::HistogramScale::Density));
    scale->setToolTip(tr("Values per bin, their share of all values, or a density (to compare samples of different ranges)"));
    auto* logScale = new QCheckBox(tr("log"), this);
    logScale->setObjectName(QStringLiteral("histogram-log"));
    logScale->setToolTip(tr("Logarithmic vertical axis: the tails of a distribution become visible"));
    auto* biases = new QCheckBox(tr("biases"), this);
    biases->setObjectName(QStringLiteral("histogram-biases"));
    biases->setToolTip(tr("Show the biases and their gradients instead of the weights and theirs"));
    top->addWidget(scale);
    top->addWidget(logScale);
    top->addWidget(biases);
    connect(biases, &QCheckBox::toggled, this, [this](bool on) {
        for (auto& slot : m_slots) {
            if (slot.kind == TensorKind::Weight || slot.kind == TensorKind::Bias)
                slot.kind = on ? TensorKind::Bias : TensorKind::Weight;
            else if (slot.kind == TensorKind::WeightGrad || slot.kind == TensorKind::BiasGrad)
                slot.kind = on ? TensorKind::BiasGrad : TensorKind::WeightGrad;
        }
        refresh(true);
    });
    layout->addLayout(top);
    connect(scale, &QComboBox::currentIndexChanged, this, [this, scale] {
        for (auto& slot : m_slots)
            slot.plot->setScale(widgets::HistogramScale(scale->currentData().toInt()));
    });
    connect(logScale, &QCheckBox::toggled, this, [this](bool on) {
        for (auto& slot : m_slots)
            slot.plot->setLogScale(on);
    });
    connect(m_compareEdit, &QLineEdit::editingFinished, this, [this] {
        QVector<int> epochs;
        for (const QString& part : m_compareEdit->text().split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts))
            if (bool ok = false; part.toInt(&ok) >= 0 && ok)
                epochs.append(part.toInt());
        compareEpochs(epochs);
    });
    for (TensorKind kind : {TensorKind::Weight, TensorKind::WeightGrad, TensorKind::Activation}) {
        auto* plot = new widgets::HistogramPlot(this);
        plot->setObjectName(QStringLiteral("histogram-") + tensorKindName(kind));
        layout->addWidget(plot, 1);
        m_slots.append({kind, plot, nullptr});
    }
    setLayer(-1);
}

widgets::HistogramPlot* HistogramPanel::plot(TensorKind kind) const
{
    for (const auto& slot : m_slots)
        if (slot.kind == kind)
            return slot.plot;
    return nullptr;
}

void HistogramPanel::compareEpochs(const QVector<int>& epochs)
{
    m_compare = epochs;
    refresh(true);
}

void HistogramPanel::clearEpochFilter()
{
    m_compareEdit->clear();
    compareEpochs({});
}

void HistogramPanel::setLayer(int layerId)
{
    m_layer = layerId;
    refresh(true);
}

void HistogramPanel::setState(const RunStatePtr& state)
{
    m_state = state;
    refresh(false);
}

void HistogramPanel::refresh(bool force)
{
    const Layer* layer = m_state ? m_state->model.layer(m_layer) : nullptr;
    for (auto& slot : m_slots) {
        const QString kindName = tensorKindName(slot.kind);
        QString title = kindName.left(1).toUpper() + kindName.mid(1);
        if (layer)
            title += QStringLiteral(" — ") + layer->displayName()
                + (layer->path == QString::number(layer->index) ? QString() : QStringLiteral(" (%1)").arg(layer->path));
        slot.plot->setTitle(title);
        if (!layer) {
            slot.plot->setSeries({});
            slot.plot->setPlaceholder(tr("Select a layer to see its %1.").arg(kindName));
            slot.shown = nullptr;
            slot.shownLayer = -2;
            continue;
        }
        const SnapshotPtr latest = m_state->latestWith(m_layer, slot.kind);
        if (!force && latest == slot.shown && slot.shownLayer == m_layer)
            continue;
        slot.shown = latest;
        slot.shownLayer = m_layer;
        if (!latest) {
            slot.plot->setSeries({});
            const bool noParameters = layer->parameters.isEmpty() && slot.kind != TensorKind::Activation;
            slot.plot->setPlaceholder(noParameters ? tr("%1 has no parameters.").arg(layer->type)
                                                   : tr("No %1 recorded for this layer yet.").arg(kindName));
            continue;
        }
        // Nothing finite to bin: say so, in red, rather than draw an empty plot.
        if (const LayerSample* sample = latest->layer(m_layer)) {
            const TensorStats& t = sample->stats(slot.kind);
            if (t.count > 0 && t.nonFinite() == t.count) {
                slot.plot->setSeries({});
                slot.plot->setPlaceholder(
                    tr("<span style='color:#c62828'><b>All %1 %2 are not finite</b>: %3 NaN, %4 infinite (%5).</span>")
                        .arg(t.count)
                        .arg(kindName)
                        .arg(t.nan)
                        .arg(t.inf)
                        .arg(latest->position()));
                continue;
            }
        }
        QVector<widgets::HistogramSeries> series;
        if (!m_compare.isEmpty()) {
            for (int epoch : m_compare)
                for (const SnapshotPtr& s : m_state->snapshots) {
                    const LayerSample* sample = s->layer(m_layer);
                    const bool match = epoch == 0 ? s->initial : (s->epochEnd && s->epoch + 1 == epoch);
                    if (match && sample && sample->stats(slot.kind).present) {
                        series.append(seriesOf(*s, m_layer, slot.kind));
                    }
                }
            slot.plot->setSeries(series);
            if (series.isEmpty())
                slot.plot->setPlaceholder(tr("None of these epochs has %1 for this layer.").arg(kindName));
            continue;
        }
        const auto history = m_state->epochHistory(m_layer, slot.kind);
        for (const auto& snapshot : history) {
            if (snapshot == latest || snapshot->step > latest->step)
                continue;
            series.append(seriesOf(*snapshot, m_layer, slot.kind));
        }
        if (series.size() > kEarlierEpochs)
            series = series.mid(series.size() - kEarlierEpochs);
        series.append(seriesOf(*latest, m_layer, slot.kind));
        slot.plot->setSeries(series);
    }
}

} // namespace traindx
