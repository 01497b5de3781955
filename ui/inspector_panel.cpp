#include "inspector_panel.h"

#include "sparkline.h"

#include <QFormLayout>
#include <QHeaderView>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QLocale>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <cmath>

namespace traindx {

namespace {

double rms(const TensorStats& t)
{
    const qint64 finite = t.count - t.nonFinite();
    return finite > 0 ? t.l2 / std::sqrt(double(finite)) : 0;
}

const QStringList kRows {QStringLiteral("mean"), QStringLiteral("std"),  QStringLiteral("min"),   QStringLiteral("max"),
                         QStringLiteral("L2"),   QStringLiteral("NaN"),  QStringLiteral("Inf"),   QStringLiteral("zeros"),
                         QStringLiteral("dead / saturated"), QStringLiteral("update ratio (step)"),
                         QStringLiteral("update ratio (epoch)")};

} // namespace

InspectorPanel::InspectorPanel(QWidget* parent)
    : QWidget(parent)
    , m_header(new QLabel(this))
    , m_table(new QTableWidget(kRows.size(), 3, this))
    , m_findings(new QTextBrowser(this))
    , m_applyRow(new QWidget(this))
    , m_change(new QLineEdit(this))
    , m_apply(new QPushButton(tr("Apply and continue"), this))
{
    auto* layout = new QVBoxLayout(this);
    m_header->setWordWrap(true);
    m_header->setTextFormat(Qt::RichText);
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_header);

