#include "server.h"

#include <algorithm>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace traindx::probe {

struct Server::Peer {
    int fd = -1;
    wire::FrameReader reader;
    std::string out;
    std::size_t out_offset = 0;
    bool ready = false; // handshake done
    bool closing = false; // close once `out` is written
    std::chrono::steady_clock::time_point deadline;

    ~Peer()
    {
        if (fd >= 0)
            ::close(fd);
    }
    std::size_t pending() const { return out.size() - out_offset; }
};

namespace {

void warn(const std::string& text)
{
    std::fprintf(stderr, "traindx: %s\n", text.c_str());
}

bool still_listening(const std::string& path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    const bool alive = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    return alive;
}

} // namespace

Server::Server(Handlers handlers, Limits limits)
    : handlers_(std::move(handlers))
    , limits_(limits)
{
}

Server::~Server()
{
    stop(std::chrono::milliseconds(0));
}

bool Server::listen(const std::string& address, std::string* error)
{
    constexpr const char* scheme = "tcp://";
    if (address.compare(0, std::strlen(scheme), scheme) == 0)
        return listen_tcp(address.substr(std::strlen(scheme)), error);
    return listen_unix(address, error);
}

bool Server::listen_unix(const std::string& path, std::string* error)
{
    sockaddr_un address {};
    if (path.size() >= sizeof(address.sun_path)) {
        *error = "socket path too long (" + std::to_string(path.size()) + " bytes): " + path;
        return false;
    }
    struct stat existing {};
    if (::lstat(path.c_str(), &existing) == 0) {
        if (!S_ISSOCK(existing.st_mode)) {
            *error = path + " exists and is not a socket";
            return false;
        }
        if (still_listening(path)) {
            *error = "another process is already listening on " + path;
            return false;
        }
        ::unlink(path.c_str()); // stale: its process is gone
    }

    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) {
        *error = std::string("cannot create a socket: ") + std::strerror(errno);
        return false;
    }
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    const mode_t old_mask = ::umask(077); // the socket is private to this user from the start
    const int bound = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::umask(old_mask);
    if (bound != 0 || ::listen(listen_fd_, 64) != 0) {
        *error = "cannot listen on " + path + ": " + std::strerror(errno);
        ::close(listen_fd_);
        listen_fd_ = -1;
        return false;
    }
    path_ = path;
    if (!start_thread(error)) {
        ::unlink(path.c_str());
        return false;
    }
    return true;
}

bool Server::listen_tcp(const std::string& host_port, std::string* error)
{
    const auto colon = host_port.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == host_port.size()) {
        *error = "not a tcp://HOST:PORT address: tcp://" + host_port;
        return false;
    }
    const std::string host = host_port.substr(0, colon);
    const std::string port = host_port.substr(colon + 1);
    if (token_.empty()) {
        *error = "a TCP listener needs a token";
        return false;
    }
    addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (const int failed = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); failed != 0) {
        *error = "cannot listen on tcp://" + host_port + ": " + ::gai_strerror(failed);
        return false;
    }
    std::string why = "no address";
    for (addrinfo* a = found; a && listen_fd_ < 0; a = a->ai_next) {
        listen_fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (listen_fd_ < 0)
            continue;
        const int yes = 1;
        ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        if (::bind(listen_fd_, a->ai_addr, a->ai_addrlen) == 0 && ::listen(listen_fd_, 64) == 0)
            break;
        why = std::strerror(errno);
        ::close(listen_fd_);
        listen_fd_ = -1;
    }
    ::freeaddrinfo(found);
    if (listen_fd_ < 0) {
        *error = "cannot listen on tcp://" + host_port + ": " + why;
        return false;
    }
    sockaddr_storage bound {};
    socklen_t length = sizeof bound;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
    const int actual = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                         : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    path_ = "tcp://" + host + ":" + std::to_string(actual);
    tcp_ = true;
    return start_thread(error);
}

bool Server::token_matches(const std::string& presented) const
{
    if (token_.empty())
        return true;
    unsigned char difference = presented.size() == token_.size() ? 0 : 1;
    for (std::size_t i = 0; i < token_.size(); ++i)
        difference |= static_cast<unsigned char>(token_[i] ^ (i < presented.size() ? presented[i] : 0));
    return difference == 0;
}

