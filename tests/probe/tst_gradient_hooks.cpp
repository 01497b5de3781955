// The gradient hooks on their own, on real autograd: the step's gradient norm is that of
// every gradient backward produced; the run's first non-finite gradient is reported once,
// before any optimizer could use it, and a pass broken from its start (the loss already
// was) is told from one that overflowed inside backward; the zero_grad() sentinel reads 1
// when .grad was zeroed and 2 after two passes without.
#include "gradient_hooks.h"

#include <QTest>

#include <cmath>
#include <limits>

using traindx::probe::GradientHooks;

namespace {

struct Reported {
    int calls = 0;
    int layer = -1;
    std::string parameter;
    bool forward = false;
};

std::shared_ptr<GradientHooks> hook(torch::nn::Linear& first, torch::nn::Linear& second, Reported& reported)
{
    auto hooks = std::make_shared<GradientHooks>();
    GradientHooks::watch(hooks, 1, "weight", first->weight);
    GradientHooks::watch(hooks, 1, "bias", first->bias);
    GradientHooks::watch(hooks, 2, "weight", second->weight);
    GradientHooks::watch(hooks, 2, "bias", second->bias);
    hooks->break_on_nonfinite = true;
    hooks->on_nonfinite = [&reported](const GradientHooks::Watch& watch, bool forward) {
        ++reported.calls;
        reported.layer = watch.layer;
        reported.parameter = watch.parameter;
        reported.forward = forward;
    };
    return hooks;
}

} // namespace

