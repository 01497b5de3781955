#include "job_link.h"

#include "snapshot_reduction.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>

namespace traindx::probe {

namespace {

int env_int(const char* name, int fallback)
{
    const char* value = std::getenv(name);
    return value && *value ? std::atoi(value) : fallback;
}

// Snapshots waiting for their reduction; beyond this the reduction has fallen behind the
// training for good.
constexpr std::size_t kMostQueued = 256;

bool loopback(const std::string& host)
{
    return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

class GlooCollectives : public Collectives {
public:
    GlooCollectives(c10::intrusive_ptr<c10d::ProcessGroupGloo> group, std::chrono::milliseconds timeout)
        : group_(std::move(group))
        , timeout_(timeout)
    {
    }
    int rank() const override { return group_->getRank(); }
    int size() const override { return group_->getSize(); }
    void max(std::vector<double>& values) override
    {
        std::vector<at::Tensor> tensors {as_tensor(values)};
        c10d::AllreduceOptions options;
        options.reduceOp = c10d::ReduceOp::MAX;
        options.timeout = timeout_;
        group_->allreduce(tensors, options)->wait(timeout_);
    }
    void sum_to_root(std::vector<double>& values) override
    {
        std::vector<at::Tensor> tensors {as_tensor(values)};
        c10d::ReduceOptions options;
        options.reduceOp = c10d::ReduceOp::SUM;
        options.rootRank = 0;
        options.timeout = timeout_;
        group_->reduce(tensors, options)->wait(timeout_);
    }

private:
    static at::Tensor as_tensor(std::vector<double>& values)
    {
        return at::from_blob(values.data(), {std::int64_t(values.size())}, at::TensorOptions().dtype(at::kDouble));
    }
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
    std::chrono::milliseconds timeout_;
};

} // namespace

JobPlace job_place_from_environment()
{
    JobPlace place;
    place.rank = env_int("RANK", 0);
    place.world_size = env_int("WORLD_SIZE", 1);
    place.local_rank = env_int("LOCAL_RANK", place.rank);
    if (const char* host = std::getenv("MASTER_ADDR"))
        place.store_host = host;
    place.store_port = env_int("MASTER_PORT", 0);
    return place;
}

std::string rank_address_key(int rank)
{
    return "rank/" + std::to_string(rank);
}

struct JobLink::State {
    Settings settings;
    Deliver deliver;
    Tell tell;

    std::mutex mutex;
    std::condition_variable changed;
    std::deque<wire::Snapshot> queue;
    bool ending = false;
    bool closed = false;   // the probe is gone: deliver and tell no more
    bool fell_back = false;
    bool busy = false;     // a snapshot is in its reduction
    bool finished = false; // run() has returned
    std::string fallback;  // why, until rank 0 has said it with a snapshot

    void say(const std::string& text)
    {
        std::lock_guard lock(mutex);
        if (!closed && tell)
            tell(text);
    }
    void hand_over(wire::Snapshot&& snapshot)
    {
        std::lock_guard lock(mutex);
        if (!closed && deliver)
            deliver(std::move(snapshot));
    }
    void fall_back(const std::string& why)
    {
        {
            std::lock_guard lock(mutex);
            if (fell_back)
                return;
            fell_back = true;
            fallback = why;
        }
        say("the job's statistics are no longer combined across ranks: " + why
            + (settings.place.rank == 0 ? "; rank 0 serves its own from now on" : ""));
    }
    void run();
};

void JobLink::State::run()
{
    const JobPlace& place = settings.place;
    c10::intrusive_ptr<c10d::Store> store = settings.store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
    try {
        if (!store) {
            if (place.store_host.empty() || place.store_port <= 0)
                throw std::runtime_error("MASTER_ADDR and MASTER_PORT are not set");
            c10d::TCPStoreOptions options;
            options.port = std::uint16_t(place.store_port);
            options.isServer = false;
            options.waitWorkers = false;
            options.timeout = settings.timeout;
            store = c10::make_intrusive<c10d::TCPStore>(place.store_host, options);
        }
        auto ours = c10::make_intrusive<c10d::PrefixStore>("traindx", store);
        if (!settings.address.empty())
            ours->set(rank_address_key(place.rank), std::vector<std::uint8_t>(settings.address.begin(), settings.address.end()));
        if (place.rank == 0) {
            const std::string world = std::to_string(place.world_size);
            const std::string mode = settings.reduced ? "reduced" : "per-rank";
            ours->set(kWorldSizeKey, std::vector<std::uint8_t>(world.begin(), world.end()));
            ours->set(kModeKey, std::vector<std::uint8_t>(mode.begin(), mode.end()));
        }
    } catch (const std::exception& error) {
        say("the probe cannot reach the job's store at " + place.store_host + ":" + std::to_string(place.store_port)
            + ", so a client that knows only the store will not find this rank: " + error.what());
        if (settings.reduced)
            fall_back("the job's store cannot be reached");
    }

    std::unique_ptr<GlooCollectives> collectives;
    if (settings.reduced && store && !fell_back) {
        try {
            auto options = c10d::ProcessGroupGloo::Options::create(settings.timeout);
            options->devices.push_back(loopback(place.store_host)
                                           ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                           : c10d::ProcessGroupGloo::createDefaultDevice());
            group = c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>("traindx/reduce", store),
                                                                place.rank, place.world_size, options);
            collectives = std::make_unique<GlooCollectives>(group, settings.timeout);
        } catch (const std::exception& error) {
            fall_back(std::string("the probes could not form their group: ") + error.what());
        }
    }

