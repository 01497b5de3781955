// Where the probe listens: TRAINDX_LISTEN, or <discovery directory>/<pid>.sock.
#pragma once

#include <string>

namespace traindx::probe {

// The discovery directory by the rules both sides share (wire::discovery_directory).
std::string discovery_directory(std::string* error);

// The path to listen on, or "tcp://HOST:PORT", or empty with the reason in `error`.
std::string listen_path(const std::string& requested, std::string* error);

bool is_tcp(const std::string& address);

// The token a TCP client must present: TRAINDX_TOKEN (at least 16 characters), or 32 random
// hex digits (`generated` true). Empty with the reason in `error`.
std::string listen_token(bool* generated, std::string* error);

} // namespace traindx::probe
