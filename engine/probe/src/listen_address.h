// Where the probe listens: TRAINDX_LISTEN, or <discovery directory>/<pid>.sock.
#pragma once

#include <string>

namespace traindx::probe {

// $XDG_RUNTIME_DIR/traindx (if that directory exists), else /tmp/traindx-<uid>. Created 0700 if missing; refused
// (empty result, reason in `error`) if it belongs to someone else or others can enter it.
std::string discovery_directory(std::string* error);

// The path to listen on, or empty with the reason in `error`.
std::string listen_path(const std::string& requested, std::string* error);

} // namespace traindx::probe
