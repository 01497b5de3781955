// The run file (.traindx): one SQLite database per run, written while the run goes on and
// read back to replay it. The probe's frames are kept as they arrived, so a replay drives
// exactly the path a live stream does; decoded tables beside them (layers, per-layer
// statistics with histograms, findings, events, console) make the file queryable on its own.
#pragma once

#include "finding.h"

#include <QMap>
#include <QSqlDatabase>
#include <QString>
#include <QVector>

namespace traindx {

namespace wire {
class Frame;
}

constexpr int kRunFileSchemaVersion = 1;

// Where runs are recorded unless told otherwise: <data dir>/traindx/runs/.
QString defaultRunsDirectory();
QString defaultRunFilePath(const QString& program);

class RunRecorder {
public:
    RunRecorder() = default;
    ~RunRecorder();
    RunRecorder(const RunRecorder&) = delete;
    RunRecorder& operator=(const RunRecorder&) = delete;

    // Creates the file (and its directory); refuses to overwrite a run file of a newer schema.
    bool open(const QString& path, QString* error);
    bool isOpen() const { return m_db.isOpen(); }
    QString path() const { return m_path; }
    QString lastError() const { return m_error; }
    // Frames that could not be written (a full disk, a lost permission): each one a run the
    // file no longer replays as it was seen. The first failure's error is lastError().
    qint64 framesLost() const { return m_framesLost; }

    void setMeta(const QString& key, const QString& value);
    // One transaction per frame: a crash of either side loses at most the frame in flight.
    void recordFrame(const wire::Frame& frame, qint64 receivedMs);
    void recordConsole(const QString& text, bool standardError, qint64 receivedMs);
    void recordFindings(const QVector<Finding>& findings);
    void close();

private:
    bool exec(const QString& sql);
    void recordDecoded(const wire::Frame& frame, qint64 frameId, qint64 receivedMs);

    QSqlDatabase m_db;
    QString m_connection;
    QString m_path;
    QString m_error;
    qint64 m_framesLost = 0;
};

struct RecordedRun {
    int schemaVersion = 0;
    QMap<QString, QString> meta;
    struct Frame {
        qint64 receivedMs = 0;
        QByteArray body; // a serialized wire::Frame
    };
    QVector<Frame> frames;
    QVector<QPair<QString, bool>> console; // text, standard error
    QVector<Finding> findings;             // as recorded (the replay diagnoses afresh)
    // Why the file is not whole (SQLite's quick_check, a read that stopped short); what could
    // be read is above. Empty for a sound file.
    QString damage;
};

// Reads a run file, read-only. A file of a newer schema is refused, naming both versions; a
// damaged one is read as far as it is whole, and `damage` says what was lost.
bool readRunFile(const QString& path, RecordedRun* run, QString* error);

} // namespace traindx
