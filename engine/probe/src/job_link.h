// The probe's link to the other ranks of its job, all of it on a thread of its own, so that
// nothing here ever waits on the training thread:
//   - the job's store (the program's own, or opened at MASTER_ADDR:MASTER_PORT), where the
//     probe publishes where it listens under "traindx/" ("traindx/rank/R", and from rank 0
//     "traindx/world_size" and "traindx/mode"), for a client that knows only the store;
//   - in reduced mode, a Gloo group of the probes beside the program's (its rendezvous under
//     "traindx/reduce/"), over which every snapshot is reduced (snapshot_reduction.h) and
//     rank 0 serves the job's. Each collective gives up after the timeout; the first that
//     fails (a rank died, or the ranks reached different boundaries) ends the reduction for
//     good: rank 0 then serves its own snapshots, the first one saying why.
#pragma once

#include "traindx.pb.h"

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace traindx::probe {

// Where this process stands in its job, by the launcher's conventions (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
struct JobPlace {
    int rank = 0;
    int world_size = 1;
    int local_rank = 0;
    std::string store_host;
    int store_port = 0;
    bool in_job() const { return world_size > 1; }
};

JobPlace job_place_from_environment();

// The keys under the store's "traindx/" prefix.
std::string rank_address_key(int rank);
constexpr const char* kWorldSizeKey = "world_size";
constexpr const char* kModeKey = "mode"; // "reduced" or "per-rank"

class JobLink {
public:
    struct Settings {
        JobPlace place;
        c10::intrusive_ptr<c10d::Store> store; // null: open MASTER_ADDR:MASTER_PORT
        bool reduced = false;
        std::string address; // where this rank's probe listens; "" when it serves no client
        std::chrono::milliseconds timeout {10000};
    };
    // Rank 0, reduced mode: a job's snapshot to serve. Called on the link's thread.
    using Deliver = std::function<void(wire::Snapshot&&)>;
    // Something the user must hear (the store cannot be reached, the reduction stopped).
    using Tell = std::function<void(const std::string&)>;

    JobLink(Settings settings, Deliver deliver, Tell tell);
    // Lets the snapshots in the queue finish their reduction (within the timeout), then ends.
    ~JobLink();
    JobLink(const JobLink&) = delete;
    JobLink& operator=(const JobLink&) = delete;

    // Reduced mode: this rank's snapshot at a boundary every rank reaches, in the same order.
    void reduce(wire::Snapshot snapshot);

    struct State;

private:
    std::shared_ptr<State> state_;
    std::thread thread_;
};

} // namespace traindx::probe
