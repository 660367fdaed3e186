// SPDX-License-Identifier: MIT
#pragma once
// Offline render: the same MixGraph as the live path, run as fast as possible from frame 0 to the
// end of the longest stem plus the session's tail, latency-compensated, into a file and a loudness
// meter. Deterministic: the same session and stems give bit-identical files.
// Thread: any non-audio thread (a render owns its graph).
#include "engine/model/Session.h"
#include "engine/render/AudioFileWriter.h"
#include "engine/render/LoudnessMeter.h"
#include "engine/render/MixGraph.h"

#include <functional>
#include <string>
#include <vector>

namespace mixroom::engine {

struct StripReport {
    std::string kind, id;
    double peakDb = -HUGE_VAL;
    double rmsDb = -HUGE_VAL;
};

struct RenderReport {
    LoudnessReport loudness;
    std::vector<StripReport> strips;
    int64_t frames = 0;
    int sampleRate = 0;
    std::string format;
};

struct RenderOptions {
    FileFormat format = FileFormat::Wav24;
    int blockSize = 1024;
    bool measureLoudness = true; // the EBU R 128 report; off only for like-for-like benchmarks
    std::function<void(double fraction)> progress;
};

// Frames an offline render of `graph` produces: the longest stem plus the tail.
int64_t renderLength(const Session& session, const MixGraph& graph);

// Renders into `sink` (called per block with latency-compensated audio); returns the report.
Result<RenderReport> renderSession(const Session& session, const StemMap& stems, int blockSize,
                                   const std::function<Result<Ok>(const float*, const float*, int)>& sink,
                                   const std::function<void(double)>& progress = {}, bool measureLoudness = true);
// Renders to a file.
Result<RenderReport> renderToFile(const Session& session, const StemMap& stems, const std::string& path, const RenderOptions& options);

} // namespace mixroom::engine
