// The probe's side of the connection: a Unix-socket listener and its own I/O thread.
// The training thread only queues frames; when a client is slow the queue drops the
// oldest snapshot (and counts it) instead of blocking the loop. No torch here.
#pragma once

#include "framing.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace traindx::probe {

class Server {
public:
    struct Handlers {
        std::function<void(const wire::Control&)> control;
        std::function<void()> client_gone;
    };
    struct Limits {
        std::size_t queue_frames = 64;       // frames waiting for the I/O thread
        std::size_t history_frames = 512;    // snapshots replayed to a client that attaches late
        std::size_t history_bytes = 64u << 20;
        std::size_t point_frames = 8192;     // frames of loss points replayed likewise
        std::size_t client_buffer_bytes = 1u << 20;
        std::chrono::milliseconds handshake_timeout{900};
        std::size_t candidates = 16;         // connections waiting to greet; the oldest gives way
    };
    enum class State { Model, Data };
    // What a client that attaches late gets of a frame: nothing, its loss points only
    // (kept longer, they are small), or the whole snapshot.
    enum class Keep { Nothing, Points, Snapshot };

    Server(Handlers handlers, Limits limits);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // A Unix socket path, or "tcp://HOST:PORT" (port 0: any free one; path() says which).
    bool listen(const std::string& address, std::string* error);
    // A client must present this token in its hello (set before listen(); empty: none).
    void set_token(std::string token) { token_ = std::move(token); }
    // Sends what is queued (the last frames, say FINISHED) for at most `flush`, then stops.
    void stop(std::chrono::milliseconds flush);

    void set_hello(const wire::Hello& hello);
    void set_progress(int epoch, long long step);
    // Model and data description: kept, sent to every client right after the handshake.
    void set_state(State slot, const wire::Frame& frame);
    void send(wire::Frame frame, Keep keep);

    bool wait_for_client(std::chrono::milliseconds timeout);
    bool has_client() const { return client_ready_.load(); }
    long long dropped() const { return dropped_.load(); }
    const std::string& path() const { return path_; }

private:
    struct Peer;
    struct Outgoing {
        std::unique_ptr<wire::Frame> frame;
        Keep keep = Keep::Nothing;
    };

    // In time that does not depend on where the presented token differs.
    bool token_matches(const std::string& presented) const;
    bool listen_unix(const std::string& path, std::string* error);
    bool listen_tcp(const std::string& host_port, std::string* error);
    bool start_thread(std::string* error);
    void run();
    void drop_oldest_sample(); // with mutex_ held
    void accept_peers();
    // Connections that have not greeted yet: the first valid hello becomes the client.
    void serve_candidates(const std::vector<short>& events);
    // Reads what `peer` sent into whole frames; false when it is to be closed (`why` says
    // why when it is an error, empty when the peer hung up).
    bool read_frames(Peer& peer, std::vector<wire::Frame>& frames, std::string* why);
    void read_client();
    void become_client();
    bool write_peer(Peer& peer);
    // An ERROR event with `reason`, sent before the connection closes.
    void tell_error(Peer& peer, const std::string& reason);
    void close_client(const std::string& reason);
    void on_frame(const wire::Frame& frame);
    void drain_queue();
    wire::Frame hello_frame(bool busy) const;
    void wake();

    Handlers handlers_;
    Limits limits_;
    std::string path_;
    bool tcp_ = false;
    std::string token_;
    int listen_fd_ = -1;
    int wake_pipe_[2] = {-1, -1};
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::chrono::steady_clock::time_point flush_deadline_;

    mutable std::mutex mutex_; // guards everything below that the training thread touches
    std::condition_variable client_ready_changed_;
    std::deque<Outgoing> queue_;
    wire::Hello hello_;
    std::string model_frame_;
    std::string data_frame_;

    std::atomic<bool> client_ready_{false};
    std::atomic<long long> dropped_{0};

    // I/O thread only
    std::unique_ptr<Peer> client_; // greeted: the one client
    std::vector<std::unique_ptr<Peer>> candidates_;
    std::deque<std::unique_ptr<Peer>> bystanders_; // told "busy" and closed
    struct History {
        std::deque<std::shared_ptr<const std::string>> frames;
        std::size_t bytes = 0;
        void add(std::shared_ptr<const std::string> frame, std::size_t max_frames, std::size_t max_bytes);
    };
    History points_history_;
    History snapshot_history_;
};

} // namespace traindx::probe
