// The reduction of the ranks' snapshots to the job's, over a real Gloo group of threads in
// this process (a c10d HashStore for its rendezvous): the job's statistics against those of
// all ranks' values taken as one tensor, histograms bin for bin on the common dyadic grid,
// points averaged (a NaN on one rank stays a NaN), the ranks' differences summarised, and
// ranks at different boundaries refused on every rank alike.
#include "dyadic_grid.h" // torch before any Qt header
#include "snapshot_reduction.h"
#include "tensor_stats.h"

#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include <QTest>

#include <cmath>
#include <functional>
#include <thread>
#include <vector>

using namespace traindx;

namespace {

class Gloo : public probe::Collectives {
public:
    Gloo(c10::intrusive_ptr<c10d::Store> store, int rank, int size)
    {
        auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(20));
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
    }
    int rank() const override { return group_->getRank(); }
    int size() const override { return group_->getSize(); }
    void max(std::vector<double>& values) override
    {
        std::vector<at::Tensor> t {torch::from_blob(values.data(), {std::int64_t(values.size())}, torch::kDouble)};
        c10d::AllreduceOptions options;
        options.reduceOp = c10d::ReduceOp::MAX;
        group_->allreduce(t, options)->wait();
    }
    void sum_to_root(std::vector<double>& values) override
    {
        std::vector<at::Tensor> t {torch::from_blob(values.data(), {std::int64_t(values.size())}, torch::kDouble)};
        c10d::ReduceOptions options;
        options.rootRank = 0;
        group_->reduce(t, options)->wait();
    }

private:
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

struct Outcome {
    std::optional<wire::Snapshot> job;
    std::string error;
};

// Runs `make(rank)`'s snapshot through the reduction on `ranks` threads.
std::vector<Outcome> reduce(int ranks, const std::function<wire::Snapshot(int)>& make)
{
    static int round = 0;
    auto store = c10::make_intrusive<c10d::PrefixStore>("round" + std::to_string(++round), c10::make_intrusive<c10d::HashStore>());
    std::vector<Outcome> outcomes(std::size_t(ranks), Outcome {});
    std::vector<std::thread> threads;
    for (int r = 0; r < ranks; ++r)
        threads.emplace_back([&, r] {
            try {
                Gloo gloo(store, r, ranks);
                outcomes[std::size_t(r)].job = probe::reduce_snapshot(make(r), gloo);
            } catch (const std::exception& error) {
                outcomes[std::size_t(r)].error = error.what();
            }
        });
    for (auto& thread : threads)
        thread.join();
    return outcomes;
}

// Rank r's weights: a different spread and place on every rank, with NaN on rank 1.
torch::Tensor weightsOf(int rank)
{
    torch::manual_seed(10 + rank);
    torch::Tensor w = torch::randn({40, 30}) * (0.1 + rank) + rank * 0.7;
    if (rank == 1)
        w[3][4] = std::nan("");
    return w;
}

wire::Snapshot snapshotOf(int rank, const torch::Tensor& weights, long long step = 19)
{
    wire::Snapshot s;
    s.set_kind(wire::Snapshot::BATCH);
    s.set_step(step);
    auto* layer = s.add_layers();
    layer->set_layer(1);
    probe::tensor_stats(weights, true, layer->mutable_weight());
    layer->set_update_ratio(0.01 * (rank + 1));
    for (int p = 0; p < 12; ++p) {
        auto* point = s.add_points();
        point->set_step(step - 11 + p);
        point->set_loss(1.0 + rank + (rank == 2 && p == 5 ? std::nan("") : 0.0));
        point->set_grad_norm(0.5 * (rank + 1));
        point->set_has_grad_norm(true);
        point->set_compute_seconds(rank == 1 ? 0.040 : 0.002);
        point->set_accumulated(rank == 2 ? 1.0 : 1.0 + 0.1 * p);
    }
    (*s.mutable_metrics())["val_accuracy"] = 0.5 + 0.1 * rank;
    return s;
}

} // namespace

