// The launches of a job of several ranks on this machine, as torchrun starts them: each
// rank's environment has RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, and the store's
// MASTER_ADDR (127.0.0.1) and MASTER_PORT (a port free when asked).
#pragma once

#include "launcher.h"

#include <QVector>

namespace traindx {

QVector<LaunchSpec> rankLaunches(const LaunchSpec& spec, int ranks);
// The MASTER_PORT those launches share ("" when `launches` is empty).
QString storePort(const QVector<LaunchSpec>& launches);

} // namespace traindx
