#include "compare_dialog.h"

#include "curve_plot.h"
#include "histogram_plot.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <cmath>

namespace traindx {

namespace {

void addCurves(widgets::CurvePlot* loss, widgets::CurvePlot* accuracy, const RunState& run, const QString& tag, int color)
{
    QVector<double> steps, losses, accuracySteps, accuracies;
    for (const auto& p : run.points) {
        steps.append(p.step);
        losses.append(p.loss);
        if (p.hasAccuracy) {
            accuracySteps.append(p.step);
            accuracies.append(p.accuracy);
        }
    }
    loss->setCurve(QStringLiteral("%1: batch loss").arg(tag), steps, losses, color);
    if (!accuracies.isEmpty())
        accuracy->setCurve(QStringLiteral("%1: batch accuracy").arg(tag), accuracySteps, accuracies, color);
}

QString runLine(const QString& tag, const QString& path, const RunState& run)
{
    int faults = 0;
    for (const auto& f : run.findings)
        faults += f.isFault();
    return QStringLiteral("<b>%1</b> %2 — %3 %4, %5 epochs, %6 faults, %7 warnings")
        .arg(tag, QFileInfo(path).fileName().toHtmlEscaped(), QFileInfo(run.program.program).fileName().toHtmlEscaped(),
             run.program.arguments.join(QLatin1Char(' ')).toHtmlEscaped())
        .arg(run.epochEnds.size())
        .arg(faults)
        .arg(run.findings.size() - faults);
}

QString findingList(const QString& title, const QVector<Finding>& findings, const QString& color)
{
    if (findings.isEmpty())
        return {};
    QString html = QStringLiteral("<h4 style='color:%1'>%2</h4><ul>").arg(color, title.toHtmlEscaped());
    for (const auto& f : findings)
        html += QStringLiteral("<li><b>%1</b> at %2: %3</li>")
                    .arg(symptomName(f.symptom), f.layerLabel().toHtmlEscaped(), f.summary.toHtmlEscaped());
    return html + QStringLiteral("</ul>");
}

} // namespace

CompareDialog::CompareDialog(const QString& pathA, const RunStatePtr& a, const QString& pathB, const RunStatePtr& b,
                             QWidget* parent)
    : QDialog(parent)
    , m_a(a)
    , m_b(b)
    , m_loss(new widgets::CurvePlot(this))
    , m_accuracy(new widgets::CurvePlot(this))
    , m_histogram(new widgets::HistogramPlot(this))
    , m_layer(new QComboBox(this))
    , m_kind(new QComboBox(this))
    , m_findings(new QTextBrowser(this))
{
    setWindowTitle(tr("Compare runs"));
    resize(1100, 720);
    auto* layout = new QVBoxLayout(this);
    auto* heading = new QLabel(runLine(QStringLiteral("A"), pathA, *a) + QStringLiteral("<br>") + runLine(QStringLiteral("B"), pathB, *b), this);
    heading->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(heading);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    auto* curves = new QWidget(splitter);
    auto* curvesLayout = new QVBoxLayout(curves);
    curvesLayout->setContentsMargins(0, 0, 0, 0);
    m_loss->setTitle(tr("Loss"));
    m_loss->setAxisLabels(tr("step"), tr("loss"));
    m_accuracy->setTitle(tr("Accuracy"));
    m_accuracy->setAxisLabels(tr("step"), tr("accuracy"));
    curvesLayout->addWidget(m_loss, 1);
    curvesLayout->addWidget(m_accuracy, 1);
    addCurves(m_loss, m_accuracy, *a, QStringLiteral("A"), 1);
    addCurves(m_loss, m_accuracy, *b, QStringLiteral("B"), 0);
    m_accuracy->setVisible(m_accuracy->curveCount() > 0);

    auto* right = new QWidget(splitter);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    auto* choices = new QHBoxLayout;
    choices->addWidget(new QLabel(tr("Layer:"), right));
    choices->addWidget(m_layer, 1);
    m_kind->addItem(tr("weights"), int(TensorKind::Weight));
    m_kind->addItem(tr("gradients"), int(TensorKind::WeightGrad));
    m_kind->addItem(tr("outputs"), int(TensorKind::Activation));
    choices->addWidget(m_kind);
    rightLayout->addLayout(choices);
    m_histogram->setScale(widgets::HistogramScale::Density); // the two runs' ranges differ
    rightLayout->addWidget(m_histogram, 1);
    const FindingDiff diff = diffFindings(*a, *b);
    QString html = findingList(tr("Fixed in B"), diff.fixed, QStringLiteral("#2e7d32"))
        + findingList(tr("New in B"), diff.added, QStringLiteral("#c62828"))
        + findingList(tr("In both"), diff.shared, QStringLiteral("#555555"));
    if (html.isEmpty())
        html = tr("<p>No finding in either run.</p>");
    m_findings->setHtml(html);
    m_findings->setObjectName(QStringLiteral("compare-findings"));
    rightLayout->addWidget(m_findings, 1);
    splitter->setSizes({560, 540});
    layout->addWidget(splitter, 1);

    // The layers both runs have, by path: the same layer of a program and its fixed twin.
    for (const Layer& layer : a->model.layers) {
        if (layer.id == 0 || !layer.leaf)
            continue;
        for (const Layer& other : b->model.layers)
            if (other.path == layer.path && other.type == layer.type) {
                m_layer->addItem(layer.displayName() + (layer.path.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(layer.path)),
                                 layer.path);
                break;
            }
    }
    connect(m_layer, &QComboBox::currentIndexChanged, this, &CompareDialog::showLayer);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &CompareDialog::showLayer);
    showLayer();

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

QString CompareDialog::findingsText() const
{
    return m_findings->toPlainText();
}

void CompareDialog::showLayer()
{
    const QString path = m_layer->currentData().toString();
    const auto kind = TensorKind(m_kind->currentData().toInt());
    QVector<widgets::HistogramSeries> series;
    for (const auto& [tag, run] : {std::pair {QStringLiteral("A"), m_a}, std::pair {QStringLiteral("B"), m_b}}) {
        for (const Layer& layer : run->model.layers) {
            if (layer.path != path || layer.id == 0)
                continue;
            if (const SnapshotPtr s = run->latestWith(layer.id, kind)) {
                const TensorStats& t = s->layer(layer.id)->stats(kind);
                widgets::HistogramSeries one;
                one.lo = t.histLo;
                one.hi = t.histHi;
                one.bins = t.bins;
                one.label = QStringLiteral("%1: %2").arg(tag, s->position());
                series.append(one);
            }
            break;
        }
    }
    m_histogram->setTitle(tr("%1 — %2").arg(m_kind->currentText(), m_layer->currentText()));
    m_histogram->setSeries(series);
    if (series.isEmpty())
        m_histogram->setPlaceholder(tr("Neither run recorded %1 for this layer.").arg(m_kind->currentText()));
}

} // namespace traindx
