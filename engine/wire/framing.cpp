#include "framing.h"

namespace traindx::wire {

namespace {

void append_varint(std::string& out, std::uint64_t value)
{
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

constexpr int kMaxVarintBytes = 5; // a frame length fits in 32 bits

} // namespace

void append_frame(std::string& out, const Frame& frame)
{
    const std::size_t size = frame.ByteSizeLong();
    append_varint(out, size);
    const std::size_t start = out.size();
    out.resize(start + size);
    frame.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(&out[start]));
}

std::string encode_frame(const Frame& frame)
{
    std::string out;
    append_frame(out, frame);
    return out;
}

FrameReader::FrameReader(std::size_t max_frame_bytes)
    : max_frame_bytes_(max_frame_bytes)
{
}

void FrameReader::feed(const char* data, std::size_t size)
{
    if (!error_.empty())
        return;
    if (offset_ > 0 && offset_ * 2 >= buffer_.size()) {
        buffer_.erase(0, offset_);
        offset_ = 0;
    }
    buffer_.append(data, size);
}

FrameReader::Status FrameReader::fail(std::string message)
{
    error_ = std::move(message);
    buffer_.clear();
    offset_ = 0;
    return Status::Error;
}

FrameReader::Status FrameReader::next(Frame& frame)
{
    if (!error_.empty())
        return Status::Error;

    std::uint64_t length = 0;
    std::size_t pos = offset_;
    int shift = 0;
    for (;;) {
        if (pos >= buffer_.size())
            return Status::NeedMore;
        const auto byte = static_cast<std::uint8_t>(buffer_[pos++]);
        length |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            break;
        shift += 7;
        if (shift >= 7 * kMaxVarintBytes)
            return fail("malformed frame: the length prefix is not a valid varint");
    }
    if (length > max_frame_bytes_)
        return fail("oversized frame: " + std::to_string(length) + " bytes announced, the limit is "
                    + std::to_string(max_frame_bytes_) + " bytes");
    if (buffer_.size() - pos < length)
        return Status::NeedMore;

    frame.Clear();
    if (!frame.ParseFromArray(buffer_.data() + pos, static_cast<int>(length)))
        return fail("malformed frame: " + std::to_string(length) + " bytes that do not decode as a TrainDx frame");
    offset_ = pos + length;
    return Status::Frame;
}

std::string version_string(std::uint32_t major, std::uint32_t minor)
{
    return std::to_string(major) + "." + std::to_string(minor);
}

bool is_compatible(const Hello& hello, std::string* why)
{
    if (hello.protocol_major() == kProtocolMajor)
        return true;
    if (why) {
        const bool peer_is_probe = hello.role() == Hello::PROBE;
        *why = std::string("protocol version mismatch: ") + (peer_is_probe ? "the probe speaks " : "the client speaks ")
            + version_string(hello.protocol_major(), hello.protocol_minor()) + ", "
            + (peer_is_probe ? "this client speaks " : "this probe speaks ")
            + version_string(kProtocolMajor, kProtocolMinor) + " (the major versions must match)";
    }
    return false;
}

} // namespace traindx::wire
