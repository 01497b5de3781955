// Where probes listen: the discovery directory (one <pid>.sock per training process) and
// private socket paths for launched trainers. Same rules as the probe's.
#pragma once

#include <QString>
#include <QVector>

namespace traindx::discovery {

// $XDG_RUNTIME_DIR/traindx (if that directory exists), else /tmp/traindx-<uid>;
// created private (0700).
QString directory();

// A fresh socket path for a trainer this process launches.
QString launchSocketPath();

struct Endpoint {
    qint64 pid = 0;
    QString socketPath;
};

// Sockets of running probes; sockets whose process is gone are removed.
QVector<Endpoint> listEndpoints();

} // namespace traindx::discovery