class TestSnapshotReduction : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { probe::set_histogram_grid(probe::HistogramGrid::Dyadic); }

    void dyadicGridsNestInTheCommonOne()
    {
        const probe::DyadicGrid a = probe::dyadic_grid(-0.3, 1.7), b = probe::dyadic_grid(5.0, 5.01);
        QVERIFY(a.start <= -0.3 && a.end() > 1.7);
        QVERIFY(b.start <= 5.0 && b.end() > 5.01);
        const probe::DyadicGrid common = probe::common_grid(std::min(a.start, b.start), std::max(a.end(), b.end()),
                                                            std::max(a.exponent, b.exponent));
        QVERIFY(common.start <= a.start && common.end() >= b.end());
        // Every fine edge is a coarse one's multiple: no fine bin straddles a coarse edge.
        for (const auto& fine : {a, b})
            QCOMPARE(std::fmod(fine.start - common.start, fine.width()), 0.0);
        QVERIFY(common.exponent >= a.exponent && common.exponent >= b.exponent);
    }

    void theJobsStatisticsAreThoseOfAllValuesTogether()
    {
        const int ranks = 3;
        // Drawn here: the threads share torch's generator.
        const std::vector<torch::Tensor> weights {weightsOf(0), weightsOf(1), weightsOf(2)};
        const auto outcomes = reduce(ranks, [&](int r) { return snapshotOf(r, weights[std::size_t(r)]); });
        for (int r = 0; r < ranks; ++r)
            QVERIFY2(outcomes[std::size_t(r)].error.empty(), outcomes[std::size_t(r)].error.c_str());
        QVERIFY(outcomes[0].job);
        QVERIFY(!outcomes[1].job && !outcomes[2].job);
        const wire::Snapshot& job = *outcomes[0].job;

        const torch::Tensor all = torch::cat({weights[0].flatten(), weights[1].flatten(), weights[2].flatten()});
        const torch::Tensor finite = all.masked_select(torch::isfinite(all)).to(torch::kDouble);
        const wire::TensorStats& w = job.layers(0).weight();
        QCOMPARE(w.count(), all.numel());
        QCOMPARE(w.nan(), 1);
        QCOMPARE(w.min(), finite.min().item<double>());
        QCOMPARE(w.max(), finite.max().item<double>());
        QVERIFY(std::abs(w.mean() - finite.mean().item<double>()) < 1e-9);
        QVERIFY(std::abs(w.std() / finite.std(false).item<double>() - 1) < 1e-6);
        QVERIFY(std::abs(w.l2() / finite.norm().item<double>() - 1) < 1e-6); // as exact as each rank's own

        // Bin for bin: every finite value counted where the common grid puts it.
        QCOMPARE(w.bins_size(), probe::kGridBins);
        const double width = (w.hist_hi() - w.hist_lo()) / probe::kGridBins;
        QCOMPARE(std::ldexp(1.0, std::ilogb(width)), width);
        std::vector<std::uint32_t> expected(probe::kGridBins, 0);
        const torch::Tensor floats = finite.to(torch::kFloat).contiguous();
        const float* values = floats.data_ptr<float>();
        for (std::int64_t i = 0; i < finite.numel(); ++i)
            ++expected[std::size_t(std::clamp(std::floor((double(values[i]) - w.hist_lo()) / width), 0.0, probe::kGridBins - 1.0))];
        for (int bin = 0; bin < probe::kGridBins; ++bin)
            QCOMPARE(w.bins(bin), expected[std::size_t(bin)]);

        QVERIFY(std::abs(job.layers(0).update_ratio() - 0.02) < 1e-12);
        QVERIFY(std::abs(job.metrics().at("val_accuracy") - 0.6) < 1e-12);
        QCOMPARE(job.points_size(), 12);
        QVERIFY(std::abs(job.points(0).loss() - 2.0) < 1e-12); // the mean of 1, 2, 3
        QVERIFY(std::isnan(job.points(5).loss()));                // rank 2's NaN
        QVERIFY(std::abs(job.points(0).grad_norm() - 1.0) < 1e-12);

        const wire::JobSummary& summary = job.job();
        QCOMPARE(summary.ranks(), 3);
        QCOMPARE(summary.world_size(), 3);
        QCOMPARE(summary.slowest_rank(), 1);
        QVERIFY(std::abs(summary.slowest_seconds() - 0.040) < 1e-12);
        QVERIFY(std::abs(summary.median_seconds() - 0.002) < 1e-12);
        QCOMPARE(summary.largest_gradient_rank(), 2);
        QCOMPARE(summary.first_nonfinite_rank(), 2);
        QCOMPARE(summary.first_nonfinite_step(), 19 - 11 + 5);
        QVERIFY(summary.first_nonfinite_in_loss());
        QCOMPARE(summary.unmixed_ranks_size(), 1);
        QCOMPARE(summary.unmixed_ranks(0), 2);
        // Every rank's weights differ (rank 1's norm is over its finite values): one deviation
        // for the layer, the rank farthest from the middle.
        QCOMPARE(summary.deviations_size(), 1);
        QCOMPARE(summary.deviations(0).layer(), 1);
        QVERIFY(summary.deviations(0).deviation() > 0.1);
    }

    void ranksWithTheSameWeightsShowNoDeviation()
    {
        torch::manual_seed(3);
        const torch::Tensor same = torch::randn({16, 8});
        const auto outcomes = reduce(4, [&](int r) { return snapshotOf(r, same); });
        QVERIFY(outcomes[0].job);
        QCOMPARE(outcomes[0].job->job().deviations_size(), 0);
        QCOMPARE(outcomes[0].job->job().ranks(), 4);
    }

    void ranksAtDifferentBoundariesAreRefusedOnEveryRank()
    {
        const torch::Tensor weights = weightsOf(0);
        const auto outcomes = reduce(3, [&](int r) { return snapshotOf(r, weights, r == 2 ? 39 : 19); });
        for (const Outcome& outcome : outcomes) {
            QVERIFY(!outcome.job);
            QVERIFY2(outcome.error.find("different steps") != std::string::npos, outcome.error.c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestSnapshotReduction)
#include "tst_snapshot_reduction.moc"
