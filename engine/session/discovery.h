// Where probes listen: the discovery directory (one <pid>.sock per training process) and
// private socket paths for launched trainers. The same rules as the probe's, one copy.
#pragma once

#include <QString>
#include <QVector>

namespace traindx::discovery {

// $XDG_RUNTIME_DIR/traindx (if that directory exists), else /tmp/traindx-<uid>, by the
// rules the probe follows too (wire::discovery_directory): empty, with the reason in
// `error`, when it cannot be trusted.
QString directory(QString* error = nullptr);

// The directory for a message: its path, or why it is refused.
QString describeDirectory();

// A fresh socket path for a trainer this process launches; empty when the directory is
// refused.
QString launchSocketPath(QString* error = nullptr);

struct Endpoint {
    qint64 pid = 0;
    QString socketPath;
};

// Sockets of running probes; sockets whose process is gone are removed.
QVector<Endpoint> listEndpoints();

// What a listening probe says of itself in its hello, asked without attaching.
struct ProbeInfo {
    bool ok = false;
    QString error;
    qint64 pid = 0;
    QString socketPath;
    QString program;
    QStringList arguments;
    QString modelName;
    int epoch = 0;
    qint64 step = 0;
    qint64 startedUnixMs = 0;
    bool busy = false; // another TrainDx is attached
};

// Blocks for at most `timeoutMs`: call it off the UI thread.
ProbeInfo queryEndpoint(const QString& socketPath, int timeoutMs = 1000);

} // namespace traindx::discovery