bool Server::start_thread(std::string* error)
{
    if (::pipe2(wake_pipe_, O_NONBLOCK | O_CLOEXEC) != 0) {
        *error = std::string("cannot create a pipe: ") + std::strerror(errno);
        ::close(listen_fd_);
        listen_fd_ = -1;
        return false;
    }
    thread_ = std::thread([this] { run(); });
    return true;
}

void Server::stop(std::chrono::milliseconds flush)
{
    if (!thread_.joinable())
        return;
    flush_deadline_ = std::chrono::steady_clock::now() + flush;
    stopping_ = true;
    wake();
    thread_.join();
    client_.reset();
    candidates_.clear();
    bystanders_.clear();
    ::close(listen_fd_);
    ::close(wake_pipe_[0]);
    ::close(wake_pipe_[1]);
    listen_fd_ = wake_pipe_[0] = wake_pipe_[1] = -1;
    if (!tcp_)
        ::unlink(path_.c_str());
    client_ready_ = false;
}

void Server::set_hello(const wire::Hello& hello)
{
    std::lock_guard lock(mutex_);
    hello_ = hello;
}

void Server::set_progress(int epoch, long long step)
{
    std::lock_guard lock(mutex_);
    hello_.set_epoch(epoch);
    hello_.set_step(step);
}

void Server::set_state(State slot, const wire::Frame& frame)
{
    {
        std::lock_guard lock(mutex_);
        (slot == State::Model ? model_frame_ : data_frame_) = wire::encode_frame(frame);
        if (client_ready_)
            queue_.push_back({std::make_unique<wire::Frame>(frame), Keep::Nothing});
    }
    wake();
}

void Server::send(wire::Frame frame, Keep keep)
{
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= limits_.queue_frames)
            drop_oldest_sample();
        queue_.push_back({std::make_unique<wire::Frame>(std::move(frame)), keep});
    }
    wake();
}

void Server::drop_oldest_sample()
{
    // Events and state frames are few and must arrive; so must every loss point and the
    // epoch ends. A sampled snapshot's layer statistics go first: its points move to the
    // next snapshot in the queue.
    auto is_sample = [](const Outgoing& item) {
        return item.frame->has_snapshot() && item.frame->snapshot().kind() == wire::Snapshot::BATCH;
    };
    auto victim = std::find_if(queue_.begin(), queue_.end(), is_sample);
    if (victim == queue_.end())
        victim = std::find_if(queue_.begin(), queue_.end(), [](const Outgoing& item) { return item.frame->has_snapshot(); });
    if (victim == queue_.end())
        return;
    auto next = std::find_if(std::next(victim), queue_.end(), [](const Outgoing& item) { return item.frame->has_snapshot(); });
    if (next != queue_.end()) {
        auto* later = next->frame->mutable_snapshot();
        google::protobuf::RepeatedPtrField<wire::BatchPoint> points = std::move(*victim->frame->mutable_snapshot()->mutable_points());
        for (auto& point : *later->mutable_points())
            *points.Add() = std::move(point);
        later->mutable_points()->Swap(&points);
    }
    queue_.erase(victim);
    ++dropped_;
}

bool Server::wait_for_client(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    return client_ready_changed_.wait_for(lock, timeout, [this] { return client_ready_.load(); });
}

void Server::wake()
{
    if (wake_pipe_[1] >= 0) {
        const char byte = 1;
        [[maybe_unused]] auto written = ::write(wake_pipe_[1], &byte, 1); // a full pipe is already a wake-up
    }
}

wire::Frame Server::hello_frame(bool busy) const
{
    wire::Frame frame;
    {
        std::lock_guard lock(mutex_);
        *frame.mutable_hello() = hello_;
    }
    frame.mutable_hello()->set_busy(busy);
    if (tcp_ && busy) {
        // A stranger on the network learns that a probe is here and busy, nothing of the program.
        wire::Hello anonymous;
        anonymous.set_protocol_major(frame.hello().protocol_major());
        anonymous.set_protocol_minor(frame.hello().protocol_minor());
        anonymous.set_role(frame.hello().role());
        anonymous.set_busy(true);
        *frame.mutable_hello() = anonymous;
    }
    return frame;
}

