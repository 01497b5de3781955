#include "run_file.h"

#include "framing.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSqlError>
#include <QTemporaryFile>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QSet>
#include <QUuid>

#include <fcntl.h>
#include <unistd.h>

namespace traindx {

namespace {

const char* const kSchema[] = {
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS frames(id INTEGER PRIMARY KEY, received_ms INTEGER, kind TEXT, body BLOB)",
    "CREATE TABLE IF NOT EXISTS layers(id INTEGER PRIMARY KEY, forward_index INTEGER, parent INTEGER, path TEXT, "
    "type TEXT, options TEXT, parameters TEXT, output_shape TEXT)",
    "CREATE TABLE IF NOT EXISTS snapshots(id INTEGER PRIMARY KEY, frame INTEGER, step INTEGER, epoch INTEGER, "
    "batch INTEGER, kind TEXT, metrics TEXT)",
    "CREATE TABLE IF NOT EXISTS layer_stats(snapshot INTEGER, layer INTEGER, tensor TEXT, count INTEGER, mean REAL, "
    "std REAL, min REAL, max REAL, l2 REAL, nan INTEGER, inf INTEGER, zeros INTEGER, hist_lo REAL, hist_hi REAL, "
    "bins BLOB, update_ratio REAL, dead_fraction REAL, saturated_fraction REAL, PRIMARY KEY(snapshot, layer, tensor))",
    "CREATE TABLE IF NOT EXISTS batches(step INTEGER PRIMARY KEY, epoch INTEGER, batch INTEGER, loss REAL, accuracy REAL)",
    "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, received_ms INTEGER, kind TEXT, epoch INTEGER, "
    "batch INTEGER, step INTEGER, text TEXT)",
    "CREATE TABLE IF NOT EXISTS findings(key TEXT PRIMARY KEY, rank INTEGER, symptom TEXT, layer INTEGER, layer_path TEXT, "
    "location TEXT, epoch INTEGER, batch INTEGER, step INTEGER, seconds REAL, fix_class TEXT, report TEXT)",
    "CREATE TABLE IF NOT EXISTS console(id INTEGER PRIMARY KEY, received_ms INTEGER, stderr INTEGER, text TEXT)",
};

QString bodyKind(const wire::Frame& frame)
{
    switch (frame.body_case()) {
    case wire::Frame::kHello: return QStringLiteral("hello");
    case wire::Frame::kModel: return QStringLiteral("model");
    case wire::Frame::kSnapshot: return QStringLiteral("snapshot");
    case wire::Frame::kData: return QStringLiteral("data");
    case wire::Frame::kEvent: return QStringLiteral("event");
    case wire::Frame::kControl: return QStringLiteral("control");
    default: return QStringLiteral("unknown");
    }
}

QString dims(const google::protobuf::RepeatedField<std::int64_t>& values)
{
    QJsonArray array;
    for (auto v : values)
        array.append(double(v));
    return QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
}

// A statement that fails loses a row of the decoded tables, never the run: say so once.
void warnOnce(const QSqlQuery& query, const char* what)
{
    static QSet<QByteArray> said;
    if (said.contains(what))
        return;
    said.insert(what);
    qWarning("traindx: recording %s failed: %s", what, qPrintable(query.lastError().text()));
}

bool run(QSqlQuery& query, const char* what)
{
    if (query.exec())
        return true;
    warnOnce(query, what);
    return false;
}

QString uniqueConnection()
{
    return QStringLiteral("traindx-run-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
}

} // namespace

QString defaultRunsDirectory()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/traindx/runs");
}

QString defaultRunFilePath(const QString& program)
{
    QString name = QFileInfo(program).fileName();
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]")), QStringLiteral("_"));
    return defaultRunsDirectory() + QLatin1Char('/') + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss-zzz"))
        + QLatin1Char('-') + (name.isEmpty() ? QStringLiteral("run") : name) + QStringLiteral(".traindx");
}

