#include "discovery.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <sys/stat.h>
#include <unistd.h>

namespace traindx::discovery {

QString directory()
{
    const QString runtime = QString::fromLocal8Bit(qgetenv("XDG_RUNTIME_DIR"));
    const QString path = !runtime.isEmpty() && QFileInfo(runtime).isDir()
        ? runtime + QStringLiteral("/traindx")
        : QStringLiteral("/tmp/traindx-%1").arg(::getuid());
    const QByteArray native = QFile::encodeName(path);
    ::mkdir(native.constData(), 0700);
    ::chmod(native.constData(), 0700);
    return path;
}

QString launchSocketPath()
{
    static std::atomic<int> counter {0};
    return directory() + QStringLiteral("/launch-%1-%2.sock").arg(QCoreApplication::applicationPid()).arg(++counter);
}

QVector<Endpoint> listEndpoints()
{
    QVector<Endpoint> endpoints;
    const QDir dir(directory());
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

} // namespace traindx::discovery
