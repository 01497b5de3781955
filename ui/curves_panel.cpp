#include "curves_panel.h"

#include "curve_plot.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace traindx {

CurvesPanel::CurvesPanel(QWidget* parent)
    : QWidget(parent)
    , m_loss(new widgets::CurvePlot(this))
    , m_accuracy(new widgets::CurvePlot(this))
{
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    auto* slider = new QSlider(Qt::Horizontal, this);
    slider->setObjectName(QStringLiteral("loss-smoothing"));
    slider->setRange(0, 99);
    slider->setToolTip(tr("Weight of the past in a moving average of the batch loss; 0 shows the raw curve only"));
    auto* value = new QLabel(tr("off"), this);
    value->setMinimumWidth(value->fontMetrics().horizontalAdvance(QStringLiteral("0.99")) + 8);
    top->addWidget(new QLabel(tr("Smoothing:"), this));
    top->addWidget(slider, 1);
    top->addWidget(value);
    layout->addLayout(top);
    connect(slider, &QSlider::valueChanged, this, [this, value](int v) {
        value->setText(v == 0 ? tr("off") : QString::number(v / 100.0, 'f', 2));
        setSmoothing(v / 100.0);
    });
    layout->addWidget(m_loss, 1);
    layout->addWidget(m_accuracy, 1);
    // Zooming or panning one plot's steps moves the other's with it.
    const auto link = [](widgets::CurvePlot* from, widgets::CurvePlot* to) {
        connect(from->plot()->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), to, [to](const QCPRange& range) {
            if (to->plot()->xAxis->range() != range) {
                to->plot()->xAxis->setRange(range);
                to->plot()->replot(QCustomPlot::rpQueuedReplot);
            }
        });
    };
    link(m_loss, m_accuracy);
    link(m_accuracy, m_loss);
    m_loss->setObjectName(QStringLiteral("curve-loss"));
    m_accuracy->setObjectName(QStringLiteral("curve-accuracy"));
    m_loss->setTitle(tr("Loss"));
    m_accuracy->setTitle(tr("Accuracy"));
    m_loss->setAxisLabels(tr("step"), tr("loss"));
    m_accuracy->setAxisLabels(tr("step"), tr("accuracy"));
}

QString CurvesPanel::smoothedName()
{
    return tr("batch loss, smoothed");
}

void CurvesPanel::setSmoothing(double weight)
{
    m_smoothing = std::clamp(weight, 0.0, 0.999);
    m_loss->removeCurve(smoothedName());
    m_loss->setCurveFaint(tr("batch loss"), m_smoothing > 0);
    m_ema = 0;
    m_emaCount = 0;
    if (m_smoothing > 0 && m_state)
        smoothFrom(0);
}

void CurvesPanel::smoothFrom(int first)
{
    const auto& points = m_state->points;
    QVector<double> steps, values;
    for (int i = first; i < points.size(); ++i) {
        if (!std::isfinite(points[i].loss))
            continue;
        m_ema = m_smoothing * m_ema + (1 - m_smoothing) * points[i].loss;
        ++m_emaCount;
        steps.append(points[i].step);
        values.append(m_ema / (1 - std::pow(m_smoothing, m_emaCount)));
    }
    if (first == 0 || m_loss->pointCount(smoothedName()) == 0)
        m_loss->setCurve(smoothedName(), steps, values, 0);
    else
        m_loss->appendToCurve(smoothedName(), steps, values);
}

