#include "curves_panel.h"

#include "curve_plot.h"

#include <QVBoxLayout>

namespace traindx {

CurvesPanel::CurvesPanel(QWidget* parent)
    : QWidget(parent)
    , m_loss(new widgets::CurvePlot(this))
    , m_accuracy(new widgets::CurvePlot(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_loss, 1);
    layout->addWidget(m_accuracy, 1);
    m_loss->setObjectName(QStringLiteral("curve-loss"));
    m_accuracy->setObjectName(QStringLiteral("curve-accuracy"));
    m_loss->setTitle(tr("Loss"));
    m_accuracy->setTitle(tr("Accuracy"));
    m_loss->setAxisLabels(tr("step"), tr("loss"));
    m_accuracy->setAxisLabels(tr("step"), tr("accuracy"));
}

void CurvesPanel::setState(const RunStatePtr& state)
{
    const auto& points = state->points;
    if (points.size() == m_pointsShown && state->epochEnds.size() == m_epochsShown)
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

} // namespace traindx
