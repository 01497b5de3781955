// Writes the fuzz targets' seed corpus: one file per frame kind, and whole streams of a
// short run as a probe sends them — a healthy one, one that goes NaN, one at INT_MAX epochs,
// and an epoch end sent in parts.
//   fuzz_seeds DIRECTORY
#include "framing.h"
#include "snapshot_parts.h"

#include <climits>
#include <cmath>
#include <fstream>
#include <limits>
#include <string>

using namespace traindx::wire;

namespace {

void write(const std::string& path, const std::string& bytes)
{
    std::ofstream(path, std::ios::binary) << bytes;
}

Frame hello(int epoch)
{
    Frame f;
    auto* h = f.mutable_hello();
    h->set_protocol_major(kProtocolMajor);
    h->set_protocol_minor(kProtocolMinor);
    h->set_role(Hello::PROBE);
    h->set_pid(4242);
    h->set_program("train");
    h->set_epoch(epoch);
    return f;
}

Frame model()
{
    Frame f;
    auto* m = f.mutable_model();
    m->set_name("mlp");
    m->set_loss_kind(LOSS_CROSS_ENTROPY);
    m->set_optimizer("SGD");
    m->set_learning_rate(0.1);
    const char* types[] = {"Sequential", "Linear", "ReLU", "Linear", "Softmax"};
    for (int id = 0; id < 5; ++id) {
        auto* layer = m->add_layers();
        layer->set_id(id);
        layer->set_path(id == 0 ? "" : std::to_string(id - 1));
        layer->set_type(types[id]);
        layer->set_parent(id == 0 ? -1 : 0);
        layer->set_leaf(id > 0);
        layer->set_in_forward_order(id > 0);
        layer->set_index(id - 1);
        layer->add_output_shape(32);
        layer->add_output_shape(id == 4 || id == 3 ? 1 : 16);
        if (types[id] == std::string("Linear")) {
            auto* w = layer->add_parameters();
            w->set_name("weight");
            w->add_dims(16);
            w->add_dims(8);
            auto* b = layer->add_parameters();
            b->set_name("bias");
            b->add_dims(16);
        }
        if (id > 1)
            m->add_edges()->set_from(id - 1), m->mutable_edges(m->edges_size() - 1)->set_to(id);
    }
    m->add_loss_graph("NllLossBackward");
    m->add_loss_graph("LogSoftmaxBackward");
    return f;
}

void stats(TensorStats* t, double mean, double spread, bool broken = false)
{
    t->set_count(128);
    t->set_mean(mean);
    t->set_std(spread);
    t->set_min(mean - 3 * spread);
    t->set_max(mean + 3 * spread);
    t->set_l2(std::abs(mean) * 11 + spread);
    t->set_nan(broken ? 128 : 0);
    t->set_hist_lo(mean - 3 * spread);
    t->set_hist_hi(mean + 3 * spread);
    for (int b = 0; b < 64; ++b)
        t->add_bins(std::uint32_t(64 - std::abs(b - 32)));
}

Frame snapshot(long long step, int epoch, Snapshot::Kind kind, double loss)
{
    Frame f;
    auto* s = f.mutable_snapshot();
    s->set_step(step);
    s->set_epoch(epoch);
    s->set_kind(kind);
    s->set_learning_rate(0.1);
    s->set_loop_seconds(0.5);
    s->set_probe_seconds(0.004);
    auto* p = s->add_points();
    p->set_step(step);
    p->set_epoch(epoch);
    p->set_loss(loss);
    p->set_accuracy(0.5);
    p->set_has_accuracy(true);
    p->set_grad_norm(1.5);
    p->set_has_grad_norm(true);
    p->set_accumulated(1);
    const bool broken = !std::isfinite(loss);
    for (int layer = 1; layer < 5; ++layer) {
        auto* l = s->add_layers();
        l->set_layer(layer);
        if (layer % 2) {
            stats(l->mutable_weight(), 0.01, 0.2, broken);
            stats(l->mutable_weight_grad(), 0, 0.001, broken);
            stats(l->mutable_bias(), 0, 0.1);
            l->set_update_ratio(0.001);
            l->set_epoch_update_ratio(0.01);
        }
        stats(l->mutable_activation(), 0.3, 0.5, broken);
        l->set_dead_fraction(layer == 2 ? 0.25f : 0.0f);
        for (int u = 0; u < 16; ++u)
            l->add_unit_active(u % 4 ? 0.5f : 0.0f);
    }
    if (kind == Snapshot::EPOCH_END) {
        (*s->mutable_metrics())["train_loss"] = loss;
        (*s->mutable_metrics())["val_accuracy"] = 0.5;
    }
    return f;
}

Frame data()
{
    Frame f;
    auto* d = f.mutable_data();
    stats(d->mutable_inputs(), 0.5, 0.3);
    stats(d->mutable_targets(), 4.5, 2.9);
    d->add_input_shape(1024);
    d->add_input_shape(8);
    d->add_target_shape(1024);
    d->set_targets_integral(true);
    return f;
}

Frame event(Event::Kind kind, long long step)
{
    Frame f;
    auto* e = f.mutable_event();
    e->set_kind(kind);
    e->set_step(step);
    e->set_layer(3);
    e->set_parameter("weight");
    e->set_text("seed");
    return f;
}

std::string stream(int firstEpoch, int epochs, bool goesNaN)
{
    std::string bytes = encode_frame(hello(firstEpoch)) + encode_frame(model()) + encode_frame(data());
    long long step = 0;
    bytes += encode_frame(snapshot(step, firstEpoch, Snapshot::INITIAL, 2.3));
    for (int e = 0; e < epochs; ++e) {
        const int epoch = firstEpoch + e;
        for (int b = 0; b < 3; ++b, ++step) {
            const double loss = goesNaN && e == epochs - 1 ? std::numeric_limits<double>::quiet_NaN() : 2.3 / (1 + step);
            bytes += encode_frame(snapshot(step, epoch, Snapshot::BATCH, loss));
        }
        bytes += encode_frame(snapshot(step, epoch, Snapshot::EPOCH_END, 2.3 / (1 + step)));
    }
    if (goesNaN)
        bytes += encode_frame(event(Event::NONFINITE_GRADIENT, step));
    bytes += encode_frame(event(Event::HELD, step)) + encode_frame(event(Event::FINISHED, step));
    return bytes;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2)
        return 2;
    const std::string dir = argv[1];
    write(dir + "/hello", encode_frame(hello(0)));
    write(dir + "/model", encode_frame(model()));
    write(dir + "/data", encode_frame(data()));
    write(dir + "/snapshot", encode_frame(snapshot(7, 0, Snapshot::BATCH, 0.7)));
    write(dir + "/epoch-end", encode_frame(snapshot(9, 0, Snapshot::EPOCH_END, 0.6)));
    write(dir + "/event", encode_frame(event(Event::NONFINITE_GRADIENT, 3)));
    write(dir + "/run-healthy", stream(0, 4, false));
    write(dir + "/run-nan", stream(0, 3, true));
    write(dir + "/run-int-max-epochs", stream(INT_MAX - 2, 3, false));
    std::string parts;
    for (auto& part : split_snapshot(Snapshot(snapshot(9, 0, Snapshot::EPOCH_END, 0.6).snapshot()), 64)) {
        Frame frame;
        *frame.mutable_snapshot() = std::move(part);
        parts += encode_frame(frame);
    }
    write(dir + "/epoch-end-in-parts", encode_frame(model()) + parts);
    return 0;
}
