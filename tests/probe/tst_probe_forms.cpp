// The forms training programs take. Any module form a program holds: a plain struct by value,
// a ModuleHolder (TORCH_MODULE or a built-in like Sequential), a shared_ptr — each probe sees
// the same layers and parameters and trains through them without the program changing how it
// holds them. Activations written as functions inside forward() and handed to tap(). A loop
// without epochs.
#include <torch/torch.h>

#include <traindx/probe.h>

#include "framing.h"
#include "raw_client.h"
#include "snapshot_parts.h"

#include <QFile>
#include <QMap>
#include <QTemporaryDir>
#include <QTest>

#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <vector>

namespace {

struct PlainNet : torch::nn::Module {
    PlainNet()
        : fc1(register_module("fc1", torch::nn::Linear(6, 12)))
        , fc2(register_module("fc2", torch::nn::Linear(12, 3)))
    {
    }
    torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::relu(fc1(x))); }
    torch::nn::Linear fc1, fc2;
};
TORCH_MODULE_IMPL(HeldNet, PlainNet);

// The way most C++ models are written: modules for the weights, functions for the rest.
struct FunctionalNet : torch::nn::Module {
    FunctionalNet()
        : fc1(register_module("fc1", torch::nn::Linear(8, 32)))
        , fc2(register_module("fc2", torch::nn::Linear(32, 16)))
        , fc3(register_module("fc3", torch::nn::Linear(16, 4)))
    {
        torch::NoGradGuard no_grad;
        fc1->bias.slice(0, 0, 8).fill_(-100.0); // 8 of fc1's 32 ReLU units can never fire
    }
    torch::Tensor forward(torch::Tensor x, traindx::Probe& probe)
    {
        x = torch::relu(fc1(x));
        probe.tap("fc1", x); // no kind given: the values say ReLU
        x = torch::sigmoid(fc2(x));
        probe.tap("fc2", x, traindx::Activation::Sigmoid);
        x = fc3(x);
        probe.tap("fc3", x); // the Linear's own output: nothing to infer
        x = torch::log_softmax(x, 1);
        probe.tap("log_probabilities", x); // a name of no module: placed by its autograd graph
        return x;
    }
    torch::nn::Linear fc1, fc2, fc3;
};

