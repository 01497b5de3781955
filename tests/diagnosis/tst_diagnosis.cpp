// Every detector and checker on synthetic statistic streams, the hard cases included:
// NaN in one layer only, a converged model with a flat low loss, a softmax whose mean
// output is constant by construction, a ReLU layer where most but not all units died.
#include "checkers.h"
#include "diagnoser.h"
#include "model_facts.h"

#include <QTest>

#include <cmath>

using namespace traindx;

namespace {

struct LayerSpec {
    QString type;
    int in = 0, out = 0; // Linear only
    QString options;
};

TensorStats stats(double mean, double std, qint64 count, qint64 zeros = 0, qint64 nan = 0)
{
    TensorStats t;
    t.present = true;
    t.count = count;
    t.mean = mean;
    t.std = std;
    t.min = mean - 3 * std;
    t.max = mean + 3 * std;
    t.l2 = std::sqrt(double(count - nan) * (mean * mean + std * std));
    t.zeros = zeros;
    t.nan = nan;
    t.bins = QVector<quint32>(64, quint32((count - nan) / 64));
    return t;
}

// A run fed by hand, snapshot by snapshot, through the real diagnoser.
class Stream {
public:
    Stream(const QVector<LayerSpec>& specs, const QString& loss, int rows = 256)
        : m_rows(rows)
    {
        Model& model = run.model;
        model.loss = lossKindFromName(loss);
        model.learningRate = 0.01;
        Layer root;
        root.type = QStringLiteral("Sequential");
        root.leaf = false;
        model.layers.append(root);
        int width = specs.first().in;
        for (int i = 0; i < specs.size(); ++i) {
            Layer l;
            l.id = i + 1;
            l.index = i;
            l.parent = 0;
            l.inForwardOrder = true;
            l.path = QString::number(i);
            l.type = specs[i].type;
            l.options = specs[i].options.isEmpty() ? specs[i].type : specs[i].options;
            if (l.type == QLatin1String("Linear")) {
                l.parameters = {{QStringLiteral("weight"), {specs[i].out, specs[i].in}}, {QStringLiteral("bias"), {specs[i].out}}};
                width = specs[i].out;
            }
            l.outputShape = {rows, width};
            model.layers.append(l);
        }
        for (int i = 1; i + 1 < model.layers.size(); ++i)
            model.edges.append({i, i + 1});
        run.data.present = true;
        run.data.inputs = stats(0, 1, 1000);
        run.data.targets = stats(0.5, 0.5, 100);
        run.data.targets.min = 0;
        run.data.targets.max = 1;
    }

    // A snapshot where every layer is healthy; `edit` changes what the test is about.
    std::shared_ptr<Snapshot> snapshot(bool epochEnd, bool initial = false)
    {
        auto s = std::make_shared<Snapshot>();
        s->epoch = m_epoch;
        s->batch = epochEnd ? 100 : 50;
        s->step = qint64(m_epoch) * 100 + s->batch;
        s->epochEnd = epochEnd;
        s->initial = initial;
        for (const Layer& l : run.model.layers) {
            if (l.id == 0)
                continue;
            LayerSample sample;
            sample.layer = l.id;
            const qint64 units = l.outputShape.value(1, 1);
            if (l.type == QLatin1String("Linear")) {
                const qint64 in = l.parameters[0].dims[1], out = l.parameters[0].dims[0];
                sample.stats(TensorKind::Weight) = stats(0, std::sqrt(1.0 / in), in * out);
                sample.stats(TensorKind::Bias) = stats(0, 0.05, out);
                if (!initial) {
                    sample.stats(TensorKind::WeightGrad) = stats(0, 1e-2, in * out);
                    sample.updateRatio = epochEnd ? -1 : 1e-3;
                    sample.epochUpdateRatio = epochEnd ? 1e-2 : -1;
                }
            }
            if (epochEnd || initial) {
                sample.stats(TensorKind::Activation) = stats(0.2, 1, m_rows * units, m_rows * units / 2);
                if (l.type == QLatin1String("ReLU")) {
                    sample.unitActive = QVector<float>(int(units), 0.5f);
                    sample.deadFraction = 0;
                }
            }
            s->layers.append(sample);
        }
        return s;
    }

    // Feeds a snapshot, with batch losses, and an epoch's metrics at epoch ends.
    QVector<Finding> feed(const std::shared_ptr<Snapshot>& s, double loss, double accuracy = -1)
    {
        int added = 0;
        if (!s->initial) {
            for (int b = 0; b < 10; ++b) {
                BatchPoint p;
                p.step = m_step++;
                p.epoch = m_epoch;
                p.batch = b;
                p.loss = loss;
                p.accuracy = accuracy;
                p.hasAccuracy = accuracy >= 0;
                run.points.append(p);
                ++added;
            }
        }
        if (s->epochEnd) {
            s->metrics.insert(QStringLiteral("train_loss"), loss);
            if (accuracy >= 0)
                s->metrics.insert(QStringLiteral("train_accuracy"), accuracy);
            ++m_epoch;
        }
        run.appendSnapshot(s);
        QVector<Finding> found = diagnoser.observe(run, s, added);
        run.findings += found;
        Diagnoser::settle(run.findings);
        diagnoser.review(run, s); // as the session does
        return found;
    }

    // A batch sample whose every measured step moved the weights by `ratio` of their size.
    std::shared_ptr<Snapshot> stepSample(double ratio)
    {
        auto s = snapshot(false);
        for (auto& sample : s->layers)
            if (sample.updateRatio >= 0)
                sample.updateRatio = ratio;
        return s;
    }

    bool has(Symptom symptom, int layer = -2) const
    {
        for (const auto& f : run.findings)
            if (f.symptom == symptom && (layer == -2 || f.layer == layer))
                return true;
        return false;
    }
    const Finding* first() const { return run.findings.isEmpty() ? nullptr : &run.findings.first(); }
    QString symptoms() const
    {
        QStringList list;
        for (const auto& f : run.findings)
            list.append(f.key());
        return list.join(QStringLiteral(", "));
    }

    RunState run;
    Diagnoser diagnoser;

private:
    int m_rows;
    int m_epoch = 0;
    qint64 m_step = 0;
};

QVector<LayerSpec> reluMlp(const QString& last = QString())
{
    QVector<LayerSpec> specs {{QStringLiteral("Linear"), 8, 32}, {QStringLiteral("ReLU")}, {QStringLiteral("Linear"), 32, 32},
                              {QStringLiteral("ReLU")}, {QStringLiteral("Linear"), 32, 4}};
    if (!last.isEmpty())
        specs.append({last, 0, 0, last + QStringLiteral("(dim=1)")});
    return specs;
}

} // namespace

