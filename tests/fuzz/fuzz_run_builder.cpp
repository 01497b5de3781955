// libFuzzer target: what the engine does with frames a probe sends — the run model built
// from them and the diagnosis run on it, exactly as the session worker does. Any stream of
// well-framed but hostile frames (NaN everywhere, INT_MAX epochs, layers that name
// themselves as parents, histograms of any length) must leave both sound.
#include "diagnoser.h"
#include "framing.h"
#include "run_builder.h"

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
    using namespace traindx;
    wire::FrameReader reader;
    reader.feed(reinterpret_cast<const char*>(data), size);
    RunBuilder run;
    Diagnoser diagnoser;
    wire::Frame frame;
    while (reader.next(frame) == wire::FrameReader::Status::Frame) {
        if (frame.has_hello()) {
            run.applyHello(frame.hello());
            continue;
        }
        const RunBuilder::Applied applied = run.apply(frame);
        if (!applied.snapshot && applied.newPoints == 0)
            continue;
        RunState& state = run.state();
        const QVector<Finding> found = diagnoser.observe(state, applied.snapshot, applied.newPoints);
        state.findings += found;
        Diagnoser::settle(state.findings);
        diagnoser.review(state, applied.snapshot);
        (void)state.notDiagnosedReason();
        (void)state.epochsSinceConnect();
    }
    return 0;
}
