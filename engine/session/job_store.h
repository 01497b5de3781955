// A multi-rank job's own store (c10d's TCPStore at MASTER_ADDR:MASTER_PORT), read for what
// its probes published under "traindx/": the world size, whether the job is served reduced,
// and where each rank's probe listens. Neither Qt nor torch in this header.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace traindx {

struct JobAddresses {
    int worldSize = 0;
    bool reduced = false;               // rank 0 alone serves, the job's statistics combined
    std::vector<std::string> addresses; // by rank; "" for a rank that published none in time
    std::string error;                  // not empty: the store could not be read
};

// Waits up to `timeout` for the job's probes to publish (a job just started may not have).
JobAddresses readJobAddresses(const std::string& host, int port, std::chrono::milliseconds timeout);

} // namespace traindx
