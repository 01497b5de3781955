// Waiting, in tests, for a Session to publish a state that satisfies a condition.
#pragma once

#include "session.h"

#include <QProcess>

#include <functional>
#include <memory>

namespace traindx::test {

// Spins the event loop until `done(state)` holds for a published state, or the timeout.
// Returns the state that satisfied it, or null on timeout.
RunStatePtr waitForState(Session& session, const std::function<bool(const RunState&)>& done, int timeoutMs = 60000);

QString describe(const RunState& state);

// The full path of a program built next to the tests.
QString builtProgram(const QString& name);

// Starts `spec` as a plain process (no session), its environment entries added to this
// process's, its output discarded.
std::unique_ptr<QProcess> startPlain(const LaunchSpec& spec, const QStringList& moreEnvironment = {});

} // namespace traindx::test
