// The launches of a job of several ranks on this machine, as torchrun starts them: each
// rank's environment has RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, and the store's
// MASTER_ADDR (127.0.0.1) and MASTER_PORT (a port free when asked).
#pragma once

#include "launcher.h"

#include <QVector>

#include <memory>

namespace traindx {

QVector<LaunchSpec> rankLaunches(const LaunchSpec& spec, int ranks);
// The MASTER_PORT those launches share ("" when `launches` is empty).
QString storePort(const QVector<LaunchSpec>& launches);
// A rank of a job served reduced other than rank 0 (its probe serves nobody): a plain process
// set up to run `spec`, stdout and stderr merged, for the caller to connect and start().
std::unique_ptr<QProcess> quietRankProcess(const LaunchSpec& spec);

} // namespace traindx