class TestDiagnosis : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void healthyStreamIsQuiet()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.feed(s.snapshot(false, true), 0);
        double loss = 1.3;
        for (int epoch = 0; epoch < 10; ++epoch) {
            s.feed(s.snapshot(false), loss);
            loss *= 0.85;
            s.feed(s.snapshot(true), loss, 0.5 + 0.04 * epoch);
        }
        QVERIFY2(s.run.findings.isEmpty(), qPrintable(s.symptoms()));
    }

    void nanInOneLayerOnlyIsLocatedThere()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.feed(s.snapshot(true), 1.0, 0.5);
        auto broken = s.snapshot(true);
        // Layer 3 (the second Linear) outputs NaN; the ReLU after it and the output too.
        for (auto& sample : broken->layers)
            if (sample.layer >= 3)
                sample.stats(TensorKind::Activation) = stats(0, 1, 256 * 32, 0, 17);
        s.feed(broken, 0.9, 0.55);
        QVERIFY(s.has(Symptom::NumericalError, 3));
        QVERIFY(!s.has(Symptom::NumericalError, 5));
        QVERIFY(s.first()->symptom == Symptom::NumericalError);
        QVERIFY(s.first()->location == Location::Forward);
        QCOMPARE(s.first()->value(QStringLiteral("nan")), 17.0);
    }

    void nonFiniteGradientOriginIsTheLayerNearestTheOutput()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        auto snapshot = s.snapshot(false);
        for (auto& sample : snapshot->layers)
            if (sample.layer == 3 || sample.layer == 1)
                sample.stats(TensorKind::WeightGrad) = stats(0, 1, 1024, 0, 4);
        s.feed(snapshot, 1.0);
        QVERIFY2(s.has(Symptom::NumericalError, 3), qPrintable(s.symptoms()));
        QVERIFY(!s.has(Symptom::NumericalError, 1));
    }

    void invalidLossAndAccuracy()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.feed(s.snapshot(false), std::numeric_limits<double>::quiet_NaN(), 1.5);
        QVERIFY(s.has(Symptom::InvalidLoss, -1));
        QVERIFY(s.has(Symptom::InvalidAccuracy, -1));
    }

    void zeroGradientUnderOneUnitSoftmax()
    {
        QVector<LayerSpec> specs {{QStringLiteral("Linear"), 8, 16}, {QStringLiteral("ReLU")}, {QStringLiteral("Linear"), 16, 1},
                                  {QStringLiteral("Softmax"), 0, 0, QStringLiteral("Softmax(dim=1)")}};
        Stream s(specs, QStringLiteral("bce"));
        s.feed(s.snapshot(false, true), 0);
        QVERIFY2(s.has(Symptom::OutOfRange, 4), qPrintable(s.symptoms()));
        QVERIFY(s.first()->fixClass == FixClass::ChangeActivation);
        QVERIFY(s.first()->fixText.contains(QStringLiteral("layer 3, Softmax(dim=1) over 1 unit")));

        auto snapshot = s.snapshot(false);
        for (auto& sample : snapshot->layers)
            if (sample.layer == 3 || sample.layer == 1) {
                TensorStats& g = sample.stats(TensorKind::WeightGrad);
                g.zeros = g.count;
            }
        s.feed(snapshot, 50);
        QVERIFY2(s.has(Symptom::ZeroSignal, 3), qPrintable(s.symptoms()));
        QVERIFY(!s.has(Symptom::ZeroSignal, 1)); // starved by layer 3, not a finding of its own
    }

    void zeroGradientWithZeroLossIsNotASymptom()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        auto snapshot = s.snapshot(false);
        for (auto& sample : snapshot->layers)
            if (sample.stats(TensorKind::WeightGrad).present)
                sample.stats(TensorKind::WeightGrad).zeros = sample.stats(TensorKind::WeightGrad).count;
        s.feed(snapshot, 0.0);
        QVERIFY2(!s.has(Symptom::ZeroSignal), qPrintable(s.symptoms()));
    }

    void softmaxWithConstantMeanIsNotUnchanged()
    {
        // A softmax over 4 classes has mean output exactly 0.25, every epoch, by construction.
        Stream s(reluMlp(QStringLiteral("Softmax")), QStringLiteral("nll"));
        double loss = 1.3;
        for (int epoch = 0; epoch < 8; ++epoch) {
            auto snapshot = s.snapshot(true);
            for (auto& sample : snapshot->layers)
                if (sample.layer == 6)
                    sample.stats(TensorKind::Activation) = stats(0.25, 0.2, 1024);
            loss *= 0.8;
            s.feed(snapshot, loss, 0.4 + 0.07 * epoch);
        }
        QVERIFY(!s.has(Symptom::UnchangedWeights));
        QVERIFY(!s.has(Symptom::ZeroSignal));
        // NLLLoss on a plain Softmax is a real fault, and the only one.
        QVERIFY(s.has(Symptom::OutOfRange, 6));
        QCOMPARE(s.run.findings.size(), 1);
    }

    void mostButNotAllUnitsDead()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        auto dying = [&s](float dead) {
            auto snapshot = s.snapshot(true);
            for (auto& sample : snapshot->layers)
                if (sample.layer == 2) {
                    sample.deadFraction = dead;
                    for (int u = 0; u < sample.unitActive.size(); ++u)
                        sample.unitActive[u] = u < dead * sample.unitActive.size() ? 0.0f : 0.3f;
                }
            return snapshot;
        };
        s.feed(dying(0.8f), 1.2, 0.4);
        QVERIFY(!s.has(Symptom::DeadRelu)); // once is not sustained
        s.feed(dying(0.8f), 1.1, 0.45);
        QVERIFY2(s.has(Symptom::DeadRelu, 2), qPrintable(s.symptoms()));
        QCOMPARE(s.run.findings.first().value(QStringLiteral("dead_unit_fraction")), double(0.8f));
    }

    void deadFunctionalReluIsNamedAsTheProgramWroteIt()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        Layer& relu = s.run.model.layers[2];
        relu.function = QStringLiteral("torch::relu");
        relu.options = QStringLiteral("torch::relu on the output of fc1 (declared by tap)");
        for (int epoch = 0; epoch < 2; ++epoch) {
            auto snapshot = s.snapshot(true);
            for (auto& sample : snapshot->layers)
                if (sample.layer == 2) {
                    sample.deadFraction = 0.8f;
                    for (int u = 0; u < sample.unitActive.size(); ++u)
                        sample.unitActive[u] = u < 0.8 * sample.unitActive.size() ? 0.0f : 0.3f;
                }
            s.feed(snapshot, 1.2, 0.4);
        }
        QVERIFY2(s.has(Symptom::DeadRelu, 2), qPrintable(s.symptoms()));
        const Finding& f = s.run.findings.first();
        QVERIFY2(f.fixText.startsWith(QLatin1String("Replace torch::relu on the output of fc1 with torch::leaky_relu(x, 0.01)")),
                 qPrintable(f.fixText));
        QVERIFY(!f.fixText.contains(QLatin1String("torch::nn::")));
    }

    void stepsTooLargeBeforeEveryGradientVanishedNameTheLearningRate_data()
    {
        QTest::addColumn<double>("ratioBefore");
        QTest::addColumn<bool>("learningRate");
        QTest::newRow("steps of 40 % before the stall") << 0.4 << true;
        QTest::newRow("steps of 0.1 % before the stall") << 1e-3 << false;
    }

    void stepsTooLargeBeforeEveryGradientVanishedNameTheLearningRate()
    {
        QFETCH(double, ratioBefore);
        QFETCH(bool, learningRate);
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.feed(s.stepSample(ratioBefore), 2.0);
        s.feed(s.stepSample(ratioBefore), 2.2);
        for (int i = 0; i < 4; ++i) { // then nothing moves: no gradient reaches any layer
            auto snapshot = s.stepSample(0);
            for (auto& sample : snapshot->layers)
                if (sample.stats(TensorKind::WeightGrad).present)
                    sample.stats(TensorKind::WeightGrad).zeros = sample.stats(TensorKind::WeightGrad).count;
            s.feed(snapshot, 2.3);
        }
        bool stallFound = false;
        for (const auto& f : s.run.findings) {
            if (f.symptom != Symptom::UnchangedWeights && f.symptom != Symptom::ZeroSignal)
                continue;
            stallFound = true;
            QVERIFY2((f.fixClass == FixClass::ChangeLearningRate) == learningRate, qPrintable(f.key() + QLatin1Char(' ') + f.fixText));
            if (learningRate)
                QVERIFY2(f.fixText.contains(QLatin1String("until every gradient vanished")), qPrintable(f.fixText));
            // Nothing has a gradient: nothing says the optimizer leaves a layer out.
            QVERIFY(f.fixClass != FixClass::ChangeOptimizer);
        }
        QVERIFY2(stallFound, qPrintable(s.symptoms()));
    }

    void sparseButLivingReluLayerIsHealthy()
    {
        // 70 % of the elements are zero (what DeepDiagnosis flagged), but only 5 % of the units never fire.
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        for (int epoch = 0; epoch < 5; ++epoch) {
            auto snapshot = s.snapshot(true);
            for (auto& sample : snapshot->layers)
                if (sample.layer == 2) {
                    sample.deadFraction = 0.05f;
                    TensorStats& a = sample.stats(TensorKind::Activation);
                    a.zeros = qint64(0.7 * a.count);
                }
            s.feed(snapshot, 1.2 * std::pow(0.8, epoch), 0.5 + 0.08 * epoch);
        }
        QVERIFY2(!s.has(Symptom::DeadRelu), qPrintable(s.symptoms()));
    }

    void convergedFlatLowLossIsHealthy()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        for (int epoch = 0; epoch < 8; ++epoch)
            s.feed(s.snapshot(true), epoch < 2 ? 1.0 / (epoch + 1) : 0.021, epoch < 2 ? 0.7 : 0.995);
        QVERIFY2(!s.has(Symptom::LossNotDecreasing) && !s.has(Symptom::AccuracyNotIncreasing), qPrintable(s.symptoms()));
    }

    void anAdversarialLossIsNotExpectedToFall()
    {
        // A GAN's losses push against each other: a flat or rising one is no symptom.
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.run.model.lossAdversarial = true;
        for (int epoch = 0; epoch < 6; ++epoch)
            s.feed(s.snapshot(true), 1.386 + 0.3 * (epoch % 2));
        QVERIFY2(!s.has(Symptom::LossNotDecreasing) && !s.has(Symptom::OscillatingLoss), qPrintable(s.symptoms()));
    }

    void flatHighLossIsNotDecreasing()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        for (int epoch = 0; epoch < 5; ++epoch)
            s.feed(s.snapshot(true), 1.386, 0.25);
        QVERIFY(s.has(Symptom::LossNotDecreasing, -1));
        QVERIFY(s.has(Symptom::AccuracyNotIncreasing, -1));
        // ln 4 is the chance level for four classes: the evidence says so.
        for (const auto& f : s.run.findings)
            if (f.symptom == Symptom::LossNotDecreasing)
                QCOMPARE(f.value(QStringLiteral("chance_loss")), std::log(4.0));
    }

    void unchangedWeightsByUpdateRatioNotEquality()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        for (int i = 0; i < 3; ++i) {
            auto snapshot = s.snapshot(false);
            for (auto& sample : snapshot->layers)
                if (sample.layer == 1)
                    sample.updateRatio = 1e-10; // moving, but by nothing that matters
            s.feed(snapshot, 1.3);
        }
        QVERIFY2(s.has(Symptom::UnchangedWeights, 1), qPrintable(s.symptoms()));
        QVERIFY(!s.has(Symptom::UnchangedWeights, 3));
        // The other layers move at a normal rate: the optimizer does not update this one.
        for (const auto& f : s.run.findings)
            if (f.symptom == Symptom::UnchangedWeights)
                QVERIFY(f.fixClass == FixClass::ChangeOptimizer);
    }

    void saturatedHiddenSigmoidWithUnnormalisedData()
    {
        QVector<LayerSpec> specs {{QStringLiteral("Linear"), 8, 32}, {QStringLiteral("Sigmoid")}, {QStringLiteral("Linear"), 32, 4}};
        Stream s(specs, QStringLiteral("cross_entropy"));
        s.run.data.inputs.min = 0;
        s.run.data.inputs.max = 255;
        s.run.data.inputs.std = 80;
        for (int epoch = 0; epoch < 2; ++epoch) {
            auto snapshot = s.snapshot(true);
            for (auto& sample : snapshot->layers)
                if (sample.layer == 2)
                    sample.saturatedFraction = 0.9f;
            s.feed(snapshot, 1.3, 0.3);
        }
        QVERIFY(s.has(Symptom::SaturatedActivation, 2));
        QVERIFY(s.first()->fixClass == FixClass::ImproperData);
        QVERIFY(s.first()->checker.startsWith(QStringLiteral("data checker")));
    }

    void confidentOutputSigmoidOfATrainedModelIsNotSaturation()
    {
        QVector<LayerSpec> specs {{QStringLiteral("Linear"), 2, 16}, {QStringLiteral("ReLU")}, {QStringLiteral("Linear"), 16, 1},
                                  {QStringLiteral("Sigmoid")}};
        Stream s(specs, QStringLiteral("bce"));
        for (int epoch = 0; epoch < 4; ++epoch) {
            auto snapshot = s.snapshot(true);
            for (auto& sample : snapshot->layers)
                if (sample.layer == 4)
                    sample.saturatedFraction = 0.95f;
            s.feed(snapshot, 0.02, 0.99);
        }
        QVERIFY2(!s.has(Symptom::SaturatedActivation), qPrintable(s.symptoms()));
    }

    void vanishingAndExplodingGradients()
    {
        Stream vanishing(reluMlp(), QStringLiteral("cross_entropy"));
        for (int i = 0; i < 2; ++i) {
            auto snapshot = vanishing.snapshot(false);
            for (auto& sample : snapshot->layers)
                if (sample.layer == 1)
                    sample.stats(TensorKind::WeightGrad) = stats(0, 1e-9, 256);
            vanishing.feed(snapshot, 1.38);
        }
        QVERIFY2(vanishing.has(Symptom::VanishingGradient, 1), qPrintable(vanishing.symptoms()));
        QVERIFY(vanishing.first()->fixClass == FixClass::ChangeLayerCount); // ReLU, sound step size: too deep

        Stream exploding(reluMlp(), QStringLiteral("cross_entropy"));
        for (int i = 0; i < 2; ++i) {
            auto snapshot = exploding.snapshot(false);
            for (auto& sample : snapshot->layers)
                if (sample.layer == 5)
                    sample.stats(TensorKind::WeightGrad) = stats(0, 5e3, 128);
            exploding.feed(snapshot, 2.0);
        }
        QVERIFY2(exploding.has(Symptom::ExplodingGradient, 5), qPrintable(exploding.symptoms()));
    }

    void oscillatingLoss()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        // Swings that last two epochs (20 batches), longer than the windows that average noise away.
        for (int epoch = 0; epoch < 40; ++epoch)
            s.feed(s.snapshot(true), (epoch / 2) % 2 ? 0.9 : 1.4, 0.4);
        QVERIFY2(s.has(Symptom::OscillatingLoss, -1), qPrintable(s.symptoms()));
    }

    void outputRangeAgainstTheLoss_data()
    {
        QTest::addColumn<QString>("last");
        QTest::addColumn<QString>("loss");
        QTest::addColumn<bool>("fault");
        QTest::newRow("softmax into cross-entropy") << QStringLiteral("Softmax") << QStringLiteral("cross_entropy") << true;
        QTest::newRow("logits into cross-entropy") << QString() << QStringLiteral("cross_entropy") << false;
        QTest::newRow("softmax into NLL") << QStringLiteral("Softmax") << QStringLiteral("nll") << true;
        QTest::newRow("log-softmax into NLL") << QStringLiteral("LogSoftmax") << QStringLiteral("nll") << false;
        QTest::newRow("sigmoid into BCE-with-logits") << QStringLiteral("Sigmoid") << QStringLiteral("bce_with_logits") << true;
        QTest::newRow("ReLU into cross-entropy") << QStringLiteral("ReLU") << QStringLiteral("cross_entropy") << true;
    }

    void outputRangeAgainstTheLoss()
    {
        QFETCH(QString, last);
        QFETCH(QString, loss);
        QFETCH(bool, fault);
        Stream s(reluMlp(last), loss);
        s.feed(s.snapshot(false, true), 0);
        QCOMPARE(s.has(Symptom::OutOfRange), fault);
    }

    void regressionTargetsBeyondTheSigmoid()
    {
        QVector<LayerSpec> specs {{QStringLiteral("Linear"), 1, 5}, {QStringLiteral("Sigmoid")}, {QStringLiteral("Linear"), 5, 1},
                                  {QStringLiteral("Sigmoid")}};
        Stream s(specs, QStringLiteral("mse"));
        s.run.data.targets.min = 3;
        s.run.data.targets.max = 103;
        s.feed(s.snapshot(false, true), 0);
        QVERIFY(s.has(Symptom::OutOfRange, 4));
        QVERIFY(s.first()->fixClass == FixClass::ChangeActivation);
    }

    void rootCauseCheckers()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.feed(s.snapshot(false, true), 0);
        auto sample = s.snapshot(false);
        for (auto& layer : sample->layers)
            if (layer.updateRatio >= 0)
                layer.updateRatio = 0.5;
        s.feed(sample, 1.0);
        ModelFacts facts(s.run.model, s.run.data);
        const Thresholds thresholds;
        Checkers first(s.run, facts, thresholds);
        QCOMPARE(first.learningRate().verdict, LearningRateVerdict::TooHigh);
        QVERIFY(!first.data().fired);
        QVERIFY(!first.initialization().fired); // 1/fan_in is within the rule for ReLU

        s.run.snapshots.first() = [&] {
            auto initial = s.snapshot(false, true);
            for (auto& layer : initial->layers)
                if (layer.layer == 1)
                    layer.stats(TensorKind::Weight) = stats(0, 0, 256, 256); // zero initialisation
            return initial;
        }();
        Checkers again(s.run, facts, thresholds);
        QVERIFY(again.initialization().fired);
        QVERIFY(again.initialization().reason.contains(QStringLiteral("variance 0")));

        s.run.data.inputs.max = 255;
        Checkers data(s.run, facts, thresholds);
        QVERIFY(data.data().fired);
    }

    void thresholdsOverrideByName()
    {
        Thresholds thresholds;
        QString error;
        QVERIFY(thresholds.set(QStringLiteral("dead_unit_fraction"), QStringLiteral("0.9"), &error));
        QCOMPARE(thresholds[QStringLiteral("dead_unit_fraction")], 0.9);
        QVERIFY(!thresholds.set(QStringLiteral("no_such_threshold"), QStringLiteral("1"), &error));
        QVERIFY(error.contains(QStringLiteral("unknown threshold")));
        QVERIFY(!thresholds.set(QStringLiteral("sustain_epochs"), QStringLiteral("two"), &error));
        QCOMPARE(thresholds.overridden().keys(), QStringList {QStringLiteral("dead_unit_fraction")});

        // Raising it quiets the 80 % dead layer.
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.diagnoser = Diagnoser(thresholds);
        for (int epoch = 0; epoch < 3; ++epoch) {
            auto snapshot = s.snapshot(true);
            for (auto& sample : snapshot->layers)
                if (sample.layer == 2)
                    sample.deadFraction = 0.8f;
            s.feed(snapshot, 1.2 - 0.2 * epoch, 0.5 + 0.1 * epoch);
        }
        QVERIFY(!s.has(Symptom::DeadRelu));
    }

    void consequencesFollowTheirCause()
    {
        QVector<LayerSpec> specs {{QStringLiteral("Linear"), 8, 16}, {QStringLiteral("ReLU")}, {QStringLiteral("Linear"), 16, 1},
                                  {QStringLiteral("Softmax"), 0, 0, QStringLiteral("Softmax(dim=1)")}};
        Stream s(specs, QStringLiteral("bce"));
        s.feed(s.snapshot(false, true), 0);
        for (int epoch = 0; epoch < 5; ++epoch)
            s.feed(s.snapshot(true), 50, 0.5);
        QVERIFY(s.has(Symptom::LossNotDecreasing));
        QVERIFY(s.run.findings.first().symptom == Symptom::OutOfRange);
        for (const auto& f : s.run.findings)
            if (f.symptom == Symptom::LossNotDecreasing) {
                QCOMPARE(f.explainedBy, s.run.findings.first().key());
                QVERIFY(f.fixClass == FixClass::ChangeActivation);
            }
    }
    // ---- Checks that need no help from the program -------------------------------------

    void learningRateZeroOrNegative_data()
    {
        QTest::addColumn<double>("lr");
        QTest::addColumn<bool>("fault");
        QTest::newRow("negative") << -0.01 << true;
        QTest::newRow("zero") << 0.0 << true;
        QTest::newRow("positive") << 0.01 << false;
    }
    void learningRateZeroOrNegative()
    {
        QFETCH(double, lr);
        QFETCH(bool, fault);
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.run.model.optimizer = QStringLiteral("SGD");
        s.run.model.learningRate = lr;
        s.feed(s.snapshot(false, true), 0);
        QCOMPARE(s.has(Symptom::InvalidLearningRate), fault);
        if (fault) {
            QVERIFY(s.first()->fixClass == FixClass::ChangeLearningRate);
            QVERIFY(s.first()->fixText.contains(QStringLiteral("positive learning rate")));
        }
    }

    void hugeFirstStepIsJudgedBeforeAnythingOverflows_data()
    {
        QTest::addColumn<double>("ratio");
        QTest::addColumn<bool>("fault");
        QTest::newRow("first step moves the weights 3x their size") << 3.0 << true;
        QTest::newRow("a healthy first step") << 2e-3 << false;
    }
    void hugeFirstStepIsJudgedBeforeAnythingOverflows()
    {
        QFETCH(double, ratio);
        QFETCH(bool, fault);
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.run.model.optimizer = QStringLiteral("Adam");
        s.feed(s.snapshot(false, true), 0);
        s.feed(s.stepSample(ratio), 2.0);
        QCOMPARE(s.has(Symptom::InvalidLearningRate), fault);
        if (fault) {
            QVERIFY(s.first()->symptom == Symptom::InvalidLearningRate);
            QVERIFY(s.first()->fixClass == FixClass::ChangeLearningRate);
            QVERIFY2(s.first()->fixText.contains(QStringLiteral("Lower the learning rate")), qPrintable(s.first()->fixText));
        }
    }

    void layerLeftOutOfTheOptimizerButFrozenLayerIsAChoice_data()
    {
        QTest::addColumn<bool>("frozen");
        QTest::newRow("left out, trainable") << false;
        QTest::newRow("frozen on purpose") << true;
    }
    void layerLeftOutOfTheOptimizerButFrozenLayerIsAChoice()
    {
        QFETCH(bool, frozen);
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        for (Layer& layer : s.run.model.layers)
            for (auto& parameter : layer.parameters) {
                parameter.optimizer = layer.id == 3 ? Membership::NotInOptimizer : Membership::InOptimizer;
                parameter.frozen = layer.id == 3 && frozen;
            }
        s.feed(s.snapshot(false, true), 0);
        s.feed(s.snapshot(true), 1.0, 0.6);
        for (int i = 0; i < 4; ++i) {
            auto sample = s.snapshot(false);
            for (auto& layer : sample->layers)
                if (layer.layer == 3) {
                    layer.updateRatio = 0;
                    layer.stats(TensorKind::WeightGrad) = TensorStats();
                }
            s.feed(sample, 1.0 - 0.1 * i);
        }
        QCOMPARE(s.has(Symptom::NotInOptimizer, 3), !frozen);
        QVERIFY2(frozen ? !s.has(Symptom::UnchangedWeights) : true, qPrintable(s.symptoms()));
        if (!frozen)
            QVERIFY(s.first()->fixClass == FixClass::ChangeOptimizer);
        else
            QVERIFY2(s.run.findings.isEmpty(), qPrintable(s.symptoms()));
    }

    void gradientCutByADetach()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        for (int i = 0; i < 2; ++i) {
            auto sample = s.snapshot(false);
            for (auto& layer : sample->layers)
                if (layer.layer == 1) {
                    layer.noGradient = true;
                    layer.stats(TensorKind::WeightGrad) = TensorStats();
                }
            s.feed(sample, 1.2);
        }
        QVERIFY2(s.has(Symptom::NoGradient, 1), qPrintable(s.symptoms()));
        QVERIFY(s.first()->fixClass == FixClass::ChangeTrainingLoop);
    }

    void missingZeroGradVersusDeliberateAccumulation_data()
    {
        // .grad over this step's own gradient at each of 40 steps: exactly 1 right after
        // zero_grad() (and at the very first step), anything else without it.
        QTest::addColumn<QVector<double>>("ratios");
        QTest::addColumn<bool>("fault");
        QVector<double> never, onPurpose, zeroed, shorterAtFirst, clipped;
        for (int i = 0; i < 40; ++i) {
            never.append(1.0 + 0.5 * i);
            onPurpose.append(1.0 + 0.5 * (i % 4));
            zeroed.append(1.0);
            // Random directions: the sum of two steps can be shorter than the last one.
            shorterAtFirst.append(i == 0 ? 1.0 : i < 3 ? 0.7 : std::sqrt(double(i)));
            clipped.append(0.4); // clip_grad_norm_ scales .grad down
        }
        QTest::newRow("never zeroed") << never << true;
        QTest::newRow("never zeroed, the sum shorter than the last step at first") << shorterAtFirst << true;
        QTest::newRow("accumulating 4 batches on purpose") << onPurpose << false;
        QTest::newRow("zeroed every step") << zeroed << false;
        QTest::newRow("zeroed, then clipped") << clipped << false;
    }
    void missingZeroGradVersusDeliberateAccumulation()
    {
        QFETCH(QVector<double>, ratios);
        QFETCH(bool, fault);
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        for (int i = 0; i < 4; ++i)
            s.feed(s.snapshot(false), 1.2); // ten batch points each
        for (int i = 0; i < s.run.points.size(); ++i)
            s.run.points[i].accumulated = ratios.value(i, ratios.last());
        s.feed(s.snapshot(false), 1.2);
        QCOMPARE(s.has(Symptom::GradientAccumulation), fault);
        if (fault) {
            QVERIFY(s.first()->fixClass == FixClass::ChangeTrainingLoop);
            QVERIFY(s.first()->fixText.contains(QStringLiteral("zero_grad()")));
        }
    }

    void evalModeMattersOnlyWithDropoutOrBatchNorm_data()
    {
        QTest::addColumn<bool>("dropout");
        QTest::newRow("with Dropout") << true;
        QTest::newRow("plain MLP") << false;
    }
    void evalModeMattersOnlyWithDropoutOrBatchNorm()
    {
        QFETCH(bool, dropout);
        QVector<LayerSpec> specs = reluMlp();
        if (dropout)
            specs.insert(2, {QStringLiteral("Dropout"), 0, 0, QStringLiteral("Dropout(p=0.3, inplace=false)")});
        Stream s(specs, QStringLiteral("cross_entropy"));
        s.run.evalModeSnapshots = 3;
        s.feed(s.snapshot(false), 1.2);
        QVERIFY2(s.has(Symptom::EvalMode), qPrintable(s.symptoms()));
        QCOMPARE(s.first()->isFault(), dropout);
        QVERIFY(s.first()->fixClass == FixClass::ChangeTrainingLoop);
    }

    void constantInitialisationIsSymmetric()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        auto initial = s.snapshot(false, true);
        for (auto& sample : initial->layers)
            if (sample.layer == 1) {
                TensorStats& w = sample.stats(TensorKind::Weight);
                w.std = 0;
                w.min = w.max = w.mean = 0.05;
            }
        s.feed(initial, 0);
        QVERIFY2(s.has(Symptom::SymmetricWeights, 1), qPrintable(s.symptoms()));
        QVERIFY(!s.has(Symptom::SymmetricWeights, 3));
        QVERIFY(s.first()->fixClass == FixClass::ChangeInitialization);
    }

    void excessiveDropoutOnlyWhenTheModelCannotFit_data()
    {
        QTest::addColumn<double>("accuracy");
        QTest::addColumn<bool>("fault");
        QTest::newRow("stuck at chance") << 0.27 << true;
        QTest::newRow("learns anyway") << 0.85 << false;
    }
    void excessiveDropoutOnlyWhenTheModelCannotFit()
    {
        QFETCH(double, accuracy);
        QFETCH(bool, fault);
        QVector<LayerSpec> specs = reluMlp();
        specs.insert(2, {QStringLiteral("Dropout"), 0, 0, QStringLiteral("Dropout(p=0.9, inplace=false)")});
        Stream s(specs, QStringLiteral("cross_entropy"));
        s.feed(s.snapshot(false, true), 0);
        for (int epoch = 0; epoch < 4; ++epoch)
            s.feed(s.snapshot(true), fault ? 1.38 : 0.4 - 0.05 * epoch, accuracy + 0.001 * epoch);
        QCOMPARE(s.has(Symptom::ExcessiveDropout, 3), fault);
        if (fault) {
            QVERIFY(s.first()->fixClass == FixClass::ChangeLayerCount);
            for (const auto& f : s.run.findings)
                if (f.symptom == Symptom::AccuracyNotIncreasing)
                    QVERIFY(f.fixClass == FixClass::ChangeLayerCount);
        }
    }

    void classIndicesBeyondTheOutputs()
    {
        Stream s(reluMlp(), QString());
        s.run.data.targetsIntegral = true;
        s.run.data.targets.min = 1;
        s.run.data.targets.max = 4; // four outputs: indices 0..3
        s.feed(s.snapshot(false, true), 0);
        QVERIFY2(s.has(Symptom::InvalidTargets), qPrintable(s.symptoms()));
        QVERIFY(s.first()->fixClass == FixClass::ImproperData);
    }

    void undeclaredLossIsInferredFromTheTargets_data()
    {
        QTest::addColumn<QString>("last");
        QTest::addColumn<bool>("fault");
        QTest::newRow("Softmax before a cross-entropy") << QStringLiteral("Softmax") << true;
        QTest::newRow("LogSoftmax, as NLL wants") << QStringLiteral("LogSoftmax") << false;
        QTest::newRow("raw logits") << QString() << false;
    }
    void undeclaredLossIsInferredFromTheTargets()
    {
        QFETCH(QString, last);
        QFETCH(bool, fault);
        Stream s(reluMlp(last), QString()); // the program declared no loss
        s.run.data.targetsIntegral = true;
        s.run.data.targets.min = 0;
        s.run.data.targets.max = 3;
        s.feed(s.snapshot(false, true), 0);
        QCOMPARE(s.has(Symptom::OutOfRange), fault);
        if (fault)
            QVERIFY(s.first()->evidence.first().text.contains(QStringLiteral("(inferred)")));
    }

    void reluOutputBeforeNegativeRegressionTargets()
    {
        QVector<LayerSpec> specs {{QStringLiteral("Linear"), 8, 16}, {QStringLiteral("ReLU")}, {QStringLiteral("Linear"), 16, 1},
                                  {QStringLiteral("ReLU")}};
        Stream s(specs, QString());
        s.run.data.targets = stats(0, 1.5, 100);
        s.feed(s.snapshot(false, true), 0);
        QVERIFY2(s.has(Symptom::OutOfRange, 4), qPrintable(s.symptoms()));
        QVERIFY(s.first()->fixClass == FixClass::ChangeActivation);
    }

    void negativeLossOnClassTargetsIsNllOnScores()
    {
        Stream s(reluMlp(), QString());
        s.run.data.targetsIntegral = true;
        s.run.data.targets.min = 0;
        s.run.data.targets.max = 3;
        s.feed(s.snapshot(false), -2.5);
        QVERIFY2(s.has(Symptom::OutOfRange, 5), qPrintable(s.symptoms()));
        QVERIFY(s.first()->fixClass == FixClass::ChangeActivation);
        QVERIFY(s.first()->fixText.contains(QStringLiteral("LogSoftmax")));
    }

    void forwardOverflowOnInitialWeightsIsNotTheLearningRate()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        auto initial = s.snapshot(false, true);
        for (auto& sample : initial->layers)
            if (sample.layer >= 3)
                sample.stats(TensorKind::Activation) = stats(0, 1, 256 * 32, 0, 40);
        s.feed(initial, 0);
        QVERIFY2(s.has(Symptom::NumericalError, 3), qPrintable(s.symptoms()));
        QVERIFY(s.first()->fixClass != FixClass::ChangeLearningRate);
    }

    void lowLossWithAccuracyAtChanceHasNotLearned()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.feed(s.snapshot(false, true), 0);
        // A loss far below ln 4 while the accuracy stays at 1/4: the loss lies.
        for (int epoch = 0; epoch < 5; ++epoch)
            s.feed(s.snapshot(true), 0.05, 0.25);
        QVERIFY2(s.has(Symptom::AccuracyNotIncreasing), qPrintable(s.symptoms()));
    }

    void twoRealCausesAreBothReported()
    {
        // Weights drawn from N(0, 4) for 32 inputs (the fan-in rule for ReLU gives 1/16) and a
        // first step at SGD's rate 10 that moves the weights 5 times their size: both are
        // causes.
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.run.model.optimizer = QStringLiteral("SGD");
        s.run.model.learningRate = 10;
        auto initial = s.snapshot(false, true);
        for (auto& sample : initial->layers)
            if (sample.layer == 3)
                sample.stats(TensorKind::Weight) = stats(0, 2, 32 * 32);
        s.feed(initial, 0);
        QVERIFY2(!s.has(Symptom::PoorInitialization), qPrintable(s.symptoms())); // no symptom yet: a choice
        auto first = s.snapshot(false);
        for (auto& sample : first->layers) {
            if (sample.updateRatio >= 0)
                sample.updateRatio = 5;
            if (sample.layer >= 3)
                sample.stats(TensorKind::WeightGrad) = stats(0, 1, 1024, 0, 9);
        }
        s.feed(first, 3.0);
        QVERIFY2(s.has(Symptom::InvalidLearningRate) && s.has(Symptom::PoorInitialization, 3), qPrintable(s.symptoms()));
        QVERIFY(s.run.findings[0].symptom == Symptom::InvalidLearningRate);
        QVERIFY(s.run.findings[1].symptom == Symptom::PoorInitialization);
        QVERIFY(s.run.findings[1].fixClass == FixClass::ChangeInitialization);
        QVERIFY(s.run.findings[1].explainedBy.isEmpty());
        QVERIFY(s.run.findings[1].value(QStringLiteral("initial_weight_variance")) > 3.9);
    }

    void zeroGradientsOfAConvergedClassifierAreNotASymptom()
    {
        // A trained binary classifier whose output sigmoid is certain: its gradients are
        // exactly 0 in float while the loss is a few millionths.
        QVector<LayerSpec> specs {{QStringLiteral("Linear"), 8, 16}, {QStringLiteral("ReLU")}, {QStringLiteral("Linear"), 16, 1},
                                  {QStringLiteral("Sigmoid")}};
        Stream s(specs, QStringLiteral("bce"));
        for (int epoch = 0; epoch < 3; ++epoch)
            s.feed(s.snapshot(true), 0.3 / (epoch + 1), 0.9 + 0.05 * epoch);
        auto snapshot = s.snapshot(false);
        for (auto& sample : snapshot->layers)
            if (sample.stats(TensorKind::WeightGrad).present)
                sample.stats(TensorKind::WeightGrad).zeros = sample.stats(TensorKind::WeightGrad).count;
        s.feed(snapshot, 3e-6);
        QVERIFY2(!s.has(Symptom::ZeroSignal), qPrintable(s.symptoms()));
    }

    void plateauUnderAdamWithNothingToBlameIsAWarning()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.run.model.optimizer = QStringLiteral("Adam");
        s.feed(s.snapshot(false, true), 0);
        for (int epoch = 0; epoch < 5; ++epoch)
            s.feed(s.snapshot(true), 1.386, 0.25);
        QVERIFY2(s.has(Symptom::AccuracyNotIncreasing), qPrintable(s.symptoms()));
        for (const auto& f : s.run.findings) {
            QVERIFY2(!f.isFault(), qPrintable(f.key()));
            QVERIFY(!f.fixText.contains(QStringLiteral("torch::optim::Adam(")));
        }
    }

    void lossGraphShowsWhatTheProgramComputes_data()
    {
        QTest::addColumn<QStringList>("graph");
        QTest::addColumn<bool>("logSoftmaxModule");
        QTest::addColumn<bool>("fault");
        QTest::addColumn<int>("fix");
        QTest::addColumn<QString>("advice");
        const auto ce = [](const QString& activation) {
            QStringList graph {QStringLiteral("NllLossBackward"), QStringLiteral("LogSoftmaxBackward")};
            if (!activation.isEmpty())
                graph.append(activation);
            graph.append(QStringLiteral("AddmmBackward"));
            return graph;
        };
        QTest::newRow("torch::sigmoid before cross_entropy")
            << ce(QStringLiteral("SigmoidBackward")) << false << true << int(FixClass::ChangeActivation) << "torch::sigmoid";
        QTest::newRow("torch::softmax before cross_entropy")
            << ce(QStringLiteral("SoftmaxBackward")) << false << true << int(FixClass::ChangeActivation) << "torch::softmax";
        QTest::newRow("cross_entropy on the logits") << ce(QString()) << false << false << 0 << "";
        QTest::newRow("nll_loss on the logits")
            << QStringList {QStringLiteral("NllLossBackward"), QStringLiteral("AddmmBackward")} << false << true
            << int(FixClass::ChangeActivation) << "log_softmax";
        QTest::newRow("a LogSoftmax module and nll_loss") << ce(QString()) << true << false << 0 << "";
        QTest::newRow("BCE with logits against class indices")
            << QStringList {QStringLiteral("MeanBackward"), QStringLiteral("BinaryCrossEntropyWithLogitsBackward"),
                            QStringLiteral("AddmmBackward")}
            << false << true << int(FixClass::ChangeLoss) << "CrossEntropyLoss";
        QTest::newRow("a loss of several terms is not guessed at")
            << QStringList {QStringLiteral("AddBackward"), QStringLiteral("…")} << false << false << 0 << "";
    }
    void lossGraphShowsWhatTheProgramComputes()
    {
        QFETCH(QStringList, graph);
        QFETCH(bool, logSoftmaxModule);
        QFETCH(bool, fault);
        QFETCH(int, fix);
        QFETCH(QString, advice);
        // No loss declared; class indices 0..3 for 4 outputs.
        Stream s(reluMlp(logSoftmaxModule ? QStringLiteral("LogSoftmax") : QString()), QString());
        s.run.model.lossGraph = graph;
        s.run.data.targetsIntegral = true;
        s.run.data.targets = stats(1.5, 1.1, 256);
        s.run.data.targets.min = 0;
        s.run.data.targets.max = 3;
        s.feed(s.snapshot(false, true), 0);
        s.feed(s.snapshot(false), 1.3);
        s.feed(s.snapshot(true), 1.2, 0.4);
        QCOMPARE(s.has(Symptom::OutOfRange), fault);
        if (!fault) {
            QVERIFY2(s.run.findings.isEmpty(), qPrintable(s.symptoms()));
            return;
        }
        QVERIFY(s.first()->symptom == Symptom::OutOfRange);
        QCOMPARE(s.first()->layer, 5); // the last Linear, whose output the function squashes
        QCOMPARE(int(s.first()->fixClass), fix);
        QVERIFY2(s.first()->fixText.contains(advice), qPrintable(s.first()->fixText));
    }

    // step() given a number: no loss graph. A custom model's forward() ends in
    // torch::sigmoid, declared with ProbeOptions().output(): BCE on its output is sound, and
    // without the declaration the raw Linear output under BCE is out of range.
    void declaredOutputActivationStandsInForTheGraph_data()
    {
        QTest::addColumn<QString>("declared");
        QTest::addColumn<bool>("fault");
        QTest::newRow("torch::sigmoid declared") << QStringLiteral("Sigmoid") << false;
        QTest::newRow("nothing declared") << QString() << true;
    }
    void declaredOutputActivationStandsInForTheGraph()
    {
        QFETCH(QString, declared);
        QFETCH(bool, fault);
        Stream s(reluMlp(), QStringLiteral("bce"));
        s.run.model.outputActivation = declared;
        s.run.model.outputFunction = declared.isEmpty() ? QString() : QStringLiteral("torch::sigmoid");
        s.feed(s.snapshot(false, true), 0);
        s.feed(s.snapshot(false), 0.6);
        s.feed(s.snapshot(true), 0.5, 0.7);
        QVERIFY2(s.has(Symptom::OutOfRange) == fault, qPrintable(s.symptoms()));
    }

    void declaredNllWithAFunctionalLogSoftmaxIsSound()
    {
        Stream s(reluMlp(), QStringLiteral("nll"));
        s.run.model.lossGraph = {QStringLiteral("NllLossBackward"), QStringLiteral("LogSoftmaxBackward"),
                                 QStringLiteral("AddmmBackward")};
        s.feed(s.snapshot(false, true), 0);
        s.feed(s.snapshot(false), 1.3);
        s.feed(s.snapshot(true), 1.2, 0.4);
        QVERIFY2(s.run.findings.isEmpty(), qPrintable(s.symptoms()));
    }

    void lossGraphReading()
    {
        const LossGraphFacts mse = LossGraphFacts::read({QStringLiteral("MseLossBackward"), QStringLiteral("ViewBackward"),
                                                         QStringLiteral("ReluBackward"), QStringLiteral("AddmmBackward")});
        QVERIFY(mse.known && mse.loss == LossKind::MSE && mse.activation == ActivationKind::Relu);
        const LossGraphFacts logOfSoftmax = LossGraphFacts::read(
            {QStringLiteral("NllLossBackward"), QStringLiteral("LogBackward"), QStringLiteral("SoftmaxBackward"),
             QStringLiteral("AddmmBackward")});
        QVERIFY(logOfSoftmax.known && logOfSoftmax.loss == LossKind::CrossEntropy
                && logOfSoftmax.activation == ActivationKind::None);
        QVERIFY(!LossGraphFacts::read({QStringLiteral("AddBackward"), QStringLiteral("…")}).known);
        QVERIFY(!LossGraphFacts::read({}).known);
    }

    void recurrentWeightsAreDrawnForTheHiddenState()
    {
        Model model;
        Layer root;
        root.leaf = false;
        Layer lstm;
        lstm.id = 1;
        lstm.type = QStringLiteral("LSTM");
        lstm.inForwardOrder = true;
        lstm.parameters = {{QStringLiteral("weight_ih_l0"), {128, 1}}, {QStringLiteral("weight_hh_l0"), {128, 32}}};
        model.layers = {root, lstm};
        QCOMPARE(ModelFacts(model, DataDescription()).fanIn(1), qint64(32));
    }

    void unscaledInputsAreTheCauseOfAHugeFirstStep_data()
    {
        QTest::addColumn<double>("ratio");
        QTest::addColumn<bool>("fault");
        QTest::newRow("the first step moves the weights 3x their size") << 3.0 << true;
        QTest::newRow("no harm seen: a warning after two epochs") << 2e-3 << false;
    }
    void unscaledInputsAreTheCauseOfAHugeFirstStep()
    {
        QFETCH(double, ratio);
        QFETCH(bool, fault);
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.run.model.optimizer = QStringLiteral("SGD");
        s.run.data.inputs = stats(500, 290, 1000);
        s.run.data.inputs.min = 0;
        s.run.data.inputs.max = 1000;
        s.feed(s.snapshot(false, true), 0);
        s.feed(s.stepSample(ratio), 2.0);
        for (int epoch = 0; epoch < 2; ++epoch)
            s.feed(s.snapshot(true), 1.0 - 0.2 * epoch, 0.6 + 0.1 * epoch);
        QVERIFY2(!s.has(Symptom::InvalidLearningRate), qPrintable(s.symptoms()));
        QVERIFY2(s.has(Symptom::UnscaledData), qPrintable(s.symptoms()));
        QVERIFY(s.first()->symptom == Symptom::UnscaledData);
        QCOMPARE(s.first()->isFault(), fault);
        QVERIFY(s.first()->fixClass == FixClass::ImproperData);
        QVERIFY2(s.first()->fixText.contains(QStringLiteral("Normalise the inputs")), qPrintable(s.first()->fixText));
    }

    void firstLossFarAboveChanceNamesTheInitialisation_data()
    {
        QTest::addColumn<double>("firstLoss");
        QTest::addColumn<bool>("named");
        QTest::newRow("first loss 200 where guessing scores 1.39") << 200.0 << true;
        QTest::newRow("first loss near chance: the choice is left alone") << 1.5 << false;
    }
    void firstLossFarAboveChanceNamesTheInitialisation()
    {
        QFETCH(double, firstLoss);
        QFETCH(bool, named);
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        auto initial = s.snapshot(false, true);
        for (auto& sample : initial->layers)
            if (sample.layer == 3)
                sample.stats(TensorKind::Weight) = stats(0, 2, 32 * 32);
        s.feed(initial, 0);
        s.feed(s.snapshot(false), firstLoss);
        QCOMPARE(s.has(Symptom::PoorInitialization, 3), named);
    }

    void aHandfulOfWeightsSaysNothingOfTheirDraw()
    {
        // Two weights per unit: their spread is chance, not an initialisation scheme.
        QVector<LayerSpec> specs {{QStringLiteral("Linear"), 2, 2}, {QStringLiteral("ReLU")}, {QStringLiteral("Linear"), 2, 4}};
        Stream s(specs, QStringLiteral("cross_entropy"));
        auto initial = s.snapshot(false, true);
        for (auto& sample : initial->layers)
            if (sample.layer == 1)
                sample.stats(TensorKind::Weight) = stats(0, 1e-4, 4);
        s.feed(initial, 0);
        s.feed(s.snapshot(false), 200.0); // a first loss far above chance would name a real scheme
        QVERIFY2(!s.has(Symptom::PoorInitialization), qPrintable(s.symptoms()));
    }

    void initialisationNamedForAPlateauThatEndedClearsWithIt()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.run.model.optimizer = QStringLiteral("SGD");
        auto initial = s.snapshot(false, true);
        for (auto& sample : initial->layers)
            if (sample.layer == 3)
                sample.stats(TensorKind::Weight) = stats(0, 2, 32 * 32);
        s.feed(initial, 0);
        for (int epoch = 0; epoch < 5; ++epoch)
            s.feed(s.snapshot(true), 1.386, 0.25);
        QVERIFY2(s.has(Symptom::PoorInitialization, 3), qPrintable(s.symptoms()));
        s.feed(s.snapshot(true), 0.3, 0.9);
        for (const auto& f : s.run.findings)
            QVERIFY2(!f.isFault(), qPrintable(f.key() + QStringLiteral(": ") + f.summary));
    }

    void aGradientThatFadedOnAPlateauTrainingLeftClears()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        for (int epoch = 0; epoch < 3; ++epoch) {
            auto snapshot = s.snapshot(true);
            for (auto& sample : snapshot->layers)
                if (sample.layer == 1)
                    sample.stats(TensorKind::WeightGrad) = stats(0, 1e-9, 8 * 32);
            s.feed(snapshot, 1.386, 0.25);
        }
        QVERIFY2(s.has(Symptom::VanishingGradient), qPrintable(s.symptoms()));
        s.feed(s.snapshot(true), 0.3, 0.9);
        for (const auto& f : s.run.findings)
            if (f.symptom == Symptom::VanishingGradient)
                QVERIFY2(!f.isFault() && f.summary.contains(QStringLiteral("did not stop learning")), qPrintable(f.summary));
    }

    void aPlateauThatTrainingLeftIsAWarningInTheEnd()
    {
        Stream s(reluMlp(), QStringLiteral("cross_entropy"));
        s.run.model.optimizer = QStringLiteral("SGD");
        s.feed(s.snapshot(false, true), 0);
        for (int epoch = 0; epoch < 5; ++epoch)
            s.feed(s.snapshot(true), 1.386, 0.25);
        QVERIFY2(s.has(Symptom::LossNotDecreasing) && s.first()->isFault(), qPrintable(s.symptoms()));
        s.feed(s.snapshot(true), 0.9, 0.5);
        QVERIFY2(s.first()->isFault(), "a loss 35 % lower is not yet out of the plateau");
        s.feed(s.snapshot(true), 0.3, 0.9);
        for (const auto& f : s.run.findings) {
            QVERIFY2(!f.isFault(), qPrintable(f.key()));
            QVERIFY2(f.summary.contains(QStringLiteral("a plateau that training left")), qPrintable(f.summary));
        }
    }

    void everySymptomHasExactlyOneRule()
    {
        for (Symptom symptom : allSymptoms())
            QVERIFY2(ruleFor(symptom), qPrintable(symptomName(symptom)));
        QCOMPARE(int(rules().size()), kSymptomCount);
        for (Symptom symptom : allSymptoms())
            QVERIFY(symptomFromName(symptomName(symptom)) == symptom);
    }
};

QTEST_APPLESS_MAIN(TestDiagnosis)
#include "tst_diagnosis.moc"
