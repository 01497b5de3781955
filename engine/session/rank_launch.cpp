#include "rank_launch.h"

#include <QTcpServer>

namespace traindx {

QVector<LaunchSpec> rankLaunches(const LaunchSpec& spec, int ranks)
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    const quint16 port = probe.serverPort();
    probe.close();
    QVector<LaunchSpec> launches;
    for (int r = 0; r < ranks; ++r) {
        LaunchSpec rank = spec;
        rank.environment << QStringLiteral("RANK=%1").arg(r) << QStringLiteral("LOCAL_RANK=%1").arg(r)
                         << QStringLiteral("WORLD_SIZE=%1").arg(ranks) << QStringLiteral("LOCAL_WORLD_SIZE=%1").arg(ranks)
                         << QStringLiteral("MASTER_ADDR=127.0.0.1") << QStringLiteral("MASTER_PORT=%1").arg(port);
        launches.append(rank);
    }
    return launches;
}

QString storePort(const QVector<LaunchSpec>& launches)
{
    if (launches.isEmpty())
        return QString();
    for (const QString& entry : launches.first().environment)
        if (entry.startsWith(QLatin1String("MASTER_PORT=")))
            return entry.mid(12);
    return QString();
}

std::unique_ptr<QProcess> quietRankProcess(const LaunchSpec& spec)
{
    auto process = std::make_unique<QProcess>();
    process->setProcessEnvironment(launchEnvironment(spec));
    process->setWorkingDirectory(spec.workingDirectory);
    process->setProcessChannelMode(QProcess::MergedChannels);
    return process;
}

} // namespace traindx
