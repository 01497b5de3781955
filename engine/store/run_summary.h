// What a runs browser lists of a recorded run, read from its file without replaying it:
// when and what ran, how far it got, and what the diagnosis said then.
#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>
#include <QVector>

namespace traindx {

struct RunSummary {
    QString path;
    QDateTime started;     // local time; invalid when the file does not say
    QString program;
    QStringList arguments;
    QString model;         // the name the probe gave it
    int epochs = 0;        // epoch ends recorded
    QString finalState;    // "finished", "crashed", "detached", … as recorded
    int faults = 0;
    int warnings = 0;
    QString topFinding;    // "out_of_range at 5 — change_activation"
    qint64 bytes = 0;
    QString error;         // why the file could not be read; the rest is then empty

    // faulty, crashed, not_diagnosed or healthy, as traindx-cli's verdict names them.
    QString verdict() const;
};

RunSummary summarizeRunFile(const QString& path);
// The run files in `directory` that belong to the current user, newest first.
QVector<RunSummary> listRunFiles(const QString& directory);

} // namespace traindx