// What a client receives right after its hello: the model, then the history, until the
// probe has nothing more to say for a second.
std::vector<traindx::wire::Frame> greeting(const std::string& path)
{
    std::vector<traindx::wire::Frame> frames;
    const int fd = traindx::test::connectTo(path);
    if (fd < 0)
        return frames;
    const std::string hello = traindx::test::clientHello();
    ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
    timeval limit {1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    traindx::wire::FrameReader reader;
    traindx::wire::Frame frame;
    char buffer[65536];
    for (ssize_t got; (got = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
        reader.feed(buffer, std::size_t(got));
        while (reader.next(frame) == traindx::wire::FrameReader::Status::Frame)
            frames.push_back(frame);
    }
    ::close(fd);
    return frames;
}

traindx::wire::Model modelOf(const std::string& path)
{
    for (const auto& frame : greeting(path))
        if (frame.has_model())
            return frame.model();
    return {};
}

// Trains a few steps under `probe` and returns the model's layer paths and parameter count.
template <typename Module>
QStringList watchedLayers(Module& model, const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                          std::vector<torch::Tensor> parameters, const QString& socket)
{
    traindx::Probe probe(model, traindx::ProbeOptions().name("forms").listen(socket.toStdString()));
    if (!probe.active())
        return {QStringLiteral("the probe did not start")};
    torch::optim::SGD optimizer(parameters, torch::optim::SGDOptions(0.05));
    probe.watch(optimizer);
    for (int i = 0; i < 20; ++i) {
        optimizer.zero_grad();
        const torch::Tensor loss = forward(torch::randn({16, 6})).pow(2).mean();
        loss.backward();
        optimizer.step();
        probe.step(loss);
    }
    probe.end_epoch();
    QStringList layers;
    const auto description = modelOf(socket.toStdString());
    for (const auto& layer : description.layers())
        layers.append(QString::fromStdString(layer.path() + ":" + layer.type()));
    layers.append(QString::number(description.parameter_count()));
    return layers;
}

} // namespace

class TestProbeForms : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyModuleFormIsWatchedAlike()
    {
        QTemporaryDir dir;
        torch::manual_seed(4);
        const QStringList expected {QStringLiteral(":PlainNet"), QStringLiteral("fc1:Linear"), QStringLiteral("fc2:Linear"),
                                    QString::number(6 * 12 + 12 + 12 * 3 + 3)};

        PlainNet plain; // `Net model;`, as many programs declare it
        QCOMPARE(watchedLayers(plain, [&](const torch::Tensor& x) { return plain.forward(x); }, plain.parameters(),
                               dir.filePath(QStringLiteral("plain.sock"))),
                 expected);

        HeldNet held;
        QCOMPARE(watchedLayers(held, [&](const torch::Tensor& x) { return held->forward(x); }, held->parameters(),
                               dir.filePath(QStringLiteral("held.sock"))),
                 expected);

        auto shared = std::make_shared<PlainNet>();
        QCOMPARE(watchedLayers(shared, [&](const torch::Tensor& x) { return shared->forward(x); }, shared->parameters(),
                               dir.filePath(QStringLiteral("shared.sock"))),
                 expected);
    }

    void aLoopWithoutEpochsGetsThemFromTheProbe()
    {
        QTemporaryDir dir;
        const std::string socket = dir.filePath(QStringLiteral("window.sock")).toStdString();
        auto model = std::make_shared<PlainNet>();
        traindx::Probe probe(model, traindx::ProbeOptions().steps_per_epoch(50).listen(socket));
        QVERIFY(probe.active());
        torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05));
        probe.watch(optimizer);
        for (int i = 0; i < 120; ++i) { // train until good enough: no epochs in sight
            optimizer.zero_grad();
            const torch::Tensor loss = model->forward(torch::randn({16, 6})).pow(2).mean();
            loss.backward();
            optimizer.step();
            probe.step(loss);
        }
        QVector<long long> ends;
        for (const auto& frame : greeting(socket))
            if (frame.has_snapshot() && frame.snapshot().kind() == traindx::wire::Snapshot::EPOCH_END) {
                QVERIFY(frame.snapshot().metrics().count("train_loss"));
                ends.append(frame.snapshot().step());
            }
        QCOMPARE(ends, (QVector<long long> {50, 100}));
    }

    void aLoopThatEndsNoEpochGetsWindowsOfItsOwn()
    {
        QTemporaryDir dir;
        const std::string socket = dir.filePath(QStringLiteral("windows.sock")).toStdString();
        auto model = std::make_shared<PlainNet>();
        traindx::Probe probe(model, traindx::ProbeOptions().listen(socket)); // no steps_per_epoch, no end_epoch()
        QVERIFY(probe.active());
        torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05));
        probe.watch(optimizer);
        for (int i = 0; i < 12000; ++i) {
            optimizer.zero_grad();
            const torch::Tensor loss = model->forward(torch::randn({4, 6})).pow(2).mean();
            loss.backward();
            optimizer.step();
            probe.step(loss);
        }
        QVector<long long> ends;
        for (const auto& frame : greeting(socket))
            if (frame.has_snapshot() && frame.snapshot().kind() == traindx::wire::Snapshot::EPOCH_END) {
                QCOMPARE(frame.snapshot().window_steps(), 5000);
                ends.append(frame.snapshot().step());
            }
        QCOMPARE(ends, (QVector<long long> {5000, 10000}));
    }

    void aModelTooLargeForOneFrameArrivesWhole()
    {
        // 1100 ReLU layers of 4096 units: each epoch end's unit activity alone is 18 MB,
        // more than a frame may hold.
        QTemporaryDir dir;
        const std::string socket = dir.filePath(QStringLiteral("large.sock")).toStdString();
        torch::nn::Sequential model(torch::nn::Linear(8, 4096));
        for (int i = 0; i < 1100; ++i)
            model->push_back(torch::nn::ReLU());
        traindx::Probe probe(model, traindx::ProbeOptions().listen(socket).probe_batch_size(4));
        QVERIFY(probe.active());
        probe.describe_data(torch::randn({4, 8}), torch::zeros({4}));
        probe.step(1.0);
        probe.end_epoch();

        const int fd = traindx::test::connectTo(socket);
        QVERIFY(fd >= 0);
        const std::string hello = traindx::test::clientHello();
        ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
        timeval limit {2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
        traindx::wire::FrameReader reader; // refuses any frame over the limit, as every client does
        traindx::wire::SnapshotAssembler assembler;
        traindx::wire::Frame frame;
        std::optional<traindx::wire::Snapshot> epochEnd;
        int parts = 0;
        char buffer[65536];
        for (ssize_t got; !epochEnd && (got = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
            reader.feed(buffer, std::size_t(got));
            for (auto status = reader.next(frame); status != traindx::wire::FrameReader::Status::NeedMore;
                 status = reader.next(frame)) {
                QVERIFY2(status == traindx::wire::FrameReader::Status::Frame, "a frame was refused");
                if (!frame.has_snapshot() || frame.snapshot().kind() != traindx::wire::Snapshot::EPOCH_END)
                    continue;
                ++parts;
                if (auto whole = assembler.add(frame.snapshot()))
                    epochEnd = std::move(whole);
            }
        }
        ::close(fd);
        QVERIFY(epochEnd);
        QVERIFY(parts >= 5);
        int dead = 0;
        for (const auto& layer : epochEnd->layers())
            dead += layer.unit_active_size() == 4096;
        QCOMPARE(dead, 1100);
    }

    void twoModelsAndNamedLossesInOneProbe()
    {
        QTemporaryDir dir;
        const std::string socket = dir.filePath(QStringLiteral("gan.sock")).toStdString();
        PlainNet generator, discriminator;
        traindx::Probe probe(generator, traindx::ProbeOptions().name("generator").listen(socket)
                                            .objective("d_loss", traindx::Objective::Adversarial)
                                            .output(traindx::Activation::Tanh));
        QVERIFY(probe.active());
        probe.add_model("discriminator", discriminator);
        torch::optim::SGD g_optimizer(generator.parameters(), torch::optim::SGDOptions(0.01));
        torch::optim::SGD d_optimizer(discriminator.parameters(), torch::optim::SGDOptions(0.01));
        probe.watch(g_optimizer);
        probe.watch(d_optimizer, "critic");
        probe.watch(d_optimizer); // once is enough
        for (int i = 0; i < 3; ++i) {
            g_optimizer.zero_grad();
            d_optimizer.zero_grad();
            const torch::Tensor d_loss = discriminator.forward(torch::randn({8, 6})).pow(2).mean();
            const torch::Tensor g_loss = generator.forward(torch::randn({8, 6})).pow(2).mean() + 100;
            (d_loss + g_loss).backward();
            g_optimizer.step();
            d_optimizer.step();
            probe.step({{"d_loss", d_loss}, {"g_loss", g_loss}});
        }
        probe.add_model("late", discriminator); // after the first step: said and ignored
        probe.end_epoch();

        traindx::wire::Model description;
        QVector<double> losses;
        for (const auto& frame : greeting(socket)) {
            if (frame.has_model())
                description = frame.model();
            if (frame.has_snapshot())
                for (const auto& point : frame.snapshot().points())
                    losses.append(point.loss());
        }
        QStringList paths;
        for (const auto& layer : description.layers())
            paths.append(QString::fromStdString(layer.path()));
        QCOMPARE(paths, (QStringList {QString(), QStringLiteral("fc1"), QStringLiteral("fc2"), QStringLiteral("discriminator"),
                                      QStringLiteral("discriminator.fc1"), QStringLiteral("discriminator.fc2")}));
        QCOMPARE(description.parameter_count(), 2 * (6 * 12 + 12 + 12 * 3 + 3));
        // The curves follow the minimised loss (g_loss, every value above 100), not d_loss.
        QCOMPARE(losses.size(), 3);
        for (double loss : losses)
            QVERIFY(loss > 100);
        QVERIFY(!description.loss_adversarial());
        // Each optimizer, named after its model or as the program said, and which updates what.
        QCOMPARE(description.optimizers_size(), 2);
        QCOMPARE(description.optimizers(0).name(), std::string("generator"));
        QCOMPARE(description.optimizers(1).name(), std::string("critic"));
        QCOMPARE(description.optimizers(1).learning_rate(), 0.01);
        QCOMPARE(description.layers(1).optimizer(), 1);
        QCOMPARE(description.layers(4).optimizer(), 2);
        QCOMPARE(description.layers(0).optimizer(), 0); // no parameters of its own
        QCOMPARE(description.output_activation(), std::string("Tanh"));
        QCOMPARE(description.output_function(), std::string("torch::tanh"));
    }

    void aSecondProbeInTheProcessSaysItIsOff()
    {
        QTemporaryDir dir;
        const std::string first = dir.filePath(QStringLiteral("first.sock")).toStdString();
        PlainNet generator, discriminator;
        {
            traindx::Probe probe(generator, traindx::ProbeOptions().name("generator").listen(first));
            QVERIFY(probe.active());
            traindx::Probe second(discriminator, traindx::ProbeOptions().name("discriminator")
                                                     .listen(dir.filePath(QStringLiteral("second.sock")).toStdString()));
            QVERIFY(!second.active());
            second.step(1.0); // an inactive probe is a no-op, never a crash
            QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("second.sock"))));
        }
        // The first probe's client was told, in words naming both models. Events are not
        // kept for late clients, so this one listens from the start.
        const std::string socket = dir.filePath(QStringLiteral("told.sock")).toStdString();
        traindx::Probe probe(generator, traindx::ProbeOptions().name("generator").listen(socket));
        QVERIFY(probe.active());
        const int fd = traindx::test::connectTo(socket);
        QVERIFY(fd >= 0);
        const std::string hello = traindx::test::clientHello();
        ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
        QTest::qWait(300);
        traindx::Probe second(discriminator, traindx::ProbeOptions().name("discriminator"));
        QVERIFY(!second.active());
        timeval limit {1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
        traindx::wire::FrameReader reader;
        traindx::wire::Frame frame;
        QString told;
        char buffer[65536];
        for (ssize_t got; told.isEmpty() && (got = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
            reader.feed(buffer, std::size_t(got));
            while (reader.next(frame) == traindx::wire::FrameReader::Status::Frame)
                if (frame.has_event() && frame.event().kind() == traindx::wire::Event::ERROR)
                    told = QString::fromStdString(frame.event().text());
        }
        ::close(fd);
        QVERIFY2(told.contains(QLatin1String("second traindx::Probe (model 'discriminator')")), qPrintable(told));
        QVERIFY(told.contains(QLatin1String("the first one (model 'generator')")));
    }

    void functionalActivationsAreLayersOfTheirOwn()
    {
        QTemporaryDir dir;
        const std::string socket = dir.filePath(QStringLiteral("taps.sock")).toStdString();
        torch::manual_seed(7);
        FunctionalNet model;
        traindx::Probe probe(model, traindx::ProbeOptions().listen(socket));
        QVERIFY(probe.active());
        torch::optim::SGD optimizer(model.parameters(), torch::optim::SGDOptions(0.01));
        probe.watch(optimizer);
        for (int i = 0; i < 5; ++i) {
            optimizer.zero_grad();
            const torch::Tensor loss = torch::nll_loss(model.forward(torch::randn({64, 8}), probe),
                                                       torch::randint(0, 4, {64}));
            loss.backward();
            optimizer.step();
            probe.step(loss);
        }
        probe.end_epoch();

        traindx::wire::Model description;
        traindx::wire::Snapshot epochEnd;
        for (const auto& frame : greeting(socket)) {
            if (frame.has_model())
                description = frame.model();
            if (frame.has_snapshot() && frame.snapshot().kind() == traindx::wire::Snapshot::EPOCH_END)
                epochEnd = frame.snapshot();
        }
        QMap<QString, traindx::wire::Layer> byPath;
        QStringList order;
        for (const auto& layer : description.layers())
            byPath[QString::fromStdString(layer.path())] = layer;
        QVector<std::pair<int, QString>> indexed;
        for (const auto& layer : description.layers())
            if (layer.index() >= 0)
                indexed.append({layer.index(), QString::fromStdString(layer.path() + ":" + layer.type())});
        std::sort(indexed.begin(), indexed.end());
        for (const auto& [index, name] : indexed)
            order.append(name);
        QCOMPARE(order, (QStringList {QStringLiteral("fc1:Linear"), QStringLiteral("fc1/relu:ReLU"),
                                      QStringLiteral("fc2:Linear"), QStringLiteral("fc2/sigmoid:Sigmoid"),
                                      QStringLiteral("fc3:Linear"), QStringLiteral("log_probabilities:LogSoftmax")}));

        const auto relu = byPath.value(QStringLiteral("fc1/relu"));
        QCOMPARE(QString::fromStdString(relu.function()), QStringLiteral("torch::relu"));
        QVERIFY2(QString::fromStdString(relu.options()).contains(QLatin1String("inferred from its values")), relu.options().c_str());
        QVERIFY(QString::fromStdString(byPath.value(QStringLiteral("fc2/sigmoid")).options()).contains(QLatin1String("declared")));
        QVERIFY(QString::fromStdString(byPath.value(QStringLiteral("log_probabilities")).options())
                    .contains(QLatin1String("on the output of fc3")));

        QMap<int, traindx::wire::LayerStats> stats;
        for (const auto& layer : epochEnd.layers())
            stats[layer.layer()] = layer;
        const auto& reluStats = stats.value(relu.id());
        QCOMPARE(reluStats.unit_active_size(), 32);
        QCOMPARE(reluStats.dead_fraction(), 0.25f); // the 8 units under a bias of -100
        QVERIFY(stats.value(byPath.value(QStringLiteral("fc2/sigmoid")).id()).activation().min() > 0);
        // fc3's own output was tapped: its statistics are the Linear's, negative values included.
        QVERIFY(stats.value(byPath.value(QStringLiteral("fc3")).id()).activation().min() < 0);
    }
};

QTEST_APPLESS_MAIN(TestProbeForms)
#include "tst_probe_forms.moc"