RunRecorder::~RunRecorder()
{
    close();
}

bool RunRecorder::exec(const QString& sql)
{
    QSqlQuery query(m_db);
    if (query.exec(sql))
        return true;
    m_error = query.lastError().text();
    return false;
}

bool RunRecorder::open(const QString& path, QString* error)
{
    close();
    // A recording holds the program's arguments and console output: private to its owner.
    // The file is created 0600 before SQLite opens it, whose journal files take its mode.
    const QString directory = QFileInfo(path).absolutePath();
    if (!QFileInfo::exists(directory) && QDir().mkpath(directory))
        QFile::setPermissions(directory, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    if (!QFileInfo::exists(path)) {
        const int fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            ::close(fd);
    }
    m_connection = uniqueConnection();
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    m_db.setDatabaseName(path);
    if (!m_db.open()) {
        *error = QStringLiteral("cannot create the run file %1: %2").arg(path, m_db.lastError().text());
        return false;
    }
    int existing = 0;
    {
        QSqlQuery version(m_db);
        if (version.exec(QStringLiteral("PRAGMA user_version")) && version.next())
            existing = version.value(0).toInt();
    } // the statement must be finished before the journal mode can change
    if (existing > kRunFileSchemaVersion) {
        *error = QStringLiteral("%1 is a run file of schema version %2; this TrainDx writes version %3")
                     .arg(path)
                     .arg(existing)
                     .arg(kRunFileSchemaVersion);
        close();
        return false;
    }
    // WAL: readers never block the recorder; a crash keeps every committed transaction.
    bool ok = exec(QStringLiteral("PRAGMA journal_mode=WAL")) && exec(QStringLiteral("PRAGMA synchronous=NORMAL"));
    for (const char* statement : kSchema)
        ok = ok && exec(QString::fromLatin1(statement));
    ok = ok && exec(QStringLiteral("PRAGMA user_version=%1").arg(kRunFileSchemaVersion));
    if (!ok) {
        *error = QStringLiteral("cannot prepare the run file %1: %2").arg(path, m_error);
        close();
        return false;
    }
    m_path = path;
    setMeta(QStringLiteral("schema_version"), QString::number(kRunFileSchemaVersion));
    setMeta(QStringLiteral("created"), QDateTime::currentDateTime().toString(Qt::ISODate));
    return true;
}

void RunRecorder::setMeta(const QString& key, const QString& value)
{
    if (!isOpen())
        return;
    QSqlQuery query(m_db);
    query.prepare(QStringLiteral("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)"));
    query.addBindValue(key);
    query.addBindValue(value);
    query.exec();
}

void RunRecorder::recordFrame(const wire::Frame& frame, qint64 receivedMs)
{
    if (!isOpen())
        return;
    const auto lost = [this](const QString& error) {
        if (m_framesLost++ == 0)
            m_error = error;
    };
    if (!m_db.transaction()) {
        lost(m_db.lastError().text());
        return;
    }
    const std::string body = frame.SerializeAsString();
    QSqlQuery query(m_db);
    query.prepare(QStringLiteral("INSERT INTO frames(received_ms, kind, body) VALUES(?, ?, ?)"));
    query.addBindValue(receivedMs);
    query.addBindValue(bodyKind(frame));
    query.addBindValue(QByteArray(body.data(), int(body.size())));
    if (!query.exec()) {
        lost(query.lastError().text());
        m_db.rollback();
        return;
    }
    recordDecoded(frame, query.lastInsertId().toLongLong(), receivedMs);
    if (!m_db.commit()) {
        lost(m_db.lastError().text());
        m_db.rollback();
    }
}

void RunRecorder::recordDecoded(const wire::Frame& frame, qint64 frameId, qint64 receivedMs)
{
    QSqlQuery query(m_db);
    if (frame.has_model()) {
        query.exec(QStringLiteral("DELETE FROM layers"));
        query.prepare(QStringLiteral("INSERT INTO layers VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
        for (const auto& layer : frame.model().layers()) {
            QJsonArray parameters;
            for (const auto& p : layer.parameters())
                parameters.append(QJsonObject {{QStringLiteral("name"), QString::fromStdString(p.name())},
                                               {QStringLiteral("shape"), QJsonDocument::fromJson(dims(p.dims()).toUtf8()).array()}});
            query.addBindValue(layer.id());
            query.addBindValue(layer.index());
            query.addBindValue(layer.parent());
            query.addBindValue(QString::fromStdString(layer.path()));
            query.addBindValue(QString::fromStdString(layer.type()));
            query.addBindValue(QString::fromStdString(layer.options()));
            query.addBindValue(QString::fromUtf8(QJsonDocument(parameters).toJson(QJsonDocument::Compact)));
            query.addBindValue(dims(layer.output_shape()));
            run(query, "a layer");
        }
    } else if (frame.has_snapshot()) {
        const auto& s = frame.snapshot();
        QSqlQuery batch(m_db);
        batch.prepare(QStringLiteral("INSERT OR REPLACE INTO batches VALUES(?, ?, ?, ?, ?)"));
        for (const auto& p : s.points()) {
            batch.addBindValue(qint64(p.step()));
            batch.addBindValue(p.epoch());
            batch.addBindValue(p.batch());
            batch.addBindValue(p.loss());
            batch.addBindValue(p.has_accuracy() ? QVariant(p.accuracy()) : QVariant());
            run(batch, "a batch");
        }
        if (s.layers_size() == 0 && s.kind() != wire::Snapshot::EPOCH_END)
            return;
        QJsonObject metrics;
        for (const auto& [name, value] : s.metrics())
            metrics.insert(QString::fromStdString(name), value);
        query.prepare(QStringLiteral("INSERT INTO snapshots(frame, step, epoch, batch, kind, metrics) VALUES(?, ?, ?, ?, ?, ?)"));
        query.addBindValue(frameId);
        query.addBindValue(qint64(s.step()));
        query.addBindValue(s.epoch());
        query.addBindValue(s.batch());
        query.addBindValue(QString::fromStdString(wire::Snapshot::Kind_Name(s.kind())));
        query.addBindValue(QString::fromUtf8(QJsonDocument(metrics).toJson(QJsonDocument::Compact)));
        if (!run(query, "a snapshot"))
            return;
        const qint64 snapshotId = query.lastInsertId().toLongLong();
        QSqlQuery row(m_db);
        row.prepare(QStringLiteral("INSERT INTO layer_stats VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        for (const auto& layer : s.layers()) {
            const std::pair<const char*, const wire::TensorStats*> tensors[] = {
                {"weight", layer.has_weight() ? &layer.weight() : nullptr},
                {"bias", layer.has_bias() ? &layer.bias() : nullptr},
                {"weight_grad", layer.has_weight_grad() ? &layer.weight_grad() : nullptr},
                {"bias_grad", layer.has_bias_grad() ? &layer.bias_grad() : nullptr},
                {"activation", layer.has_activation() ? &layer.activation() : nullptr}};
            for (const auto& [name, t] : tensors) {
                if (!t)
                    continue;
                row.addBindValue(snapshotId);
                row.addBindValue(layer.layer());
                row.addBindValue(QString::fromLatin1(name));
                row.addBindValue(qint64(t->count()));
                row.addBindValue(t->mean());
                row.addBindValue(t->std());
                row.addBindValue(t->min());
                row.addBindValue(t->max());
                row.addBindValue(t->l2());
                row.addBindValue(qint64(t->nan()));
                row.addBindValue(qint64(t->inf()));
                row.addBindValue(qint64(t->zeros()));
                row.addBindValue(t->hist_lo());
                row.addBindValue(t->hist_hi());
                row.addBindValue(QByteArray(reinterpret_cast<const char*>(t->bins().data()), t->bins_size() * int(sizeof(quint32))));
                row.addBindValue(layer.update_ratio());
                row.addBindValue(layer.dead_fraction());
                row.addBindValue(layer.saturated_fraction());
                run(row, "layer statistics");
            }
        }
    } else if (frame.has_event()) {
        const auto& e = frame.event();
        query.prepare(QStringLiteral("INSERT INTO events(received_ms, kind, epoch, batch, step, text) VALUES(?, ?, ?, ?, ?, ?)"));
        query.addBindValue(receivedMs);
        query.addBindValue(QString::fromStdString(wire::Event::Kind_Name(e.kind())));
        query.addBindValue(e.epoch());
        query.addBindValue(e.batch());
        query.addBindValue(qint64(e.step()));
        query.addBindValue(QString::fromStdString(e.text()));
        run(query, "an event");
    }
}

void RunRecorder::recordConsole(const QString& text, bool standardError, qint64 receivedMs)
{
    if (!isOpen())
        return;
    QSqlQuery query(m_db);
    query.prepare(QStringLiteral("INSERT INTO console(received_ms, stderr, text) VALUES(?, ?, ?)"));
    query.addBindValue(receivedMs);
    query.addBindValue(standardError ? 1 : 0);
    query.addBindValue(text);
    query.exec();
}

void RunRecorder::recordFindings(const QVector<Finding>& findings)
{
    if (!isOpen())
        return;
    m_db.transaction();
    QSqlQuery query(m_db);
    query.exec(QStringLiteral("DELETE FROM findings"));
    query.prepare(QStringLiteral("INSERT INTO findings VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (int rank = 0; rank < findings.size(); ++rank) {
        const Finding& f = findings[rank];
        query.addBindValue(f.key());
        query.addBindValue(rank + 1);
        query.addBindValue(symptomName(f.symptom));
        query.addBindValue(f.layer);
        query.addBindValue(f.layerPath);
        query.addBindValue(locationName(f.location));
        query.addBindValue(f.epoch + 1);
        query.addBindValue(f.batch);
        query.addBindValue(f.step);
        query.addBindValue(f.seconds);
        query.addBindValue(fixClassName(f.fixClass));
        query.addBindValue(QString::fromUtf8(QJsonDocument(f.toJson()).toJson(QJsonDocument::Compact)));
        query.exec();
    }
    m_db.commit();
}

void RunRecorder::close()
{
    if (m_connection.isEmpty())
        return;
    if (m_db.isOpen())
        m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connection);
    m_connection.clear();
}

namespace {

// A file shorter than its header says (cut by a full disk or a copy that stopped): SQLite
// refuses it whole. A copy padded with zeros to the stated size reads as far as it is
// whole. Returns the copy's path and says how much was missing; empty when not cut.
QString paddedCopyIfCut(const QString& path, QTemporaryFile& copy, QString* cut)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray header = file.read(100);
    if (header.size() < 100 || !header.startsWith("SQLite format 3"))
        return {};
    const auto byte = [&header](int i) { return quint32(quint8(header[i])); };
    qint64 pageSize = (byte(16) << 8) | byte(17);
    if (pageSize == 1)
        pageSize = 65536;
    const qint64 pages = (byte(28) << 24) | (byte(29) << 16) | (byte(30) << 8) | byte(31);
    const qint64 stated = pageSize * pages;
    if (pages == 0 || file.size() >= stated || stated > (qint64(4) << 30))
        return {};
    file.seek(0);
    if (!copy.open() || copy.write(file.readAll()) != file.size() || !copy.resize(stated))
        return {};
    copy.close();
    *cut = QStringLiteral("the file is cut short: %1 of the %2 bytes its header states").arg(file.size()).arg(stated);
    return copy.fileName();
}

} // namespace

bool readRunFile(const QString& path, RecordedRun* run, QString* error)
{
    if (!QFileInfo(path).isFile()) {
        *error = QStringLiteral("%1 does not exist").arg(path);
        return false;
    }
    QTemporaryFile padded;
    QString cut;
    const QString readable = paddedCopyIfCut(path, padded, &cut);
    const QString connection = uniqueConnection();
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(readable.isEmpty() ? path : readable);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        QSqlQuery query(db);
        if (!db.open() || !query.exec(QStringLiteral("PRAGMA user_version")) || !query.next()) {
            const QString why = query.lastError().isValid() ? query.lastError().text() : db.lastError().text();
            *error = QStringLiteral("%1 cannot be read as a TrainDx run file: %2").arg(path, why.isEmpty() ? QStringLiteral("unknown error") : why);
        } else if ((run->schemaVersion = query.value(0).toInt()) > kRunFileSchemaVersion) {
            *error = QStringLiteral("%1 was written with run-file schema version %2; this TrainDx reads versions up to %3. "
                                    "Open it with a newer TrainDx.")
                         .arg(path)
                         .arg(run->schemaVersion)
                         .arg(kRunFileSchemaVersion);
        } else if (run->schemaVersion < 1) {
            *error = QStringLiteral("%1 is not a TrainDx run file").arg(path);
        } else {
            QStringList damage;
            if (!cut.isEmpty())
                damage.append(cut);
            if (query.exec(QStringLiteral("PRAGMA quick_check(5)"))) {
                QStringList problems;
                while (query.next())
                    if (const QString line = query.value(0).toString(); line != QLatin1String("ok"))
                        problems.append(line);
                if (!problems.isEmpty())
                    damage.append(QStringLiteral("SQLite's check found: %1").arg(problems.join(QStringLiteral("; "))));
            } else {
                damage.append(QStringLiteral("SQLite's check could not run: %1").arg(query.lastError().text()));
            }
            // Each table as far as it reads: a damaged page ends a table early, not the run.
            const auto readTable = [&](const char* sql, const char* what, const auto& row) {
                if (!query.exec(QString::fromLatin1(sql))) {
                    damage.append(QStringLiteral("the %1 could not be read: %2").arg(QLatin1String(what), query.lastError().text()));
                    return;
                }
                while (query.next())
                    row();
                if (query.lastError().isValid())
                    damage.append(QStringLiteral("the %1 stop short: %2").arg(QLatin1String(what), query.lastError().text()));
            };
            readTable("SELECT key, value FROM meta", "run's details",
                      [&] { run->meta.insert(query.value(0).toString(), query.value(1).toString()); });
            readTable("SELECT received_ms, body FROM frames ORDER BY id", "recorded frames",
                      [&] { run->frames.append({query.value(0).toLongLong(), query.value(1).toByteArray()}); });
            readTable("SELECT text, stderr FROM console ORDER BY id", "console rows",
                      [&] { run->console.append({query.value(0).toString(), query.value(1).toBool()}); });
            readTable("SELECT report FROM findings ORDER BY rank", "recorded findings", [&] {
                const QJsonObject o = QJsonDocument::fromJson(query.value(0).toString().toUtf8()).object();
                Finding f;
                if (Finding::fromJson(o, &f)) // a symptom of a newer TrainDx is skipped
                    run->findings.append(f);
            });
            if (run->meta.isEmpty() && run->frames.isEmpty()) {
                *error = damage.isEmpty() ? QStringLiteral("%1 is not a TrainDx run file").arg(path)
                                          : QStringLiteral("%1 is damaged beyond reading: %2").arg(path, damage.join(QStringLiteral("; ")));
            } else {
                if (!damage.isEmpty())
                    run->damage = QStringLiteral("the run file is damaged; %1 frames could be read (%2)")
                                      .arg(run->frames.size())
                                      .arg(damage.join(QStringLiteral("; ")));
                ok = true;
            }
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(connection);
    return ok;
}

} // namespace traindx
