// Length-delimited framing of the TrainDx wire protocol. Qt-free: linked by the probe
// (inside training programs) and by the engine.
#pragma once

#include "traindx.pb.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace traindx::wire {

constexpr std::uint32_t kProtocolMajor = 1;
constexpr std::uint32_t kProtocolMinor = 2;

// A frame larger than this is refused: statistics frames scale with layers x bins and
// stay far below it; anything bigger is garbage or an attack.
constexpr std::size_t kMaxFrameBytes = 16u << 20;

// Appends the varint length prefix and the serialized frame to out.
void append_frame(std::string& out, const Frame& frame);
std::string encode_frame(const Frame& frame);

// Splits a byte stream into frames. Once it reports an error it stays in error: the
// stream cannot be resynchronised and the connection must be closed.
class FrameReader {
public:
    enum class Status { Frame, NeedMore, Error };

    explicit FrameReader(std::size_t max_frame_bytes = kMaxFrameBytes);

    void feed(const char* data, std::size_t size);
    Status next(Frame& frame);

    const std::string& error() const { return error_; }
    std::size_t buffered() const { return buffer_.size() - offset_; }

private:
    Status fail(std::string message);

    std::string buffer_;
    std::size_t offset_ = 0;
    std::size_t max_frame_bytes_;
    std::string error_;
};

std::string version_string(std::uint32_t major, std::uint32_t minor);

// Whether a peer that greeted with `hello` can be talked to. Only the major version
// must match; on a mismatch `why` names both versions.
bool is_compatible(const Hello& hello, std::string* why);

} // namespace traindx::wire
