#include "snapshot_parts.h"

namespace traindx::wire {

std::vector<Snapshot> split_snapshot(Snapshot&& snapshot, std::size_t part_bytes)
{
    std::vector<Snapshot> parts;
    if (snapshot.ByteSizeLong() <= part_bytes) {
        parts.push_back(std::move(snapshot));
        return parts;
    }
    google::protobuf::RepeatedPtrField<LayerStats> layers;
    layers.Swap(snapshot.mutable_layers());
    Snapshot part;
    std::size_t bytes = 0;
    auto start_part = [&] {
        part.Clear();
        part.set_step(snapshot.step());
        part.set_epoch(snapshot.epoch());
        part.set_batch(snapshot.batch());
        part.set_kind(snapshot.kind());
        part.set_continued(true);
        bytes = part.ByteSizeLong();
    };
    start_part();
    for (auto& layer : layers) {
        const std::size_t size = layer.ByteSizeLong() + 8;
        if (part.layers_size() > 0 && bytes + size > part_bytes) {
            parts.push_back(std::move(part));
            start_part();
        }
        *part.add_layers() = std::move(layer);
        bytes += size;
    }
    // The last part: the snapshot's own fields, with the layers of the part in progress.
    snapshot.mutable_layers()->Swap(part.mutable_layers());
    snapshot.set_continued(false);
    parts.push_back(std::move(snapshot));
    return parts;
}

std::optional<Snapshot> SnapshotAssembler::add(const Snapshot& part)
{
    const bool belongs = pending_ && pending_->step() == part.step() && pending_->kind() == part.kind();
    if (pending_ && !belongs) {
        discarded_ += 1;
        pending_.reset();
    }
    if (part.continued()) {
        if (!pending_) {
            pending_ = part;
        } else {
            for (const auto& layer : part.layers())
                *pending_->add_layers() = layer;
        }
        return std::nullopt;
    }
    if (!pending_)
        return part;
    Snapshot whole = part;
    whole.mutable_layers()->Clear();
    for (auto& layer : *pending_->mutable_layers())
        *whole.add_layers() = std::move(layer);
    for (const auto& layer : part.layers())
        *whole.add_layers() = layer;
    whole.set_continued(false);
    pending_.reset();
    return whole;
}

} // namespace traindx::wire