    for (;;) {
        wire::Snapshot snapshot;
        bool reducing = false;
        {
            std::unique_lock lock(mutex);
            changed.wait(lock, [this] { return ending || !queue.empty(); });
            if (queue.empty())
                break;
            snapshot = std::move(queue.front());
            queue.pop_front();
            busy = true;
            reducing = !fell_back && collectives;
        }
        if (reducing) {
            try {
                if (auto job = reduce_snapshot(snapshot, *collectives))
                    hand_over(std::move(*job));
            } catch (const std::exception& error) {
                fall_back(error.what());
            }
        }
        std::string why;
        {
            std::lock_guard lock(mutex);
            reducing = !fell_back;
            why.swap(fallback);
        }
        if (!reducing && place.rank == 0) {
            if (!why.empty()) {
                snapshot.mutable_job()->set_fallback(why);
                snapshot.mutable_job()->set_ranks(1);
                snapshot.mutable_job()->set_world_size(place.world_size);
            }
            hand_over(std::move(snapshot));
        }
        std::lock_guard lock(mutex);
        busy = false;
        changed.notify_all();
    }
    // A group whose peer died may wait on it in its destructor: it stays until the process ends.
    if (fell_back && group)
        group.release();
    std::lock_guard lock(mutex);
    finished = true;
    changed.notify_all();
}

JobLink::JobLink(Settings settings, Deliver deliver, Tell tell)
    : state_(std::make_shared<State>())
{
    state_->settings = std::move(settings);
    state_->deliver = std::move(deliver);
    state_->tell = std::move(tell);
    thread_ = std::thread([state = state_] { state->run(); });
}

JobLink::~JobLink()
{
    auto state = state_;
    {
        std::unique_lock lock(state->mutex);
        state->ending = true;
        state->changed.notify_all();
        // Every snapshot queued is reduced, or its collective gives up, within the timeout.
        const auto patience = state->settings.timeout * 2 + std::chrono::seconds(1);
        state->changed.wait_for(lock, patience, [&] { return state->queue.empty() && !state->busy; });
        state->closed = true;
        // The thread ends now, or is stuck in the store or a collective: it then ends with the process.
        if (!state->changed.wait_for(lock, std::chrono::seconds(1), [&] { return state->finished; })) {
            thread_.detach();
            return;
        }
    }
    thread_.join();
}

void JobLink::reduce(wire::Snapshot snapshot)
{
    std::lock_guard lock(state_->mutex);
    if (state_->fell_back && state_->settings.place.rank != 0)
        return;
    if (state_->queue.size() >= kMostQueued) {
        state_->queue.clear();
        state_->fell_back = true;
        state_->fallback = "the reduction fell behind the training";
    }
    state_->queue.push_back(std::move(snapshot));
    state_->changed.notify_all();
}

} // namespace traindx::probe
