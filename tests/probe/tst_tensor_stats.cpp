// The probe's tensor statistics against a plain double-precision reference written here: every
// dtype the kernel reads itself, sizes on both sides of its blocks and of its split over
// threads, NaN and infinities, values of very different sizes, non-contiguous views, one
// thread against several, and the tensor-operation path that tensors off the CPU take.
#include "tensor_stats.h" // torch before any Qt header

#include <ATen/Parallel.h>

#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

using namespace traindx;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr int kBins = probe::kHistogramBins;

// The statistics by their definitions, element by element in double, of the tensor's values
// as floats.
struct Reference {
    std::int64_t count = 0, finite = 0, nan = 0, inf = 0, zeros = 0;
    double mean = kNaN, std = kNaN, min = kNaN, max = kNaN, l2 = kNaN;
    std::vector<std::int64_t> bins; // empty without finite values
    bool valuesOnEdges = false;     // a finite value lies exactly on an inner bin edge

    explicit Reference(const torch::Tensor& tensor)
    {
        if (!tensor.defined())
            return;
        const torch::Tensor values = tensor.detach().to(torch::kFloat).contiguous();
        const float* v = values.data_ptr<float>();
        count = values.numel();
        double sum = 0, squares = 0, lo = kInfinity, hi = -kInfinity;
        for (std::int64_t i = 0; i < count; ++i) {
            if (std::isnan(v[i])) {
                ++nan;
            } else if (std::isinf(v[i])) {
                ++inf;
            } else {
                ++finite;
                zeros += v[i] == 0;
                sum += v[i];
                squares += double(v[i]) * double(v[i]);
                lo = std::min(lo, double(v[i]));
                hi = std::max(hi, double(v[i]));
            }
        }
        if (finite == 0)
            return;
        mean = sum / double(finite);
        double deviations = 0;
        for (std::int64_t i = 0; i < count; ++i) {
            if (std::isfinite(v[i]))
                deviations += (v[i] - mean) * (v[i] - mean);
        }
        std = std::sqrt(deviations / double(finite));
        min = lo;
        max = hi;
        l2 = std::sqrt(squares);
        bins.assign(kBins, 0);
        const double width = (hi - lo) / kBins;
        for (std::int64_t i = 0; i < count; ++i) {
            if (!std::isfinite(v[i]))
                continue;
            const double position = width > 0 ? (double(v[i]) - lo) / width : 0.0;
            const int bin = int(position);
            valuesOnEdges |= position == std::floor(position) && bin >= 1 && bin < kBins;
            bins[std::min(bin, kBins - 1)] += 1;
        }
    }
};

bool near(double value, double expected, double tolerance)
{
    return std::abs(value - expected) <= tolerance;
}

// What differs between `stats` and `reference`, empty when nothing does. Moments agree to
// 1e-5 of the spread (float lanes hold about seven digits); counts, range and bins exactly,
// the bins of values on an edge included.
QString differences(const wire::TensorStats& stats, const Reference& reference)
{
    QStringList out;
    const auto check = [&out](bool ok, const char* what, double value, double expected) {
        if (!ok)
            out << QStringLiteral("%1 %2, expected %3").arg(QLatin1String(what)).arg(value, 0, 'g', 17).arg(expected, 0, 'g', 17);
    };
    check(stats.count() == reference.count, "count", stats.count(), reference.count);
    check(stats.nan() == reference.nan, "nan", stats.nan(), reference.nan);
    check(stats.inf() == reference.inf, "inf", stats.inf(), reference.inf);
    check(stats.zeros() == reference.zeros, "zeros", stats.zeros(), reference.zeros);
    if (reference.count == 0) {
        check(stats.bins_size() == 0, "bins", stats.bins_size(), 0);
        return out.join(QStringLiteral("; "));
    }
    if (reference.finite == 0) {
        check(std::isnan(stats.mean()) && std::isnan(stats.std()) && std::isnan(stats.min()) && std::isnan(stats.max())
                && std::isnan(stats.l2()),
            "moments without finite values, not NaN: mean", stats.mean(), kNaN);
        check(stats.bins_size() == 0, "bins", stats.bins_size(), 0);
        return out.join(QStringLiteral("; "));
    }
    const double spread = reference.std + 1e-9 * std::abs(reference.mean);
    check(near(stats.mean(), reference.mean, 1e-5 * spread), "mean", stats.mean(), reference.mean);
    check(near(stats.std(), reference.std, 1e-5 * spread), "std", stats.std(), reference.std);
    check(near(stats.l2(), reference.l2, 1e-5 * reference.l2), "l2", stats.l2(), reference.l2);
    check(stats.min() == reference.min, "min", stats.min(), reference.min);
    check(stats.max() == reference.max, "max", stats.max(), reference.max);
    if (stats.bins_size() == 0) {
        out << QStringLiteral("no histogram");
        return out.join(QStringLiteral("; "));
    }
    check(stats.hist_lo() == reference.min && stats.hist_hi() == reference.max, "histogram range from", stats.hist_lo(),
        reference.min);
    std::int64_t total = 0;
    for (const auto bin : stats.bins())
        total += bin;
    check(stats.bins_size() == kBins, "bins", stats.bins_size(), kBins);
    check(total == reference.finite, "values in the bins", double(total), double(reference.finite));
    if (stats.bins_size() == kBins) {
        for (int bin = 0; bin < kBins; ++bin)
            check(std::int64_t(stats.bins(bin)) == reference.bins[size_t(bin)], qPrintable(QStringLiteral("bin %1").arg(bin)),
                stats.bins(bin), double(reference.bins[size_t(bin)]));
    }
    return out.join(QStringLiteral("; "));
}

