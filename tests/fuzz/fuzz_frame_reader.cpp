// libFuzzer target: the frame reader a probe and a client run on every byte from the other
// side. Any input, fed in pieces whose sizes the input also chooses, must end in frames, a
// wait for more, or a clear error — never a crash, a leak or undefined behaviour.
#include "framing.h"

#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>

// Protobuf logs every invalid UTF-8 string it parses; the reader's answer is what counts.
extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    google::protobuf::SetLogHandler(nullptr);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using traindx::wire::FrameReader;
    if (size == 0)
        return 0;
    // The first byte picks the piece size (1..256) and a small or the default frame limit.
    const std::size_t piece = std::size_t(data[0]) + 1;
    FrameReader reader(data[0] & 1 ? 4096 : traindx::wire::kMaxFrameBytes);
    traindx::wire::Frame frame;
    for (std::size_t offset = 1; offset < size; offset += piece) {
        const std::size_t n = offset + piece <= size ? piece : size - offset;
        reader.feed(reinterpret_cast<const char*>(data + offset), n);
        for (;;) {
            const auto status = reader.next(frame);
            if (status == FrameReader::Status::NeedMore)
                break;
            if (status == FrameReader::Status::Error)
                return 0; // the connection would be closed with reader.error()
            std::string why;
            if (frame.has_hello())
                traindx::wire::is_compatible(frame.hello(), &why);
            // What was read encodes again (the probe re-encodes frames for late clients).
            const std::string again = traindx::wire::encode_frame(frame);
            (void)again;
        }
    }
    return 0;
}
