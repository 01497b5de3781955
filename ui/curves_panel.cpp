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
    if (state->points.size() == m_pointsShown && state->epochEnds.size() == m_epochsShown)
        return;
    m_pointsShown = state->points.size();
    m_epochsShown = state->epochEnds.size();

    QVector<double> steps, losses, accuracySteps, accuracies;
    steps.reserve(state->points.size());
    losses.reserve(state->points.size());
    for (const auto& point : state->points) {
        steps.append(point.step);
        losses.append(point.loss);
        if (point.hasAccuracy) {
            accuracySteps.append(point.step);
            accuracies.append(point.accuracy);
        }
    }
    m_loss->setCurve(tr("batch loss"), steps, losses, 0);
    if (!accuracies.isEmpty())
        m_accuracy->setCurve(tr("batch accuracy"), accuracySteps, accuracies, 0);

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
