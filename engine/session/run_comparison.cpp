#include "run_comparison.h"

#include "session.h"

#include <QEventLoop>
#include <QFileInfo>
#include <QSet>
#include <QTimer>

#include <cmath>

namespace traindx {

namespace {

QString identity(const Finding& f)
{
    return symptomName(f.symptom) + QLatin1Char('@') + (f.layer < 0 ? QString() : f.layerPath + QLatin1Char('#') + f.layerType)
        + QLatin1Char('/') + locationName(f.location);
}

} // namespace

RunStatePtr replayRunFile(const QString& path, QString* error)
{
    if (!QFileInfo(path).isFile()) {
        *error = QStringLiteral("%1: no such run file").arg(path);
        return nullptr;
    }
    Session session;
    SessionOptions options;
    options.record = false;
    session.setOptions(options);
    RunStatePtr last;
    QEventLoop loop;
    QObject::connect(&session, &Session::stateChanged, &loop, [&](const RunStatePtr& state) {
        if (state->state == TrainerState::Replay || state->state == TrainerState::Failed) {
            last = state;
            loop.quit();
        }
    });
    QTimer::singleShot(600000, &loop, &QEventLoop::quit);
    session.replay(path);
    loop.exec();
    if (!last) {
        *error = QStringLiteral("%1: the replay did not finish").arg(path);
        return nullptr;
    }
    if (last->state == TrainerState::Failed) {
        *error = last->message;
        return nullptr;
    }
    return last;
}

int FindingDiff::addedFaults() const
{
    int faults = 0;
    for (const auto& f : added)
        faults += f.isFault();
    return faults;
}

FindingDiff diffFindings(const RunState& a, const RunState& b)
{
    QSet<QString> inA, inB;
    for (const auto& f : a.findings)
        inA.insert(identity(f));
    for (const auto& f : b.findings)
        inB.insert(identity(f));
    FindingDiff diff;
    for (const auto& f : a.findings)
        if (!inB.contains(identity(f)))
            diff.fixed.append(f);
    for (const auto& f : b.findings)
        (inA.contains(identity(f)) ? diff.shared : diff.added).append(f);
    return diff;
}

double lastEpochMetric(const RunState& run, const QString& name)
{
    for (int i = run.epochEnds.size() - 1; i >= 0; --i) {
        const Snapshot& snapshot = *run.snapshots[run.epochEnds[i]];
        if (snapshot.metrics.contains(name))
            return snapshot.metrics.value(name);
    }
    return std::nan("");
}

} // namespace traindx