class TestGradientHooks : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Clipping by global norm in the hooks: from the second step on (the first tells how many
    // gradients a step has), the .grad the optimizer reads has the asked norm and the
    // direction of the unclipped one; a norm below the limit is left alone.
    void clippingScalesEveryGradientToTheGlobalNorm()
    {
        torch::manual_seed(7);
        torch::nn::Linear first(6, 5), second(5, 3);
        Reported reported;
        auto hooks = hook(first, second, reported);
        std::vector<torch::Tensor> parameters {first->weight, first->bias, second->weight, second->bias};
        hooks->scale_others = [&parameters](double factor, std::size_t except) {
            torch::NoGradGuard no_grad;
            for (std::size_t i = 0; i < parameters.size(); ++i)
                if (i != except && parameters[i].grad().defined())
                    parameters[i].mutable_grad().mul_(factor);
        };
        const torch::Tensor x = torch::randn({8, 6}) * 10;
        auto pass = [&] {
            for (auto& p : parameters)
                p.mutable_grad() = torch::Tensor();
            second(torch::relu(first(x))).pow(2).sum().backward();
            double sum = 0;
            for (const auto& p : parameters)
                sum += p.grad().to(torch::kDouble).pow(2).sum().item<double>();
            const double measured = std::sqrt(hooks->step_sum_of_squares);
            hooks->begin_step();
            return std::make_pair(std::sqrt(sum), measured);
        };
        const auto [unclipped, firstMeasured] = pass();
        QVERIFY(unclipped > 10);
        QCOMPARE(hooks->expected_calls, 4);
        const torch::Tensor direction = first->weight.grad().clone() / unclipped;

        hooks->clip_norm = 1.0;
        const auto [clipped, measured] = pass();
        QVERIFY2(std::abs(clipped - 1.0) < 1e-4, qPrintable(QString::number(clipped)));
        QVERIFY(std::abs(measured - unclipped) < 1e-3 * unclipped); // the norm shown is the one backward produced
        QVERIFY(torch::allclose(first->weight.grad(), direction, 1e-4, 1e-6));
        QCOMPARE(hooks->clipped_steps, 1LL);

        hooks->clip_norm = 1e6;
        const auto [untouched, ignored] = pass();
        QVERIFY(std::abs(untouched - unclipped) < 1e-3 * unclipped);
        QCOMPARE(hooks->clipped_steps, 1LL);
    }

    void theStepNormIsTheNormOfEveryGradient()
    {
        torch::manual_seed(5);
        torch::nn::Linear first(6, 5), second(5, 3);
        Reported reported;
        auto hooks = hook(first, second, reported);
        const torch::Tensor loss = second(torch::relu(first(torch::randn({8, 6})))).pow(2).sum();
        loss.backward();
        double expected = 0;
        for (const auto* layer : {&first, &second})
            for (const auto& p : (*layer)->parameters())
                expected += p.grad().to(torch::kDouble).pow(2).sum().item<double>();
        QVERIFY(hooks->step_measured);
        QCOMPARE(hooks->calls_this_step, 4);
        QVERIFY(std::abs(hooks->step_sum_of_squares - expected) <= 1e-5 * expected);
        QCOMPARE(reported.calls, 0);
        hooks->begin_step();
        QVERIFY(!hooks->step_measured);
        QCOMPARE(hooks->step_sum_of_squares, 0.0);
    }

    void aLossAlreadyBrokenIsAForwardOverflow()
    {
        torch::nn::Linear first(4, 4), second(4, 2);
        Reported reported;
        auto hooks = hook(first, second, reported);
        torch::Tensor x = torch::ones({3, 4});
        x[1][2] = std::numeric_limits<float>::quiet_NaN();
        second(first(x)).pow(2).sum().backward();
        QCOMPARE(reported.calls, 1);
        QCOMPARE(reported.layer, 2); // backward reaches the output layer first
        QVERIFY(reported.forward);
        QVERIFY(std::isinf(hooks->step_sum_of_squares));
        // Reported once per run: the next broken pass is not held again.
        hooks->begin_step();
        second(first(x)).pow(2).sum().backward();
        QCOMPARE(reported.calls, 1);
    }

    void anOverflowInsideBackwardNamesItsLayer()
    {
        torch::nn::Linear first(4, 4), second(4, 2);
        Reported reported;
        auto hooks = hook(first, second, reported);
        // sqrt at exactly 0: a finite forward whose derivative is infinite, on the first layer only.
        const torch::Tensor h = first(torch::ones({2, 4}));
        const torch::Tensor kink = torch::sqrt(h - h.detach()).sum();
        const torch::Tensor loss = second(h.detach()).sum() + kink;
        QVERIFY(std::isfinite(loss.item<double>()));
        loss.backward();
        QCOMPARE(reported.calls, 1);
        QCOMPARE(reported.layer, 1);
        QVERIFY(!reported.forward); // the output layer's gradient came first, finite
        // Nothing was applied: a hook runs before the optimizer could.
        QVERIFY(torch::isfinite(first->weight).all().item<bool>());
    }

    void theSentinelTellsWhetherGradientsWereZeroed()
    {
        torch::manual_seed(2);
        torch::nn::Linear first(3, 3), second(3, 1);
        Reported reported;
        auto hooks = hook(first, second, reported);
        hooks->set_sentinels({3}); // second->bias
        const torch::Tensor x = torch::randn({4, 3});
        second(first(x)).sum().backward();
        QCOMPARE(hooks->accumulation_ratio(0, second->bias), 1.0);
        hooks->begin_step();
        second(first(x)).sum().backward(); // no zero_grad(): the same gradient added again
        QVERIFY(std::abs(hooks->accumulation_ratio(0, second->bias) - 2.0) < 1e-6);
        hooks->begin_step();
        QCOMPARE(hooks->accumulation_ratio(0, second->bias), 0.0); // nothing seen this step: unknown
    }

    // Two optimizers, one sentinel each: the one whose gradients are zeroed reads 1 while
    // the other's keep adding up.
    void eachOptimizersSentinelReadsItsOwnZeroing()
    {
        torch::manual_seed(3);
        torch::nn::Linear first(3, 3), second(3, 1);
        Reported reported;
        auto hooks = hook(first, second, reported);
        hooks->set_sentinels({1, 3}); // first->bias, second->bias
        const torch::Tensor x = torch::randn({4, 3});
        for (int step = 1; step <= 3; ++step) {
            hooks->begin_step();
            second->zero_grad(); // only the second "optimizer" zeroes its gradients
            second(first(x)).sum().backward();
            QCOMPARE(hooks->accumulation_ratio(1, second->bias), 1.0);
            QVERIFY(std::abs(hooks->accumulation_ratio(0, first->bias) - double(step)) < 1e-5);
        }
    }

    void hooksOfAGoneProbeDoNothing()
    {
        torch::nn::Linear first(2, 2), second(2, 1);
        Reported reported;
        auto hooks = hook(first, second, reported);
        hooks->alive = false;
        second(first(torch::full({1, 2}, std::numeric_limits<float>::infinity()))).sum().backward();
        QCOMPARE(hooks->calls_this_step, 0);
        QCOMPARE(reported.calls, 0);
    }
};

QTEST_APPLESS_MAIN(TestGradientHooks)
#include "tst_gradient_hooks.moc"