// `n` values of a kind, made in double and then stored as `dtype`.
torch::Tensor values(const QString& kind, std::int64_t n, torch::ScalarType dtype)
{
    torch::manual_seed(7);
    const auto options = torch::TensorOptions().dtype(torch::kDouble);
    const torch::Tensor index = torch::arange(n, options.dtype(torch::kLong));
    torch::Tensor v;
    if (kind == QLatin1String("normal")) {
        v = torch::randn({n}, options);
    } else if (kind == QLatin1String("NaN, infinities, zeros")) {
        v = torch::randn({n}, options);
        v.masked_fill_(index % 5 == 0, 0.0);
        v.masked_fill_(index % 97 == 3, kNaN);
        v.masked_fill_(index % 101 == 5, kInfinity);
        v.masked_fill_(index % 103 == 7, -kInfinity);
    } else if (kind == QLatin1String("all NaN")) {
        v = torch::full({n}, kNaN, options);
    } else if (kind == QLatin1String("only infinities")) {
        v = torch::where(index % 2 == 0, kInfinity, -kInfinity).to(torch::kDouble);
    } else if (kind == QLatin1String("all equal")) {
        v = torch::full({n}, 3.25, options);
    } else if (kind == QLatin1String("huge")) {
        v = torch::randn({n}, options) * 1e30;
    } else if (kind == QLatin1String("tiny")) {
        v = torch::randn({n}, options) * 1e-30;
    } else if (kind == QLatin1String("mixed magnitudes")) {
        v = torch::randn({n}, options) * torch::pow(10.0, torch::rand({n}, options) * 60 - 30);
    } else if (kind == QLatin1String("far from zero")) {
        v = 1000 + 1e-3 * torch::randn({n}, options);
    } else if (kind == QLatin1String("ReLU output")) {
        v = torch::relu(torch::randn({n}, options));
    } else if (kind == QLatin1String("on bin edges")) {
        v = (index % 65).to(torch::kDouble) / 64 - 0.5; // every value on an edge of [-0.5, 0.5]
    } else if (kind == QLatin1String("increasing")) {
        v = index.to(torch::kDouble) * 1e-3 - 300;
    } else if (kind == QLatin1String("one outlier first")) {
        v = torch::randn({n}, options);
        if (n > 0)
            v[0] = 1e6;
    }
    return v.to(dtype);
}

const QStringList& kinds()
{
    static const QStringList all = {QStringLiteral("normal"), QStringLiteral("NaN, infinities, zeros"),
        QStringLiteral("all NaN"), QStringLiteral("only infinities"), QStringLiteral("all equal"), QStringLiteral("huge"),
        QStringLiteral("tiny"), QStringLiteral("mixed magnitudes"), QStringLiteral("far from zero"),
        QStringLiteral("ReLU output"), QStringLiteral("on bin edges"), QStringLiteral("increasing"),
        QStringLiteral("one outlier first")};
    return all;
}

const std::vector<std::pair<const char*, torch::ScalarType>>& dtypes()
{
    static const std::vector<std::pair<const char*, torch::ScalarType>> all = {
        {"float", torch::kFloat}, {"double", torch::kDouble}, {"half", torch::kHalf}, {"bfloat16", torch::kBFloat16}};
    return all;
}

