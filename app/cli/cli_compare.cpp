#include "cli_compare.h"

#include "session.h"

#include <QEventLoop>
#include <QFileInfo>
#include <QTimer>

namespace traindx::cli {

namespace {

// The run as the replay leaves it: the same diagnosis a live session makes.
RunStatePtr replayed(const QString& path, QString* error)
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

// The same finding in two runs: the same symptom at the same layer (by path, which survives
// a changed model elsewhere) and place.
QString identity(const Finding& f)
{
    return symptomName(f.symptom) + QLatin1Char('@') + (f.layer < 0 ? QString() : f.layerPath + QLatin1Char('#') + f.layerType)
        + QLatin1Char('/') + locationName(f.location);
}

QString describe(const Finding& f)
{
    return QStringLiteral("%1%2 at %3: %4")
        .arg(f.isFault() ? QString() : QStringLiteral("warning: "), symptomName(f.symptom), f.layerLabel(), f.summary);
}

QString headline(const QString& path, const RunState& run)
{
    int faults = 0;
    for (const auto& f : run.findings)
        faults += f.isFault();
    const QString program = QFileInfo(run.program.program).fileName();
    return QStringLiteral("%1 — %2%3, %4 epochs, %5 fault%6, %7 warning%8")
        .arg(path, program.isEmpty() ? QStringLiteral("unknown program") : program,
             run.program.arguments.isEmpty() ? QString() : QLatin1Char(' ') + run.program.arguments.join(QLatin1Char(' ')))
        .arg(run.epochEnds.size())
        .arg(faults)
        .arg(faults == 1 ? QString() : QStringLiteral("s"))
        .arg(run.findings.size() - faults)
        .arg(run.findings.size() - faults == 1 ? QString() : QStringLiteral("s"));
}

QString lastMetric(const RunState& run, const QString& name)
{
    for (int i = run.epochEnds.size() - 1; i >= 0; --i) {
        const Snapshot& snapshot = *run.snapshots[run.epochEnds[i]];
        if (snapshot.metrics.contains(name))
            return formatNumber(snapshot.metrics.value(name));
    }
    return QString();
}

} // namespace

int compareRuns(const QString& before, const QString& after, QTextStream& out, QTextStream& err)
{
    QString error;
    const RunStatePtr a = replayed(before, &error);
    if (!a) {
        err << "traindx-cli: " << error << "\n";
        return 2;
    }
    const RunStatePtr b = replayed(after, &error);
    if (!b) {
        err << "traindx-cli: " << error << "\n";
        return 2;
    }
    out << "A: " << headline(before, *a) << "\n";
    out << "B: " << headline(after, *b) << "\n";
    for (const QString& metric : {QStringLiteral("train_loss"), QStringLiteral("train_accuracy"), QStringLiteral("val_loss"),
                                  QStringLiteral("val_accuracy")}) {
        const QString inA = lastMetric(*a, metric), inB = lastMetric(*b, metric);
        if (!inA.isEmpty() || !inB.isEmpty())
            out << "last " << metric << ": A " << (inA.isEmpty() ? QStringLiteral("none") : inA) << ", B "
                << (inB.isEmpty() ? QStringLiteral("none") : inB) << "\n";
    }
    QHash<QString, const Finding*> inA, inB;
    for (const auto& f : a->findings)
        inA.insert(identity(f), &f);
    for (const auto& f : b->findings)
        inB.insert(identity(f), &f);
    int fixed = 0, introduced = 0, newFaults = 0, shared = 0;
    out << "\n";
    for (const auto& f : a->findings)
        if (!inB.contains(identity(f))) {
            out << "fixed in B: " << describe(f) << "\n";
            ++fixed;
        }
    for (const auto& f : b->findings)
        if (!inA.contains(identity(f))) {
            out << "new in B:   " << describe(f) << "\n";
            ++introduced;
            newFaults += f.isFault();
        }
    for (const auto& f : b->findings)
        if (inA.contains(identity(f))) {
            out << "in both:    " << describe(f) << "\n";
            ++shared;
        }
    if (fixed + introduced + shared == 0)
        out << "no finding in either run\n";
    out << "\n" << fixed << " fixed, " << introduced << " new, " << shared << " in both\n";
    return newFaults > 0 ? 1 : 0;
}

} // namespace traindx::cli
