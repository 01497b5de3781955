// The probe called from several threads at once: a real probe on a real model, listening on
// its own socket, with two threads stepping, ending epochs and tapping. Its calls are
// serialised: nothing crashes and the probe keeps watching.
#include <torch/torch.h>

#include <traindx/probe.h>

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <thread>

class TestProbeThreads : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void twoThreadsStepOneProbe()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        torch::manual_seed(1);
        torch::nn::Sequential model(torch::nn::Linear(8, 16), torch::nn::ReLU(), torch::nn::Linear(16, 2));
        torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.01));
        traindx::Probe probe(model, traindx::ProbeOptions().name("threads").listen(
                                        dir.filePath(QStringLiteral("probe.sock")).toStdString()));
        QVERIFY2(probe.active(), "the probe did not start");
        probe.watch(optimizer);
        probe.describe_data(torch::randn({64, 8}), torch::randint(0, 2, {64}));

        constexpr int kSteps = 400;
        std::atomic<int> finished {0};
        auto train = [&](int thread) {
            for (int i = 0; i < kSteps; ++i) {
                probe.step(1.0 / (i + 1), 0.5);
                probe.tap("hidden" + std::to_string(thread), torch::ones({4, 16}));
                if (i % 100 == 99)
                    probe.end_epoch({{"thread", double(thread)}});
            }
            ++finished;
        };
        std::thread first(train, 0), second(train, 1);
        first.join();
        second.join();
        QCOMPARE(finished.load(), 2);
        QVERIFY2(probe.active(), "the probe gave up under two threads");
    }
};

QTEST_APPLESS_MAIN(TestProbeThreads)
#include "tst_probe_threads.moc"