// Restores the thread count of at::parallel_for.
struct ThreadCount {
    int saved = at::get_num_threads();
    ~ThreadCount() { at::set_num_threads(saved); }
};

} // namespace

Q_DECLARE_METATYPE(torch::ScalarType)
Q_DECLARE_METATYPE(torch::Tensor)

class TestTensorStats : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesTheReference_data()
    {
        QTest::addColumn<torch::ScalarType>("dtype");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<qint64>("size");
        for (const auto& [name, dtype] : dtypes()) {
            for (const QString& kind : kinds()) {
                for (const qint64 size : {0, 1, 7, 4096, 1000003})
                    QTest::addRow("%s, %s, %lld", name, qPrintable(kind), size) << dtype << kind << size;
            }
        }
    }

    void matchesTheReference()
    {
        QFETCH(torch::ScalarType, dtype);
        QFETCH(QString, kind);
        QFETCH(qint64, size);
        const torch::Tensor tensor = values(kind, size, dtype);
        wire::TensorStats stats;
        probe::tensor_stats(tensor, true, &stats);
        const QString problems = differences(stats, Reference(tensor));
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
    }

    void nonContiguousViews_data()
    {
        QTest::addColumn<torch::Tensor>("tensor");
        for (const auto& [name, dtype] : dtypes()) {
            const torch::Tensor matrix = values(QStringLiteral("NaN, infinities, zeros"), 1000 * 1003, dtype).reshape({1000, 1003});
            QTest::addRow("%s, transposed", name) << matrix.t();
            QTest::addRow("%s, every third", name) << values(QStringLiteral("normal"), 3000001, dtype).slice(0, 1, c10::nullopt, 3);
            QTest::addRow("%s, one column", name) << matrix.select(1, 7);
            QTest::addRow("%s, a row repeated", name) << matrix.slice(0, 2, 3).expand({700, 1003});
            QTest::addRow("%s, transposed parameter", name) << matrix.clone().set_requires_grad(true).t();
        }
    }

    void nonContiguousViews()
    {
        QFETCH(torch::Tensor, tensor);
        QVERIFY(!tensor.is_contiguous());
        wire::TensorStats stats;
        probe::tensor_stats(tensor, true, &stats);
        const QString problems = differences(stats, Reference(tensor));
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
    }

    void oneThreadAndSeveralAgree_data()
    {
        QTest::addColumn<torch::Tensor>("tensor");
        for (const QString& kind : {QStringLiteral("normal"), QStringLiteral("NaN, infinities, zeros"),
                 QStringLiteral("mixed magnitudes"), QStringLiteral("far from zero"), QStringLiteral("on bin edges"),
                 QStringLiteral("increasing")}) {
            QTest::addRow("float, %s", qPrintable(kind)) << values(kind, 3000017, torch::kFloat);
            QTest::addRow("half, %s", qPrintable(kind)) << values(kind, 3000017, torch::kHalf);
        }
    }

    void oneThreadAndSeveralAgree()
    {
        QFETCH(torch::Tensor, tensor);
        const ThreadCount restore;
        wire::TensorStats one, several;
        at::set_num_threads(1);
        probe::tensor_stats(tensor, true, &one);
        at::set_num_threads(std::max(2, int(std::thread::hardware_concurrency())));
        QVERIFY(at::get_num_threads() >= 2);
        probe::tensor_stats(tensor, true, &several);

        const Reference reference(tensor);
        QString problems = differences(one, reference);
        QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("one thread: ") + problems));
        problems = differences(several, reference);
        QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("several threads: ") + problems));
        // Counts, range and bins do not depend on the split; the moments only in their last digits.
        QCOMPARE(several.count(), one.count());
        QCOMPARE(several.nan(), one.nan());
        QCOMPARE(several.inf(), one.inf());
        QCOMPARE(several.zeros(), one.zeros());
        QCOMPARE(several.min(), one.min());
        QCOMPARE(several.max(), one.max());
        QCOMPARE(several.bins_size(), one.bins_size());
        for (int bin = 0; bin < one.bins_size(); ++bin)
            QCOMPARE(several.bins(bin), one.bins(bin));
        QVERIFY(near(several.mean(), one.mean(), 1e-6 * (one.std() + 1e-9 * std::abs(one.mean()))));
        QVERIFY(near(several.std(), one.std(), 1e-6 * (one.std() + 1e-9 * std::abs(one.mean()))));
        QVERIFY(near(several.l2(), one.l2(), 1e-6 * one.l2()));
    }

    void tensorOperationsOffTheCpu_data()
    {
        QTest::addColumn<torch::ScalarType>("dtype");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<qint64>("size");
        for (const auto& [name, dtype] : dtypes()) {
            for (const QString& kind : kinds()) {
                for (const qint64 size : {1, 7, 100003})
                    QTest::addRow("%s, %s, %lld", name, qPrintable(kind), size) << dtype << kind << size;
            }
        }
    }

    // The path for other devices, run on the CPU: the same statistics and bins.
    void tensorOperationsOffTheCpu()
    {
        QFETCH(torch::ScalarType, dtype);
        QFETCH(QString, kind);
        QFETCH(qint64, size);
        const torch::Tensor tensor = values(kind, size, dtype);
        wire::TensorStats stats;
        probe::tensor_stats_by_tensor_ops(tensor, true, &stats);
        const QString problems = differences(stats, Reference(tensor));
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
    }

    void undefinedAndEmptyTensorsGiveNothing()
    {
        wire::TensorStats stats;
        stats.set_count(5);
        probe::tensor_stats(torch::Tensor(), true, &stats);
        QCOMPARE(stats.count(), 0);
        QCOMPARE(stats.bins_size(), 0);
        probe::tensor_stats(torch::zeros({0, 5}), true, &stats);
        QCOMPARE(stats.count(), 0);
        QCOMPARE(stats.bins_size(), 0);
    }

    void withoutHistogramNoBins()
    {
        const torch::Tensor tensor = values(QStringLiteral("NaN, infinities, zeros"), 100003, torch::kFloat);
        wire::TensorStats stats;
        probe::tensor_stats(tensor, false, &stats);
        QCOMPARE(stats.bins_size(), 0);
        QCOMPARE(stats.hist_lo(), 0.0);
        QCOMPARE(stats.hist_hi(), 0.0);
        const QString problems = differences(stats, Reference(tensor));
        QCOMPARE(problems, QStringLiteral("no histogram"));
    }

    void otherDtypesAreMeasuredAsFloats()
    {
        for (const torch::Tensor& tensor : {torch::arange(-5000, 90000, torch::kLong), torch::arange(0, 300, torch::kInt).remainder(7) == 0,
                 torch::arange(0, 20000, torch::kShort).to(torch::kByte)}) {
            wire::TensorStats stats;
            probe::tensor_stats(tensor, true, &stats);
            const QString problems = differences(stats, Reference(tensor));
            QVERIFY2(problems.isEmpty(), qPrintable(problems));
        }
    }

    // A value on an inner edge belongs to the bin above it, as (value - min) / width says in
    // double: the kernel follows that rule even where its float estimate cannot tell.
    void valuesOnBinEdgesFollowTheRule()
    {
        for (const qint64 size : {65, 4095, 4096, 1000003}) {
            for (const auto& [name, dtype] : dtypes()) {
                const torch::Tensor tensor = values(QStringLiteral("on bin edges"), size, dtype);
                const Reference reference(tensor);
                QVERIFY(reference.valuesOnEdges);
                wire::TensorStats stats;
                probe::tensor_stats(tensor, true, &stats);
                const QString problems = differences(stats, reference);
                QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("%1, %2: ").arg(QLatin1String(name)).arg(size) + problems));
            }
        }
    }

    // Saturated Tanh outputs: the range [-1, 1] puts a bin edge at 0, where every float
    // smaller than 2^-54 falls into the same bin by the exact rule.
    void saturatedOutputsWithTinyValuesAroundZero()
    {
        torch::Tensor tensor = torch::ones({8192});
        tensor.slice(0, 0, 4096).fill_(-1.0);
        tensor[10] = 0.0f;
        tensor[11] = -0.0f;
        tensor[12] = 1e-30f;
        tensor[13] = -1e-30f;
        tensor[14] = -1e-40f; // denormal
        const Reference reference(tensor);
        wire::TensorStats stats;
        probe::tensor_stats(tensor, true, &stats);
        const QString problems = differences(stats, reference);
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
    }
};

QTEST_GUILESS_MAIN(TestTensorStats)
#include "tst_tensor_stats.moc"
