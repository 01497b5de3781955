#include "run_summary.h"

#include "traindx.pb.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>

#include <unistd.h>

#include <algorithm>

namespace traindx {

QString RunSummary::verdict() const
{
    if (faults > 0)
        return QStringLiteral("faulty");
    if (finalState == QLatin1String("crashed"))
        return QStringLiteral("crashed");
    if (epochs == 0 || !error.isEmpty())
        return QStringLiteral("not_diagnosed");
    return QStringLiteral("healthy");
}

namespace {

void readMeta(QSqlQuery& query, RunSummary& summary)
{
    if (!query.exec(QStringLiteral("SELECT key, value FROM meta")))
        return;
    while (query.next()) {
        const QString key = query.value(0).toString(), value = query.value(1).toString();
        if (key == QLatin1String("program"))
            summary.program = value;
        else if (key == QLatin1String("arguments"))
            summary.arguments = QJsonDocument::fromJson(value.toUtf8()).toVariant().toStringList();
        else if (key == QLatin1String("started_ms"))
            summary.started = QDateTime::fromMSecsSinceEpoch(value.toLongLong());
        else if (key == QLatin1String("final_state"))
            summary.finalState = value;
    }
}

void readFindings(QSqlQuery& query, RunSummary& summary)
{
    if (!query.exec(QStringLiteral("SELECT report FROM findings ORDER BY rank")))
        return;
    while (query.next()) {
        const QJsonObject finding = QJsonDocument::fromJson(query.value(0).toString().toUtf8()).object();
        const bool fault = finding.value(QStringLiteral("severity")).toString() == QLatin1String("fault");
        (fault ? summary.faults : summary.warnings) += 1;
        if (summary.topFinding.isEmpty()) {
            const QJsonValue layer = finding.value(QStringLiteral("layer"));
            summary.topFinding = QStringLiteral("%1 at %2 — %3")
                                     .arg(finding.value(QStringLiteral("symptom")).toString(),
                                          layer.isObject() ? layer.toObject().value(QStringLiteral("path")).toString()
                                                           : QStringLiteral("the model"),
                                          finding.value(QStringLiteral("fix")).toObject().value(QStringLiteral("class")).toString());
        }
    }
}

} // namespace

RunSummary summarizeRunFile(const QString& path)
{
    RunSummary summary;
    summary.path = path;
    summary.bytes = QFileInfo(path).size();
    const QString connection = QStringLiteral("traindx-summary-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        QSqlQuery query(db);
        if (!db.open() || !query.exec(QStringLiteral("PRAGMA user_version")) || !query.next() || query.value(0).toInt() < 1) {
            summary.error = QStringLiteral("not a TrainDx run file");
        } else {
            readMeta(query, summary);
            readFindings(query, summary);
            if (query.exec(QStringLiteral("SELECT COUNT(*) FROM snapshots WHERE kind = 'EPOCH_END'")) && query.next())
                summary.epochs = query.value(0).toInt();
            if (query.exec(QStringLiteral("SELECT body FROM frames WHERE kind = 'hello' ORDER BY id LIMIT 1")) && query.next()) {
                const QByteArray body = query.value(0).toByteArray();
                wire::Frame frame;
                if (frame.ParseFromArray(body.constData(), body.size()) && frame.has_hello())
                    summary.model = QString::fromStdString(frame.hello().model_name());
            }
        }
    }
    QSqlDatabase::removeDatabase(connection);
    return summary;
}

QVector<RunSummary> listRunFiles(const QString& directory)
{
    QVector<RunSummary> runs;
    const QFileInfoList files = QDir(directory).entryInfoList({QStringLiteral("*.traindx")}, QDir::Files, QDir::Time);
    for (const QFileInfo& file : files)
        if (file.ownerId() == ::getuid())
            runs.append(summarizeRunFile(file.absoluteFilePath()));
    std::stable_sort(runs.begin(), runs.end(), [](const RunSummary& a, const RunSummary& b) { return a.started > b.started; });
    return runs;
}

} // namespace traindx
