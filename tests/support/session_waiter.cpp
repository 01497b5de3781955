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

std::unique_ptr<QProcess> startPlain(const LaunchSpec& spec, const QStringList& moreEnvironment)
{
    auto process = std::make_unique<QProcess>();
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const QString& entry : spec.environment + moreEnvironment)
        environment.insert(entry.section(QLatin1Char('='), 0, 0), entry.section(QLatin1Char('='), 1));
    process->setProcessEnvironment(environment);
    process->setStandardOutputFile(QProcess::nullDevice());
    process->start(spec.program, spec.arguments);
    return process;
}

} // namespace traindx::test