void Server::run()
{
    std::vector<pollfd> fds;
    for (;;) {
        drain_queue();
        if (stopping_) {
            const bool flushed = !client_ || client_->pending() == 0;
            if (flushed || std::chrono::steady_clock::now() >= flush_deadline_)
                break;
        }

        fds.clear();
        fds.push_back({wake_pipe_[0], POLLIN, 0});
        fds.push_back({listen_fd_, POLLIN, 0});
        if (client_)
            fds.push_back({client_->fd, static_cast<short>(POLLIN | (client_->pending() ? POLLOUT : 0)), 0});
        for (auto& candidate : candidates_)
            fds.push_back({candidate->fd, static_cast<short>(POLLIN | (candidate->pending() ? POLLOUT : 0)), 0});
        for (auto& bystander : bystanders_)
            fds.push_back({bystander->fd, POLLOUT, 0});

        if (::poll(fds.data(), fds.size(), stopping_ ? 20 : 100) < 0 && errno != EINTR) {
            warn(std::string("poll failed: ") + std::strerror(errno));
            break;
        }
        if (fds[0].revents & POLLIN) {
            char sink[256];
            while (::read(wake_pipe_[0], sink, sizeof(sink)) > 0) {
            }
        }
        std::size_t next = 2;
        if (client_) {
            const short revents = fds[next++].revents;
            if (revents & (POLLIN | POLLHUP | POLLERR))
                read_client();
            if (client_ && (revents & POLLOUT) && !write_peer(*client_))
                close_client("");
            if (client_ && client_->closing && client_->pending() == 0)
                close_client("");
        }
        // The candidates polled this round, in order; those accepted below wait for the next.
        std::vector<short> candidate_events(candidates_.size());
        for (std::size_t i = 0; i < candidate_events.size(); ++i)
            candidate_events[i] = fds[next + i].revents;
        serve_candidates(candidate_events);
        if (fds[1].revents & POLLIN)
            accept_peers();
        for (auto it = bystanders_.begin(); it != bystanders_.end();) {
            const bool done = !write_peer(**it) || (*it)->pending() == 0
                || std::chrono::steady_clock::now() > (*it)->deadline;
            it = done ? bystanders_.erase(it) : it + 1;
        }
    }
}

void Server::accept_peers()
{
    for (;;) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        auto peer = std::make_unique<Peer>();
        peer->fd = fd;
        peer->deadline = std::chrono::steady_clock::now() + limits_.handshake_timeout;
        const bool busy = client_ != nullptr;
        // Over TCP the program's hello waits for the client's token.
        if (!tcp_ || busy)
            wire::append_frame(peer->out, hello_frame(busy));
        if (busy) {
            bystanders_.push_back(std::move(peer));
            continue;
        }
        // Whoever greets first becomes the client; a crowd of silent connections cannot
        // hold the slot: the oldest gives way to the newest.
        if (candidates_.size() >= limits_.candidates)
            candidates_.erase(candidates_.begin());
        write_peer(*peer);
        candidates_.push_back(std::move(peer));
    }
}

void Server::serve_candidates(const std::vector<short>& events)
{
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<Peer>> kept;
    for (std::size_t i = 0; i < candidates_.size(); ++i) {
        auto& peer = candidates_[i];
        const short revents = i < events.size() ? events[i] : 0;
        std::string why;
        std::vector<wire::Frame> frames;
        bool open = true;
        if (revents & (POLLIN | POLLHUP | POLLERR))
            open = read_frames(*peer, frames, &why);
        if (open && (revents & POLLOUT))
            open = write_peer(*peer);
        if (!frames.empty()) {
            const wire::Frame& first = frames.front();
            if (!first.has_hello())
                why = "the client's first frame was not a hello";
            else if (wire::is_compatible(first.hello(), &why) && !token_matches(first.hello().token()))
                why = "the client did not present this probe's token";
            else if (why.empty() && client_)
                why = "another TrainDx client attached first";
            if (why.empty()) {
                if (tcp_)
                    wire::append_frame(peer->out, hello_frame(false));
                client_ = std::move(peer);
                become_client();
                for (std::size_t f = 1; f < frames.size() && client_; ++f)
                    on_frame(frames[f]);
                continue;
            }
            open = false;
        } else if (open && now > peer->deadline) {
            why = "the client did not greet within the handshake timeout";
            open = false;
        }
        if (open) {
            kept.push_back(std::move(peer));
            continue;
        }
        if (!why.empty()) {
            warn("refused a connection: " + why);
            tell_error(*peer, why);
        }
    }
    candidates_.swap(kept);
}

