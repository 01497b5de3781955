// Waiting, in tests, for a Session to publish a state that satisfies a condition.
#pragma once

#include "session.h"

#include <functional>

namespace traindx::test {

// Spins the event loop until `done(state)` holds for a published state, or the timeout.
// Returns the state that satisfied it, or null on timeout.
RunStatePtr waitForState(Session& session, const std::function<bool(const RunState&)>& done, int timeoutMs = 60000);

QString describe(const RunState& state);

// The full path of a program built next to the tests.
QString builtProgram(const QString& name);

} // namespace traindx::test