    m_table->setObjectName(QStringLiteral("inspector-statistics"));
    m_table->setHorizontalHeaderLabels({tr("weights"), tr("gradients"), tr("outputs")});
    m_table->setVerticalHeaderLabels(kRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    // Numbers are never cut to "4....": the columns take what their widest value needs (the
    // dock scrolls when narrower) and each cell's tooltip carries the value in full.
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setTextElideMode(Qt::ElideNone);
    m_table->verticalHeader()->setDefaultSectionSize(20);
    m_table->setMinimumHeight(20 * kRows.size() + 30);
    layout->addWidget(m_table);

    auto* trends = new QFormLayout;
    for (const QString& name : {tr("weight L2"), tr("gradient RMS"), tr("output mean"), tr("update ratio")}) {
        auto* label = new QLabel(name, this);
        auto* line = new widgets::Sparkline(this);
        trends->addRow(label, line);
        m_trends.append({label, line});
    }
    layout->addLayout(trends);

    m_findings->setObjectName(QStringLiteral("inspector-findings"));
    m_findings->setOpenExternalLinks(false);
    layout->addWidget(m_findings, 1);

    // A fix that can be made in the running program: shown as the change it makes, editable.
    auto* row = new QHBoxLayout(m_applyRow);
    row->setContentsMargins(0, 0, 0, 0);
    m_change->setObjectName(QStringLiteral("live-change"));
    m_change->setToolTip(tr("lr=VALUE, lr*FACTOR, reinit=LAYER[:SCHEME], reset_optimizer, freeze=LAYER, unfreeze=LAYER"));
    m_apply->setObjectName(QStringLiteral("apply-and-continue"));
    m_apply->setToolTip(tr("Make this change in the running training at the boundary where it is held, and continue"));
    row->addWidget(m_change, 1);
    row->addWidget(m_apply);
    layout->addWidget(m_applyRow);
    m_applyRow->hide();
    connect(m_apply, &QPushButton::clicked, this, [this] {
        LiveChange change;
        QString error;
        if (!parseLiveChange(m_change->text(), &change, &error)) {
            m_change->setStyleSheet(QStringLiteral("color: #c62828"));
            m_change->setToolTip(error);
            return;
        }
        m_change->setStyleSheet(QString());
        m_apply->setEnabled(false); // once per finding
        Q_EMIT applyRequested(change);
    });
    refresh();
}

// The fix of this layer's first cause, or else the run's, when it can be made live and the
// trainer is there to take it.
void InspectorPanel::offerLiveFix()
{
    const bool live = m_state && (m_state->state == TrainerState::Held || m_state->state == TrainerState::Running);
    const Finding* offered = nullptr;
    std::optional<LiveChange> change;
    if (live)
        for (int pass = 0; pass < 2 && !offered; ++pass)
            for (const auto& f : m_state->findings)
                if (f.isCause() && (pass == 1 || f.layer == m_layer))
                    if ((change = liveFixFor(f, m_state->model))) {
                        offered = &f;
                        break;
                    }
    m_applyRow->setVisible(offered != nullptr);
    if (!offered || offered->key() == m_offeredFor)
        return;
    m_offeredFor = offered->key();
    m_change->setText(change->text);
    m_apply->setEnabled(true);
}

void InspectorPanel::setState(const RunStatePtr& state)
{
    m_state = state;
    refresh();
}

void InspectorPanel::setLayer(int layer)
{
    m_layer = layer;
    refresh();
}

QString InspectorPanel::findingsText() const
{
    return m_findings->toPlainText();
}

void InspectorPanel::refresh()
{
    const Layer* layer = m_state ? m_state->model.layer(m_layer) : nullptr;
    if (!layer) {
        m_header->setText(tr("<i>Select a layer in the graph, the layer list or the findings.</i>"));
        m_table->clearContents();
        for (int column = 0; column < m_table->columnCount(); ++column)
            m_table->setColumnHidden(column, false);
        for (auto& [label, line] : m_trends)
            line->setValues({});
        m_findings->clear();
        return;
    }
    QString header = QStringLiteral("<b style='font-size:13pt'>%1</b><br><span style='color:#555'>module path</span> %2<br>%3")
                         .arg(layer->displayName().toHtmlEscaped(), layer->path.isEmpty() ? tr("(root)") : layer->path.toHtmlEscaped(),
                              layer->options.toHtmlEscaped());
    for (const auto& p : layer->parameters)
        header += QStringLiteral("<br>%1 %2 — %3 values").arg(p.name, shapeText(p.dims), QLocale().toString(p.count()));
    if (!layer->outputShape.isEmpty())
        header += tr("<br>output %1 on the probe batch").arg(shapeText(layer->outputShape));
    m_header->setText(header);

    // The latest statistics of each kind.
    const TensorKind kinds[] = {TensorKind::Weight, TensorKind::WeightGrad, TensorKind::Activation};
    const LayerSample* latestSample = nullptr;
    for (int column = 0; column < 3; ++column) {
        const SnapshotPtr snapshot = m_state->latestWith(m_layer, kinds[column]);
        const LayerSample* sample = snapshot ? snapshot->layer(m_layer) : nullptr;
        if (sample && !latestSample)
            latestSample = sample;
        const TensorStats* t = sample ? &sample->stats(kinds[column]) : nullptr;
        auto cell = [this, column](int row, const QString& text) {
            auto* item = new QTableWidgetItem(text);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(row, column, item);
        };
        // A column with nothing to show (a Softmax's weights) gives its room to those that have.
        m_table->setColumnHidden(column, !t);
        if (!t) {
            for (int row = 0; row < kRows.size(); ++row)
                cell(row, QString());
            continue;
        }
        const auto number = [&cell, this, column](int row, double value) {
            cell(row, formatNumber(value));
            m_table->item(row, column)->setToolTip(QString::number(value, 'g', 17));
        };
        number(0, t->mean);
        number(1, t->std);
        number(2, t->min);
        number(3, t->max);
        number(4, t->l2);
        cell(5, QString::number(t->nan));
        cell(6, QString::number(t->inf));
        cell(7, t->count > 0 ? QStringLiteral("%1 %").arg(100.0 * t->zeros / t->count, 0, 'f', 1) : QString());
        const bool outputs = kinds[column] == TensorKind::Activation;
        cell(8, outputs && (sample->deadFraction > 0 || sample->saturatedFraction > 0)
                    ? QStringLiteral("%1 %").arg(100.0 * std::max(sample->deadFraction, sample->saturatedFraction), 0, 'f', 1)
                    : QString());
        cell(9, !outputs && sample->updateRatio >= 0 ? formatNumber(sample->updateRatio) : QString());
        cell(10, !outputs && sample->epochUpdateRatio >= 0 ? formatNumber(sample->epochUpdateRatio) : QString());
        for (int row = 5; row <= 6; ++row)
            if (m_table->item(row, column)->text() != QLatin1String("0"))
                m_table->item(row, column)->setForeground(QColor(0xc6, 0x28, 0x28));
    }

    // Their course over the epochs.
    QVector<double> weightL2, gradientRms, outputMean, updates;
    for (int index : m_state->epochEnds) {
        const LayerSample* s = m_state->snapshots[index]->layer(m_layer);
        if (!s)
            continue;
        if (s->stats(TensorKind::Weight).present)
            weightL2.append(s->stats(TensorKind::Weight).l2);
        if (s->stats(TensorKind::WeightGrad).present)
            gradientRms.append(rms(s->stats(TensorKind::WeightGrad)));
        if (s->stats(TensorKind::Activation).present)
            outputMean.append(s->stats(TensorKind::Activation).mean);
        if (s->epochUpdateRatio >= 0)
            updates.append(s->epochUpdateRatio);
    }
    const QVector<double>* series[] = {&weightL2, &gradientRms, &outputMean, &updates};
    for (int i = 0; i < m_trends.size(); ++i) {
        m_trends[i].second->setValues(*series[i], m_trends[i].first->text());
        m_trends[i].first->setVisible(!series[i]->isEmpty());
        m_trends[i].second->setVisible(!series[i]->isEmpty());
    }

    // The findings on this layer, with the fix and the numbers behind it.
    QString html;
    for (const Finding& f : m_state->findings) {
        if (f.layer != m_layer)
            continue;
        const bool cause = f.isCause();
        html += QStringLiteral("<p><b style='color:%1'>%2</b> — %3<br>%4<br><span style='color:#555'>first seen: %5 "
                               "(step %6), in the %7</span></p>")
                    .arg(cause ? QStringLiteral("#c62828") : QStringLiteral("#b7791f"), symptomName(f.symptom),
                         describeSymptom(f.symptom).toHtmlEscaped(), f.summary.toHtmlEscaped(), f.when())
                    .arg(f.stepsDone())
                    .arg(locationName(f.location));
        html += QStringLiteral("<p><b>Fix — %1:</b> %2<br><i>Why: %3</i></p>")
                    .arg(fixClassName(f.fixClass), f.fixText.toHtmlEscaped(), f.checker.toHtmlEscaped());
        if (!f.explainedBy.isEmpty())
            html += tr("<p>This follows from %1.</p>").arg(f.causeLabel(m_state->findings).toHtmlEscaped());
        if (const QString after = f.afterChangeText(); !after.isEmpty())
            html += QStringLiteral("<p><b style='color:%1'>%2</b></p>")
                        .arg(f.afterChange.verdict == AfterChange::Verdict::Cleared ? QStringLiteral("#2e7d32")
                                                                                     : QStringLiteral("#555"),
                             after.toHtmlEscaped());
        if (!f.evidence.isEmpty()) {
            html += QStringLiteral("<table cellspacing='0' cellpadding='1'>");
            for (const auto& e : f.evidence)
                html += QStringLiteral("<tr><td style='color:#555'>%1&nbsp;&nbsp;</td><td>%2</td></tr>")
                            .arg(e.name.toHtmlEscaped(), e.text.isEmpty() ? formatNumber(e.value) : e.text.toHtmlEscaped());
            html += QStringLiteral("</table>");
        }
        html += QStringLiteral("<hr>");
    }
    if (html.isEmpty()) {
        html = tr("<p>No symptom on this layer.</p>");
        if (!m_state->findings.isEmpty())
            html += tr("<p style='color:#555'>The most important finding of the run: %1 at %2.</p>")
                        .arg(symptomName(m_state->findings.first().symptom), m_state->findings.first().layerLabel().toHtmlEscaped());
    }
    m_findings->setHtml(html);
    offerLiveFix();
}

} // namespace traindx
