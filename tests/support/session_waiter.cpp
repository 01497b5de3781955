#include "session_waiter.h"

#include <QElapsedTimer>
#include <QTest>

namespace traindx::test {

RunStatePtr waitForState(Session& session, const std::function<bool(const RunState&)>& done, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        const RunStatePtr state = session.state();
        if (state && done(*state))
            return state;
        QTest::qWait(20);
    }
    return nullptr;
}

QString describe(const RunState& state)
{
    return QStringLiteral("state=%1 epoch=%2 batch=%3 step=%4 connected=%5 message='%6'")
        .arg(trainerStateName(state.state))
        .arg(state.epoch)
        .arg(state.batch)
        .arg(state.step)
        .arg(state.connected)
        .arg(state.message);
}

QString builtProgram(const QString& name)
{
    return QStringLiteral(TRAINDX_TEST_BIN_DIR) + QLatin1Char('/') + name;
}

} // namespace traindx::test