bool Server::read_frames(Peer& peer, std::vector<wire::Frame>& frames, std::string* why)
{
    char buffer[16384];
    bool open = true;
    for (;;) {
        const ssize_t got = ::recv(peer.fd, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (got == 0) {
            open = false;
            break;
        }
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            open = false;
            break;
        }
        peer.reader.feed(buffer, static_cast<std::size_t>(got));
    }
    for (;;) {
        wire::Frame frame;
        const auto status = peer.reader.next(frame);
        if (status == wire::FrameReader::Status::NeedMore)
            break;
        if (status == wire::FrameReader::Status::Error) {
            *why = peer.reader.error();
            return false;
        }
        frames.push_back(std::move(frame));
    }
    return open;
}

void Server::read_client()
{
    std::vector<wire::Frame> frames;
    std::string why;
    const bool open = read_frames(*client_, frames, &why);
    for (const auto& frame : frames) {
        on_frame(frame);
        if (!client_ || client_->closing)
            return;
    }
    if (!open)
        close_client(why);
}

void Server::become_client()
{
    client_->ready = true;
    {
        // Under the lock, so a model sent meanwhile is either in these copies or queued.
        std::lock_guard lock(mutex_);
        client_->out += model_frame_;
        client_->out += data_frame_;
        // Loss points first: the client orders points by step, snapshots arrive in order.
        for (const auto& points : points_history_.frames)
            client_->out += *points;
        for (const auto& snapshot : snapshot_history_.frames)
            client_->out += *snapshot;
        client_ready_ = true;
    }
    client_ready_changed_.notify_all();
}

void Server::on_frame(const wire::Frame& frame)
{
    if (frame.has_control() && handlers_.control)
        handlers_.control(frame.control());
}

bool Server::write_peer(Peer& peer)
{
    while (peer.pending() > 0) {
        const ssize_t sent
            = ::send(peer.fd, peer.out.data() + peer.out_offset, peer.pending(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            return false;
        }
        peer.out_offset += static_cast<std::size_t>(sent);
    }
    if (peer.out_offset > 0 && peer.out_offset == peer.out.size()) {
        peer.out.clear();
        peer.out_offset = 0;
    }
    return true;
}

void Server::tell_error(Peer& peer, const std::string& reason)
{
    wire::Frame frame;
    frame.mutable_event()->set_kind(wire::Event::ERROR);
    frame.mutable_event()->set_text(reason);
    wire::append_frame(peer.out, frame);
    write_peer(peer); // best effort: the peer may be gone or not reading
}

void Server::close_client(const std::string& reason)
{
    if (!reason.empty()) {
        warn("closing the connection to TrainDx: " + reason);
        tell_error(*client_, reason);
    }
    const bool was_ready = client_->ready;
    client_.reset();
    {
        std::lock_guard lock(mutex_);
        client_ready_ = false;
    }
    client_ready_changed_.notify_all();
    if (was_ready && handlers_.client_gone)
        handlers_.client_gone();
}

void Server::drain_queue()
{
    std::deque<Outgoing> batch;
    {
        std::lock_guard lock(mutex_);
        const bool client_backed_up = client_ && client_->pending() >= limits_.client_buffer_bytes;
        if (client_backed_up && !stopping_)
            return; // frames wait in the bounded queue, where the oldest snapshot gives way
        batch.swap(queue_);
    }
    for (auto& item : batch) {
        auto bytes = std::make_shared<const std::string>(wire::encode_frame(*item.frame));
        if (item.keep == Keep::Points)
            points_history_.add(bytes, limits_.point_frames, limits_.history_bytes);
        else if (item.keep == Keep::Snapshot)
            snapshot_history_.add(bytes, limits_.history_frames, limits_.history_bytes);
        if (client_ && client_->ready)
            client_->out += *bytes;
    }
}

void Server::History::add(std::shared_ptr<const std::string> frame, std::size_t max_frames, std::size_t max_bytes)
{
    bytes += frame->size();
    frames.push_back(std::move(frame));
    while (frames.size() > max_frames || bytes > max_bytes) {
        bytes -= frames.front()->size();
        frames.pop_front();
    }
}

} // namespace traindx::probe
