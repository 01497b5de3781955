// A client written by hand on the probe's Unix socket, for tests that must control every
// byte: connect (retrying while the listener comes up) and the hello a TrainDx client sends.
#pragma once

#include "framing.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace traindx::test {

// A connected socket, or -1.
inline int connectTo(const std::string& path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    for (int attempt = 0; attempt < 100; ++attempt) {
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0)
            return fd;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::close(fd);
    return -1;
}

inline std::string clientHello()
{
    wire::Frame hello;
    hello.mutable_hello()->set_protocol_major(wire::kProtocolMajor);
    hello.mutable_hello()->set_role(wire::Hello::CLIENT);
    return wire::encode_frame(hello);
}

} // namespace traindx::test
