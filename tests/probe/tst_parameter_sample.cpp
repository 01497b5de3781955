// Update ratios from a bounded sample of each parameter: exact for small tensors, within the
// stated bound for large ones, memory that does not grow with the tensor, and no draw from
// the program's random generators.
#include "parameter_sample.h"

#include <QTest>

#include <cmath>

using traindx::probe::ParameterSampler;

namespace {

double exactRatio(const std::vector<torch::Tensor>& now, const std::vector<torch::Tensor>& then)
{
    double delta = 0, norm = 0;
    for (std::size_t i = 0; i < now.size(); ++i) {
        delta += (now[i] - then[i]).to(torch::kDouble).pow(2).sum().item<double>();
        norm += then[i].to(torch::kDouble).pow(2).sum().item<double>();
    }
    return std::sqrt(delta / norm);
}

} // namespace

class TestParameterSample : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void smallParametersAreMeasuredExactly()
    {
        torch::manual_seed(3);
        std::vector<torch::Tensor> then {torch::randn({32, 8}), torch::randn({32})};
        ParameterSampler sampler;
        const auto sample = sampler.remember(1, then);
        std::vector<torch::Tensor> now {then[0] + 0.01 * torch::randn({32, 8}), then[1] + 0.1};
        QCOMPARE(sampler.relative_change(1, now, sample), exactRatio(now, then));
    }

    void largeParametersAreWithinTheStatedBound_data()
    {
        QTest::addColumn<double>("step");
        QTest::newRow("a step of 1e-3") << 1e-3;
        QTest::newRow("a step of 1") << 1.0;
    }
    void largeParametersAreWithinTheStatedBound()
    {
        QFETCH(double, step);
        torch::manual_seed(5);
        // A Linear layer of a million weights and its bias.
        std::vector<torch::Tensor> then {torch::randn({1000, 1000}) * 0.03, torch::randn({1000}) * 0.01};
        ParameterSampler sampler;
        const auto sample = sampler.remember(7, then);
        QVERIFY(sample[0].numel() <= ParameterSampler::kSampledElements);
        std::vector<torch::Tensor> now {then[0] + step * 0.03 * torch::randn({1000, 1000}), then[1]};
        const double estimate = sampler.relative_change(7, now, sample);
        const double exact = exactRatio(now, then);
        QVERIFY2(std::abs(estimate / exact - 1) < 0.05, qPrintable(QStringLiteral("%1 against %2").arg(estimate).arg(exact)));
    }

    void theProgramsRandomNumbersAreUntouched()
    {
        torch::manual_seed(11);
        const torch::Tensor expected = torch::rand({8});
        torch::manual_seed(11);
        ParameterSampler sampler;
        const auto sample = sampler.remember(2, {torch::ones({100000})});
        QVERIFY(torch::equal(torch::rand({8}), expected));
        QCOMPARE(sampler.relative_change(2, {torch::ones({100000})}, sample), 0.0);
    }

    void weightsThatLeaveZeroMoveWithoutBound()
    {
        ParameterSampler sampler;
        const auto sample = sampler.remember(4, {torch::zeros({10000})});
        QVERIFY(std::isinf(sampler.relative_change(4, {torch::full({10000}, 0.5)}, sample)));
        QCOMPARE(sampler.relative_change(4, {torch::zeros({10000})}, ParameterSampler::Sample()), -1.0);
    }
};

QTEST_APPLESS_MAIN(TestParameterSample)
#include "tst_parameter_sample.moc"
