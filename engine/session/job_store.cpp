#include "job_store.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace traindx {

namespace {

std::string text(const std::vector<std::uint8_t>& bytes)
{
    return std::string(bytes.begin(), bytes.end());
}

} // namespace

JobAddresses readJobAddresses(const std::string& host, int port, std::chrono::milliseconds timeout)
{
    JobAddresses job;
    try {
        c10d::TCPStoreOptions options;
        options.port = std::uint16_t(port);
        options.isServer = false;
        options.waitWorkers = false;
        options.timeout = timeout;
        auto store = c10::make_intrusive<c10d::TCPStore>(host, options);
        c10d::PrefixStore ours("traindx", store);
        // The keys every probe of a job writes as it starts: rank 0 says how many there are.
        job.worldSize = std::stoi(text(ours.get("world_size")));
        job.reduced = text(ours.get("mode")) == "reduced";
        const int serving = job.reduced ? 1 : job.worldSize;
        job.addresses.resize(std::size_t(job.worldSize));
        std::vector<std::string> keys;
        for (int r = 0; r < serving; ++r)
            keys.push_back("rank/" + std::to_string(r));
        try {
            ours.wait(keys, timeout); // one wait for all: a rank missing costs the timeout once
        } catch (const std::exception&) {
            // Some ranks did not publish in time: the caller says which.
        }
        for (int r = 0; r < serving; ++r)
            if (ours.check({keys[std::size_t(r)]}))
                job.addresses[std::size_t(r)] = text(ours.get(keys[std::size_t(r)]));
    } catch (const std::exception& error) {
        job.error = "cannot read the job's store at " + host + ":" + std::to_string(port)
            + " (is the job running, and does it create its probes?): " + error.what();
    }
    return job;
}

} // namespace traindx
