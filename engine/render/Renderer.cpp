// SPDX-License-Identifier: MIT
#include "engine/render/Renderer.h"

#include "engine/render/GraphPlayer.h"

#include <algorithm>
#include <cmath>

namespace mixroom::engine {

int64_t renderLength(const Session& session, const MixGraph& graph)
{
    return graph.stemFrames() + static_cast<int64_t>(std::llround(session.tail * session.sampleRate));
}

Result<RenderReport> renderSession(const Session& session, const StemMap& stems, int blockSize,
                                   const std::function<Result<Ok>(const float*, const float*, int)>& sink,
                                   const std::function<void(double)>& progress, bool measureLoudness)
{
    if (blockSize < 1 || blockSize > MixGraph::kMaxBlock)
        return Error{"bad_block_size", "block size must be 1 to " + std::to_string(MixGraph::kMaxBlock)};
    auto built = MixGraph::build(session, stems);
    if (!built) return built.error();
    // The same player as the live previews (a render has no structural edits, so no hand-over).
    GraphPlayer player(std::shared_ptr<MixGraph>(std::move(built.value())));
    MixGraph& graph = player.graph();
    const int64_t total = renderLength(session, graph);
    int64_t skip = graph.latency(); // the limiter's lookahead: drop the first frames, render as many more
    LoudnessMeter meter(session.sampleRate);
    std::vector<float> l(static_cast<size_t>(blockSize)), r(static_cast<size_t>(blockSize));
    int64_t written = 0;
    int lastPercent = -1;
    while (written < total) {
        player.process(l.data(), r.data(), blockSize);
        int offset = 0;
        if (skip > 0) {
            offset = static_cast<int>(std::min<int64_t>(skip, blockSize));
            skip -= offset;
        }
        const int n = static_cast<int>(std::min<int64_t>(blockSize - offset, total - written));
        if (n <= 0) continue;
        if (measureLoudness) meter.add(l.data() + offset, r.data() + offset, n);
        if (auto ok = sink(l.data() + offset, r.data() + offset, n); !ok) return ok.error();
        written += n;
        const int percent = static_cast<int>(100 * written / std::max<int64_t>(total, 1));
        if (progress && percent != lastPercent) {
            lastPercent = percent;
            progress(static_cast<double>(written) / static_cast<double>(total));
        }
    }
    RenderReport rep;
    rep.loudness = meter.report();
    rep.frames = written;
    rep.sampleRate = session.sampleRate;
    for (const auto& s : graph.strips()) {
        StripReport sr{s.kind, s.id};
        const float peak = s.meter->totalPeak.load();
        const long long frames = s.meter->totalFrames.load();
        if (peak > 0) sr.peakDb = 20 * std::log10(peak);
        if (frames > 0 && s.meter->totalSumSq.load() > 0) sr.rmsDb = 10 * std::log10(s.meter->totalSumSq.load() / (2.0 * frames));
        rep.strips.push_back(sr);
    }
    return rep;
}

Result<RenderReport> renderToFile(const Session& session, const StemMap& stems, const std::string& path, const RenderOptions& options)
{
    auto writer = AudioFileWriter::create(path, options.format, session.sampleRate);
    if (!writer) return writer.error();
    AudioFileWriter& w = *writer.value();
    auto rep = renderSession(
        session, stems, options.blockSize, [&](const float* l, const float* r, int n) { return w.write(l, r, n); }, options.progress,
        options.measureLoudness);
    if (!rep) return rep;
    if (auto ok = w.finish(); !ok) return ok.error();
    rep->format = formatName(options.format);
    return rep;
}

} // namespace mixroom::engine
