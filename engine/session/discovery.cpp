#include "discovery.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLocalSocket>

#include "discovery_directory.h"
#include "framing.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <sys/stat.h>
#include <unistd.h>

namespace traindx::discovery {

QString directory(QString* error)
{
    std::string why;
    const std::string path = wire::discovery_directory(&why);
    if (error)
        *error = QString::fromStdString(why);
    return QString::fromStdString(path);
}

QString describeDirectory()
{
    QString error;
    const QString path = directory(&error);
    return path.isEmpty() ? QStringLiteral("the discovery directory, which is refused: %1").arg(error) : path;
}

QString launchSocketPath(QString* error)
{
    static std::atomic<int> counter {0};
    const QString dir = directory(error);
    if (dir.isEmpty())
        return {};
    return dir + QStringLiteral("/launch-%1-%2.sock").arg(QCoreApplication::applicationPid()).arg(++counter);
}

QVector<Endpoint> listEndpoints()
{
    QVector<Endpoint> endpoints;
    const QString path = directory();
    if (path.isEmpty())
        return endpoints; // refused: nothing in it is trusted, and nothing in it is removed
    const QDir dir(path);
    for (const QFileInfo& info : dir.entryInfoList({QStringLiteral("*.sock")}, QDir::System | QDir::Files)) {
        bool ok = false;
        const qint64 pid = info.completeBaseName().toLongLong(&ok);
        if (!ok || pid <= 0)
            continue; // a launched trainer's private socket
        if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH) {
            QFile::remove(info.filePath()); // stale: its process is gone
            continue;
        }
        endpoints.append({pid, info.filePath()});
    }
    return endpoints;
}

ProbeInfo queryEndpoint(const QString& socketPath, int timeoutMs)
{
    ProbeInfo info;
    info.socketPath = socketPath;
    QLocalSocket socket;
    socket.connectToServer(socketPath);
    if (!socket.waitForConnected(timeoutMs)) {
        info.error = socket.errorString();
        return info;
    }
    wire::FrameReader reader;
    wire::Frame frame;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        if (!socket.waitForReadyRead(int(std::max<qint64>(1, timeoutMs - timer.elapsed()))))
            break;
        const QByteArray bytes = socket.readAll();
        reader.feed(bytes.constData(), std::size_t(bytes.size()));
        const auto status = reader.next(frame);
        if (status == wire::FrameReader::Status::Error) {
            info.error = QString::fromStdString(reader.error());
            break;
        }
        if (status != wire::FrameReader::Status::Frame)
            continue;
        if (!frame.has_hello()) {
            info.error = QStringLiteral("not a TrainDx probe");
            break;
        }
        const auto& hello = frame.hello();
        info.ok = true;
        info.pid = hello.pid();
        info.program = QString::fromStdString(hello.program());
        for (const auto& argument : hello.arguments())
            info.arguments.append(QString::fromStdString(argument));
        info.modelName = QString::fromStdString(hello.model_name());
        info.epoch = hello.epoch();
        info.step = hello.step();
        info.startedUnixMs = hello.started_unix_ms();
        info.busy = hello.busy();
        break;
    }
    if (!info.ok && info.error.isEmpty())
        info.error = QStringLiteral("the probe did not answer within %1 ms").arg(timeoutMs);
    socket.abort();
    return info;
}

} // namespace traindx::discovery
