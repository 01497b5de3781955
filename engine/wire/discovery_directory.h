// The discovery directory's rules, one copy for the probe and the client (Qt-free): where
// probes listen, and when that place can be trusted.
#pragma once

#include <string>

namespace traindx::wire {

// $XDG_RUNTIME_DIR/traindx (if that directory exists), else /tmp/traindx-<uid>. Created 0700
// if missing. Refused — empty result, the reason in `error` — when it is not a directory of
// its own (a symlink included) or belongs to another user; a directory of ours that others
// can enter is made private through its descriptor, never through a path that could have
// been swapped. Nothing else is changed.
std::string discovery_directory(std::string* error);

} // namespace traindx::wire