void CurvesPanel::setState(const RunStatePtr& state)
{
    m_state = state;
    const auto& points = state->points;
    if (points.size() == m_pointsShown && state->epochEnds.size() == m_epochsShown && state->changes.size() == m_changesShown)
        return;
    // Usually batches only arrive after those shown: add just those. A new run, or history
    // arriving out of order after an attach, redraws the curve.
    const bool onlyAppended = m_pointsShown > 0 && points.size() >= m_pointsShown
        && points[m_pointsShown - 1].step == m_lastStepShown;
    const int from = onlyAppended ? m_pointsShown : 0;
    QVector<double> steps, losses, accuracySteps, accuracies;
    for (int i = from; i < points.size(); ++i) {
        steps.append(points[i].step);
        losses.append(points[i].loss);
        if (points[i].hasAccuracy) {
            accuracySteps.append(points[i].step);
            accuracies.append(points[i].accuracy);
        }
    }
    if (onlyAppended) {
        m_loss->appendToCurve(tr("batch loss"), steps, losses);
        if (m_accuracy->pointCount(tr("batch accuracy")) > 0)
            m_accuracy->appendToCurve(tr("batch accuracy"), accuracySteps, accuracies);
        else if (!accuracies.isEmpty())
            m_accuracy->setCurve(tr("batch accuracy"), accuracySteps, accuracies, 0);
    } else {
        // A new run, or a history rewritten: nothing of what was drawn before may stay.
        m_loss->clear();
        m_accuracy->clear();
        m_epochsShown = -1;
        m_loss->setCurve(tr("batch loss"), steps, losses, 0);
        if (!accuracies.isEmpty())
            m_accuracy->setCurve(tr("batch accuracy"), accuracySteps, accuracies, 0);
    }
    if (m_smoothing > 0) {
        if (!onlyAppended) {
            m_ema = 0;
            m_emaCount = 0;
        }
        m_loss->setCurveFaint(tr("batch loss"), true);
        smoothFrom(from);
    }
    // Every change made to the live training, where it was made.
    if (!onlyAppended || state->changes.size() != m_changesShown) {
        m_changesShown = state->changes.size();
        QVector<QPair<double, QString>> markers;
        for (const ChangeRecord& c : state->changes)
            if (c.applied)
                markers.append({double(c.step), c.text.section(QLatin1Char(':'), 0, 0).left(48)});
        m_loss->setMarkers(markers);
        m_accuracy->setMarkers(markers);
    }
    m_pointsShown = points.size();
    m_lastStepShown = points.isEmpty() ? -1 : points.last().step;
    if (state->epochEnds.size() == m_epochsShown)
        return;
    m_epochsShown = state->epochEnds.size();

    // Epoch metrics sit at the step where their epoch ended.
    QHash<QString, QPair<QVector<double>, QVector<double>>> epochCurves;
    for (int index : state->epochEnds) {
        const Snapshot& snapshot = *state->snapshots[index];
        for (auto it = snapshot.metrics.cbegin(); it != snapshot.metrics.cend(); ++it) {
            epochCurves[it.key()].first.append(snapshot.step);
            epochCurves[it.key()].second.append(it.value());
        }
    }
    int color = 1;
    QStringList names = epochCurves.keys();
    names.sort();
    for (const QString& name : names) {
        auto* plot = name.contains(QStringLiteral("acc")) ? m_accuracy : m_loss;
        plot->setCurve(name, epochCurves[name].first, epochCurves[name].second, color++,
                       widgets::CurvePlot::Style::LineWithPoints);
    }
}

void CurvesPanel::setRankSpread(const QVector<RunStatePtr>& ranks)
{
    // Every rank makes the same steps: the k-th point of each is step k.
    int ranksWithPoints = 0, length = -1;
    for (const RunStatePtr& rank : ranks)
        if (rank && !rank->points.isEmpty()) {
            ++ranksWithPoints;
            length = length < 0 ? rank->points.size() : std::min<int>(length, rank->points.size());
        }
    if (ranksWithPoints < 2) {
        m_loss->setBand(QString(), {}, {}, {}, 0);
        return;
    }
    QVector<double> steps(length), lows(length, std::numeric_limits<double>::infinity()),
        highs(length, -std::numeric_limits<double>::infinity());
    for (const RunStatePtr& rank : ranks) {
        if (!rank || rank->points.isEmpty())
            continue;
        for (int i = 0; i < length; ++i) {
            const double loss = rank->points[i].loss;
            steps[i] = rank->points[i].step;
            if (std::isfinite(loss)) {
                lows[i] = std::min(lows[i], loss);
                highs[i] = std::max(highs[i], loss);
            }
        }
    }
    m_loss->setBand(tr("batch loss across %1 ranks (lowest to highest)").arg(ranksWithPoints), steps, lows, highs, 0);
}

} // namespace traindx
