#include "run_builder.h"

#include "framing.h"

#include <algorithm>
#include <limits>

namespace traindx {

namespace {

// Counters as a probe sends them, held to what a run can reach: a hostile or corrupt frame
// with a negative or INT_MAX epoch must not overflow the "+ 1" every view applies.
int counter(qint64 value)
{
    return int(std::clamp<qint64>(value, 0, std::numeric_limits<int>::max() - 1));
}

qint64 stepCounter(qint64 value)
{
    return std::clamp<qint64>(value, 0, qint64(1) << 62);
}

// A fraction from the wire: in [0, 1], NaN as 0 (found by fuzz_run_builder: an infinite
// dead fraction overflowed the count of dead units).
float share(float value)
{
    return value > 0 ? std::min(value, 1.0f) : 0.0f;
}


TensorStats convert(const wire::TensorStats& in)
{
    TensorStats out;
    out.present = true;
    out.count = in.count();
    out.mean = in.mean();
    out.std = in.std();
    out.min = in.min();
    out.max = in.max();
    out.l2 = in.l2();
    out.nan = in.nan();
    out.inf = in.inf();
    out.zeros = in.zeros();
    out.histLo = in.hist_lo();
    out.histHi = in.hist_hi();
    out.bins = QVector<quint32>(in.bins().begin(), in.bins().end());
    return out;
}

LayerSample convert(const wire::LayerStats& in)
{
    LayerSample out;
    out.layer = in.layer();
    if (in.has_weight())
        out.stats(TensorKind::Weight) = convert(in.weight());
    if (in.has_bias())
        out.stats(TensorKind::Bias) = convert(in.bias());
    if (in.has_weight_grad())
        out.stats(TensorKind::WeightGrad) = convert(in.weight_grad());
    if (in.has_bias_grad())
        out.stats(TensorKind::BiasGrad) = convert(in.bias_grad());
    if (in.has_activation())
        out.stats(TensorKind::Activation) = convert(in.activation());
    out.updateRatio = in.update_ratio();
    out.epochUpdateRatio = in.epoch_update_ratio();
    out.deadFraction = share(in.dead_fraction());
    out.saturatedFraction = share(in.saturated_fraction());
    out.unitActive.reserve(in.unit_active_size());
    for (float active : in.unit_active())
        out.unitActive.append(share(active));
    out.noGradient = in.no_gradient();
    return out;
}

JobSummary convert(const wire::JobSummary& in)
{
    JobSummary out;
    out.present = true;
    out.ranks = in.ranks();
    out.worldSize = in.world_size();
    out.slowestRank = in.slowest_rank();
    out.slowestSeconds = in.slowest_seconds();
    out.othersMedianSeconds = in.median_seconds();
    out.timedRanks = in.timed_ranks();
    out.largestGradientRank = in.largest_gradient_rank();
    out.largestGradientNorm = in.largest_gradient_norm();
    out.firstNonFiniteRank = in.first_nonfinite_rank();
    out.firstNonFiniteStep = in.first_nonfinite_step();
    out.firstNonFiniteInLoss = in.first_nonfinite_in_loss();
    for (const auto& d : in.deviations())
        out.deviations.append({d.layer(), d.rank(), d.deviation(), d.norm(), d.median()});
    out.unmixedRanks = QVector<int>(in.unmixed_ranks().begin(), in.unmixed_ranks().end());
    out.fallback = QString::fromStdString(in.fallback());
    return out;
}

Model convert(const wire::Model& in)
{
    Model out;
    out.name = QString::fromStdString(in.name());
    out.loss = in.loss_kind() != wire::LOSS_UNSPECIFIED && wire::LossKind_IsValid(in.loss_kind())
        ? LossKind(int(in.loss_kind()))
        : lossKindFromName(QString::fromStdString(in.loss()));
    out.optimizer = QString::fromStdString(in.optimizer());
    out.learningRate = in.learning_rate();
    out.parameterCount = in.parameter_count();
    out.probeBatchSize = in.probe_batch_size();
    for (const auto& node : in.loss_graph())
        out.lossGraph.append(QString::fromStdString(node));
    out.lossAdversarial = in.loss_adversarial();
    out.outputActivation = QString::fromStdString(in.output_activation());
    out.outputFunction = QString::fromStdString(in.output_function());
    for (const auto& optimizer : in.optimizers())
        out.optimizers.append({QString::fromStdString(optimizer.name()), QString::fromStdString(optimizer.type()),
                               optimizer.learning_rate()});
    for (const auto& layer : in.layers()) {
        Layer l;
        l.id = layer.id();
        l.index = layer.index();
        l.parent = layer.parent();
        l.leaf = layer.leaf();
        l.inForwardOrder = layer.in_forward_order();
        l.function = QString::fromStdString(layer.function());
        l.path = QString::fromStdString(layer.path());
        l.type = QString::fromStdString(layer.type());
        l.options = QString::fromStdString(layer.options());
        for (const auto& parameter : layer.parameters()) {
            ParameterShape shape {QString::fromStdString(parameter.name()),
                                  QVector<qint64>(parameter.dims().begin(), parameter.dims().end())};
            shape.frozen = parameter.frozen();
            shape.optimizer = parameter.optimizer() == wire::TensorShape::IN_OPTIMIZER ? Membership::InOptimizer
                : parameter.optimizer() == wire::TensorShape::NOT_IN_OPTIMIZER         ? Membership::NotInOptimizer
                                                                                      : Membership::Unknown;
            l.parameters.append(shape);
        }
        l.outputShape = QVector<qint64>(layer.output_shape().begin(), layer.output_shape().end());
        l.optimizer = layer.optimizer() >= 1 && layer.optimizer() <= out.optimizers.size() ? layer.optimizer() - 1 : -1;
        if (l.id != out.layers.size())
            continue; // ids are positions; a frame that breaks that is ignored rather than trusted
        out.layers.append(l);
    }
    for (const auto& edge : in.edges())
        if (edge.from() >= 0 && edge.from() < out.layers.size() && edge.to() >= 0 && edge.to() < out.layers.size())
            out.edges.append({edge.from(), edge.to()});
    return out;
}

// Every view walks from a layer up through its parents to the root: a parent that does not
// exist, or a chain that comes back on itself, would send them nowhere or round forever.
// Such a layer is put under the root; the return says which, for the user.
QString repairParents(Model& model)
{
    QStringList repaired;
    const int count = model.layers.size();
    for (int id = 1; id < count; ++id) {
        Layer& layer = model.layers[id];
        if (layer.parent < 0 || layer.parent >= count || layer.parent == id) {
            if (layer.parent != 0)
                repaired.append(layer.path.isEmpty() ? QString::number(id) : layer.path);
            layer.parent = 0;
            continue;
        }
        int steps = 0;
        for (int up = layer.parent; up > 0 && steps <= count; up = model.layers[up].parent) {
            ++steps;
            if (up < 0 || up >= count)
                break;
        }
        if (steps > count) {
            repaired.append(layer.path.isEmpty() ? QString::number(id) : layer.path);
            layer.parent = 0;
        }
    }
    if (repaired.isEmpty())
        return {};
    return QStringLiteral("the model's layer tree was inconsistent (a parent missing or a cycle); shown at the top "
                          "level: %1")
        .arg(repaired.mid(0, 5).join(QStringLiteral(", ")) + (repaired.size() > 5 ? QStringLiteral(", …") : QString()));
}

} // namespace

void RunBuilder::applyHello(const wire::Hello& hello)
{
    auto& program = state_.program;
    program.pid = hello.pid();
    program.program = QString::fromStdString(hello.program());
    program.arguments.clear();
    for (const auto& argument : hello.arguments())
        program.arguments.append(QString::fromStdString(argument));
    program.torchVersion = QString::fromStdString(hello.torch_version());
    program.traindxVersion = QString::fromStdString(hello.traindx_version());
    program.protocol = QString::fromStdString(wire::version_string(hello.protocol_major(), hello.protocol_minor()));
    program.rank = hello.rank();
    program.worldSize = hello.world_size();
    program.reduced = hello.reduced();
    program.startedUnixMs = hello.started_unix_ms();
    if (state_.model.name.isEmpty())
        state_.model.name = QString::fromStdString(hello.model_name());
    state_.epoch = counter(hello.epoch());
    state_.step = stepCounter(hello.step());
    program.epochAtConnect = counter(hello.epoch());
}

void RunBuilder::addPoint(const BatchPoint& point, Applied& applied)
{
    auto& points = state_.points;
    if (points.isEmpty() || point.step > points.last().step) {
        points.append(point);
        ++applied.newPoints;
        return;
    }
    // From the history a late client is sent first: keep the order, drop duplicates.
    const auto at = std::lower_bound(points.begin(), points.end(), point.step,
                                     [](const BatchPoint& p, qint64 step) { return p.step < step; });
    if (at != points.end() && at->step == point.step)
        return;
    points.insert(at.index(), point);
}

void RunBuilder::forgetOldestBatchSample()
{
    auto& snapshots = state_.snapshots;
    for (int i = 0; i < snapshots.size(); ++i) {
        if (snapshots[i]->epochEnd || snapshots[i]->initial)
            continue;
        snapshots.removeAt(i);
        for (int& index : state_.epochEnds)
            if (index > i)
                --index;
        --batchSamples_;
        return;
    }
}

void RunBuilder::thinOldEpochEnds()
{
    const int ends = state_.epochEnds.size();
    const int older = ends - kRecentEpochEndLayers - 1; // the first is always kept
    if (older <= kOlderEpochEndLayers || ends % 64 != 0)
        return;
    int stride = 1;
    while (older / stride > kOlderEpochEndLayers)
        stride *= 2;
    for (int ordinal = 1; ordinal <= older; ++ordinal) {
        SnapshotPtr& snapshot = state_.snapshots[state_.epochEnds[ordinal]];
        if (ordinal % stride == 0 || snapshot->layers.isEmpty())
            continue;
        auto kept = std::make_shared<Snapshot>(*snapshot); // views may still hold the full one
        kept->layers.clear();
        kept->layers.squeeze();
        snapshot = kept;
    }
}

RunBuilder::Applied RunBuilder::apply(const wire::Frame& frame)
{
    Applied applied;
    switch (frame.body_case()) {
    case wire::Frame::kModel: {
        // A probe's model only grows (taps add layers), and the snapshots kept name layers by
        // id: layers a new description would drop are kept as they were described.
        Model model = convert(frame.model());
        for (qsizetype id = model.layers.size(); id < state_.model.layers.size(); ++id)
            model.layers.append(state_.model.layers[id]);
        state_.model = std::move(model);
        if (const QString repaired = repairParents(state_.model); !repaired.isEmpty())
            state_.message = repaired;
        applied.model = true;
        break;
    }
    case wire::Frame::kData: {
        const auto& data = frame.data();
        auto& out = state_.data;
        out.present = true;
        out.inputs = convert(data.inputs());
        out.targets = convert(data.targets());
        out.inputShape = QVector<qint64>(data.input_shape().begin(), data.input_shape().end());
        out.targetShape = QVector<qint64>(data.target_shape().begin(), data.target_shape().end());
        out.targetsIntegral = data.targets_integral();
        applied.data = true;
        break;
    }
    case wire::Frame::kSnapshot: {
        std::optional<wire::Snapshot> assembled;
        if (frame.snapshot().continued() || parts_.pending()) {
            assembled = parts_.add(frame.snapshot());
            if (!assembled)
                break; // more parts of it to come
        }
        const auto& in = assembled ? *assembled : frame.snapshot();
        for (const auto& p : in.points())
            addPoint({stepCounter(p.step()), counter(p.epoch()), counter(p.batch()), p.loss(), p.accuracy(), p.has_accuracy(),
                      p.has_grad_norm() ? p.grad_norm() : -1.0, p.accumulated(), p.accumulated_optimizer() - 1,
                      p.compute_seconds()},
                     applied);
        state_.dropped = std::max<qint64>(state_.dropped, in.dropped());
        state_.probeSeconds += in.probe_seconds();
        state_.loopSeconds += in.loop_seconds();
        if (in.eval_mode())
            ++state_.evalModeSnapshots;
        if (in.kind() == wire::Snapshot::EPOCH_END)
            state_.windowSteps = std::max(0, in.window_steps());
        if (stepCounter(in.step()) >= state_.step) {
            state_.step = stepCounter(in.step());
            state_.epoch = counter(in.epoch()) + (in.kind() == wire::Snapshot::EPOCH_END ? 1 : 0);
            state_.batch = counter(in.batch());
        }
        if (in.layers_size() == 0 && in.kind() != wire::Snapshot::EPOCH_END)
            break;
        auto snapshot = std::make_shared<Snapshot>();
        snapshot->step = stepCounter(in.step());
        snapshot->epoch = counter(in.epoch());
        snapshot->batch = counter(in.batch());
        snapshot->epochEnd = in.kind() == wire::Snapshot::EPOCH_END;
        snapshot->initial = in.kind() == wire::Snapshot::INITIAL;
        snapshot->evalMode = in.eval_mode();
        for (const auto& [name, value] : in.metrics())
            snapshot->metrics.insert(QString::fromStdString(name), value);
        snapshot->learningRate = in.learning_rate();
        snapshot->probeSeconds = in.probe_seconds();
        snapshot->loopSeconds = in.loop_seconds();
        snapshot->dropped = in.dropped();
        snapshot->unixMs = in.unix_ms();
        snapshot->layers.reserve(in.layers_size());
        for (const auto& layer : in.layers())
            if (layer.layer() >= 0 && layer.layer() < state_.model.layers.size()) // statistics of no known layer are dropped
                snapshot->layers.append(convert(layer));
        if (in.has_job())
            snapshot->job = convert(in.job());
        state_.appendSnapshot(snapshot);
        applied.snapshot = snapshot;
        if (!snapshot->epochEnd && !snapshot->initial && ++batchSamples_ > kBatchSamplesKept)
            forgetOldestBatchSample();
        if (snapshot->epochEnd)
            thinOldEpochEnds();
        break;
    }
    case wire::Frame::kEvent: {
        const auto& event = frame.event();
        applied.event = true;
        switch (event.kind()) {
        case wire::Event::HELD:
            state_.state = TrainerState::Held;
            state_.heldAtEpochEnd = event.at_epoch_end();
            state_.heldInBackward = event.in_backward();
            state_.epoch = counter(event.epoch()) + (event.at_epoch_end() ? 1 : 0);
            state_.batch = counter(event.batch());
            state_.step = stepCounter(event.step());
            break;
        case wire::Event::RESUMED:
            if (state_.state == TrainerState::Held)
                state_.state = TrainerState::Running;
            break;
        case wire::Event::NONFINITE_GRADIENT:
            if (!state_.nonFiniteGradient.present) {
                NonFiniteGradient& n = state_.nonFiniteGradient;
                n.present = true;
                n.layer = event.layer() >= 0 && event.layer() < state_.model.layers.size() ? event.layer() : -1;
                n.parameter = QString::fromStdString(event.parameter());
                n.step = stepCounter(event.step());
                n.epoch = counter(event.epoch());
                n.batch = counter(event.batch());
                n.forward = event.forward();
                n.text = QString::fromStdString(event.text());
            }
            break;
        case wire::Event::CHANGE_APPLIED:
        case wire::Event::CHANGE_REFUSED:
            state_.changes.append({event.change_id(), stepCounter(event.step()), counter(event.epoch()), counter(event.batch()),
                                   event.kind() == wire::Event::CHANGE_APPLIED, event.at_epoch_end(),
                                   QString::fromStdString(event.text()),
                                   event.layer() >= 0 && event.layer() < state_.model.layers.size() ? event.layer() : -1,
                                   event.change_kind() == wire::Change::REINITIALISE});
            break;
        case wire::Event::ERROR:
        case wire::Event::STOPPING:
            state_.message = QString::fromStdString(event.text());
            break;
        default:
            break;
        }
        break;
    }
    default:
        break; // hello and control are handled by the connection; unknown bodies come from newer probes
    }
    return applied;
}

} // namespace traindx
