// When the probe samples, on a clock the test drives: never twice within 100 ms, never
// beyond its budget share of the loop's time (counting the next sample's likely cost), and
// time held at a breakpoint is neither the loop's nor the probe's.
#include "sample_clock.h"

#include <QTest>

using traindx::probe::SampleClock;
using namespace std::chrono_literals;

class TestSampleClock : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void notTwiceWithinAMinimumInterval()
    {
        const auto t0 = SampleClock::Clock::time_point {} + 1h;
        SampleClock clock(0.01, t0);
        QVERIFY(clock.sample_due(t0 + 10s));
        clock.sampled(t0 + 10s, t0 + 10s + 1us);
        QVERIFY(!clock.sample_due(t0 + 10s + 50ms));
        QVERIFY(clock.sample_due(t0 + 10s + 101ms));
    }

    void withinTheBudgetShareOfTheLoop()
    {
        const auto t0 = SampleClock::Clock::time_point {} + 1h;
        SampleClock clock(0.01, t0);
        clock.add_probe_time(90ms);
        QVERIFY(clock.sample_due(t0 + 10s)); // 0.09 s of 10 s: within 1 %
        clock.add_probe_time(20ms);
        QVERIFY(!clock.sample_due(t0 + 10s)); // 0.11 s: over
        QVERIFY(clock.sample_due(t0 + 12s));
        // A sample that cost 50 ms is expected to cost as much again: 0.11 + 0.1 > 1 % of 20 s.
        clock.sampled(t0 + 12s, t0 + 12s + 50ms);
        QVERIFY(!clock.sample_due(t0 + 20s));
        QVERIFY(clock.sample_due(t0 + 22s));
        QCOMPARE(clock.probe_seconds(), 0.11);
    }

    void heldTimeIsNotLoopTime()
    {
        const auto t0 = SampleClock::Clock::time_point {} + 1h;
        SampleClock clock(0.01, t0);
        clock.add_probe_time(50ms);
        clock.add_held_time(1000s); // a long look at a breakpoint
        QVERIFY(!clock.sample_due(t0 + 1002s)); // the loop ran 2 s: 50 ms is 2.5 %
        QCOMPARE(clock.loop_seconds(t0 + 1002s), 2.0);
        QVERIFY(clock.sample_due(t0 + 1006s));
    }

    void pointsGoOutEveryMinimumInterval()
    {
        const auto t0 = SampleClock::Clock::time_point {} + 1h;
        SampleClock clock(0.01, t0);
        QVERIFY(!clock.flush_due(t0 + 99ms));
        QVERIFY(clock.flush_due(t0 + 100ms));
        clock.flushed(t0 + 150ms);
        QVERIFY(!clock.flush_due(t0 + 200ms));
        clock.restart(t0 + 1s);
        QVERIFY(!clock.flush_due(t0 + 1050ms));
        QCOMPARE(clock.loop_seconds(t0 + 3s), 2.0);
    }
};

QTEST_APPLESS_MAIN(TestSampleClock)
#include "tst_sample_clock.moc"
