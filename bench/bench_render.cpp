// SPDX-License-Identifier: MIT
// Render benchmark: 16 stereo stems x 60 s at 48 kHz, each with a 4-band EQ, a compressor, fader
// and pan, into a master limiter. Renders with Mixroom (one thread) and with Debian's ffmpeg
// running the equivalent filter graph single-threaded, and prints both wall times, realtime
// factors and their ratio. Then the same mix with 48 automation lanes (every fader, pan and one EQ
// gain, a point every 100 ms) beside the static render (issue 17's target: <= 1.2x).
//   bench_render [--tracks N] [--seconds S] [--runs N] [--keep DIR] [--no-ffmpeg]
// Each render runs --runs times (default 5), Mixroom's and ffmpeg's alike; the best wall time
// counts and the median is shown, so a noisy neighbour on a shared machine does not decide, and
// each run's own ratios are printed as a range. Before each run's Mixroom renders an untimed one
// warms the machine up: on this 2-vCPU VM the first 0.3 s of work after any pause of a few
// seconds (here: the ffmpeg runs) ran ~40% slower, which a 3 s ffmpeg run does not notice.
#include "engine/render/Renderer.h"
#include "engine/stems/SessionStems.h"

#include <sndfile.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace mixroom::engine;
namespace fs = std::filesystem;

namespace {

double now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Music-like stems: a few detuned partials with an amplitude pattern plus a little noise.
void writeStem(const std::string& path, int index, int rate, double seconds)
{
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_24;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    std::mt19937 rng(static_cast<unsigned>(index) * 7919u + 1u);
    std::uniform_real_distribution<float> noise(-0.02f, 0.02f);
    const double base = 55.0 * std::pow(2.0, index / 5.0);
    const long long total = static_cast<long long>(seconds * rate);
    std::vector<float> buf(8192 * 2);
    for (long long pos = 0; pos < total;) {
        const int n = static_cast<int>(std::min<long long>(8192, total - pos));
        for (int i = 0; i < n; ++i) {
            const double t = static_cast<double>(pos + i) / rate;
            const double env = 0.5 + 0.5 * std::sin(2 * M_PI * (0.5 + 0.1 * index) * t);
            const double x =
                0.25 * env *
                (std::sin(2 * M_PI * base * t) + 0.5 * std::sin(2 * M_PI * base * 2.01 * t) + 0.25 * std::sin(2 * M_PI * base * 3.02 * t));
            buf[static_cast<size_t>(2 * i)] = static_cast<float>(x) + noise(rng);
            buf[static_cast<size_t>(2 * i + 1)] = static_cast<float>(0.9 * x) + noise(rng);
        }
        sf_writef_float(f, buf.data(), n);
        pos += n;
    }
    sf_close(f);
}

} // namespace

namespace {
struct Timing {
    std::vector<double> secs;
    void add(double t) { secs.push_back(t); }
    double best() const { return *std::min_element(secs.begin(), secs.end()); }
    double median() const
    {
        std::vector<double> v = secs;
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    }
};
} // namespace

int main(int argc, char** argv)
{
    int tracks = 16;
    double seconds = 60;
    bool runFfmpeg = true;
    int runs = 5;
    std::string keep, only;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--tracks" && i + 1 < argc)
            tracks = std::atoi(argv[++i]);
        else if (a == "--seconds" && i + 1 < argc)
            seconds = std::atof(argv[++i]);
        else if (a == "--runs" && i + 1 < argc)
            runs = std::max(1, std::atoi(argv[++i]));
        else if (a == "--keep" && i + 1 < argc)
            keep = argv[++i];
        else if (a == "--no-ffmpeg")
            runFfmpeg = false;
        else if (a == "--only" && i + 1 < argc && (std::string(argv[i + 1]) == "static" || std::string(argv[i + 1]) == "automated"))
            only = argv[++i];
        else if (a == "--help" || a == "-h") {
            std::printf("Usage: bench_render [--tracks N] [--seconds S] [--runs N] [--keep DIR] [--no-ffmpeg] [--only static|automated]\n"
                        "Renders N stereo stems (default 16 x 60 s at 48 kHz) with Mixroom on one thread and with\n"
                        "ffmpeg's equivalent filter graph (-filter_complex_threads 1), and prints both times.\n"
                        "--runs N (default 5): each run times both sides back to back; the best counts.\n"
                        "--only static|automated: render just that mix N times and print each time (for a profiler).\n");
            return 0;
        } else {
            std::fprintf(stderr, "bench_render: unknown argument '%s' (try --help)\n", a.c_str());
            return 2;
        }
    }
    const int rate = 48000;
    const fs::path dir = keep.empty() ? fs::temp_directory_path() / ("mixroom-bench-" + std::to_string(::getpid())) : fs::path(keep);
    fs::create_directories(dir);

    std::printf("Generating %d stereo stems x %.0f s at %d Hz in %s\n", tracks, seconds, rate, dir.c_str());
    Session s;
    s.sampleRate = rate;
    s.tail = 0;
    for (int t = 0; t < tracks; ++t) {
        const std::string name = "stem" + std::to_string(t) + ".wav";
        if (!fs::exists(dir / name)) writeStem((dir / name).string(), t, rate, seconds);
        Track tr;
        tr.id = "t" + std::to_string(t);
        tr.stem = name;
        tr.eq = {EqBand{EqType::LowShelf, 100, 2, 0.7071, true}, EqBand{EqType::Peak, 400, -3, 1, true},
                 EqBand{EqType::Peak, 3000, 2, 1, true}, EqBand{EqType::HighShelf, 10000, 1, 0.7071, true}};
        tr.comp = Compressor{true, -20, 3, 0, 10, 100, 0, Detector::Peak};
        tr.fader = -2;
        tr.pan = (t % 5 - 2) * 0.3;
        s.tracks.push_back(tr);
    }
    s.master.limiter = Limiter{true, -1, 5, 100};
    // The same mix with automation (issue 17): every fader, pan and the 3 kHz band's gain of each
    // track ride a lane with a point every 100 ms (linear segments, values from a seeded random walk).
    Session automated = s;
    {
        std::mt19937 rng(17);
        std::uniform_real_distribution<double> step(-1.0, 1.0);
        const int64_t every = rate / 10;
        const int64_t points = static_cast<int64_t>(seconds * 10) + 1;
        for (const Track& tr : s.tracks) {
            Lane fader, pan, gain;
            double f = tr.fader, p = tr.pan, g = 2;
            for (int64_t i = 0; i < points; ++i) {
                f = std::clamp(f + 0.5 * step(rng), -12.0, 0.0);
                p = std::clamp(p + 0.05 * step(rng), -1.0, 1.0);
                g = std::clamp(g + 0.3 * step(rng), -6.0, 6.0);
                fader.points.push_back({i * every, f, Curve::Linear});
                pan.points.push_back({i * every, p, Curve::Linear});
                gain.points.push_back({i * every, g, Curve::Linear});
            }
            automated.automation["tracks/" + tr.id + "/fader"] = fader;
            automated.automation["tracks/" + tr.id + "/pan"] = pan;
            automated.automation["tracks/" + tr.id + "/eq/3/gain"] = gain;
        }
    }

    StemStore store((dir / "store").string());
    const double t0 = now();
    auto stems = loadSessionStems(s, dir.string(), store);
    if (!stems) {
        std::fprintf(stderr, "bench_render: %s\n", stems.error().message.c_str());
        return 1;
    }
    const double importSecs = now() - t0;

    // The same chain in ffmpeg filters: bass/equalizer/treble are RBJ biquads; acompressor; volume;
    // pan as balance; amix without normalisation; alimiter at -1 dBFS. Like for like twice: the
    // chain alone, and the chain with ffmpeg's own EBU R 128 meter (integrated, LRA and true peak)
    // on its output, as Mixroom's report measures its output.
    std::string ffChain[2];
    if (runFfmpeg) {
        std::string cmd = "ffmpeg -nostdin -hide_banner -loglevel error -y -threads 1 -filter_complex_threads 1";
        for (int t = 0; t < tracks; ++t)
            cmd += " -i " + (dir / ("stem" + std::to_string(t) + ".wav")).string();
        std::string graph;
        for (int t = 0; t < tracks; ++t) {
            const double pan = (t % 5 - 2) * 0.3;
            const double gl = pan > 0 ? 1 - pan : 1, gr = pan < 0 ? 1 + pan : 1;
            char f[512];
            std::snprintf(f, sizeof f,
                          "[%d:a]bass=f=100:g=2:t=q:w=0.7071,equalizer=f=400:t=q:w=1:g=-3,equalizer=f=3000:t=q:w=1:g=2,"
                          "treble=f=10000:g=1:t=q:w=0.7071,acompressor=threshold=-20dB:ratio=3:attack=10:release=100:knee=1,"
                          "volume=-2dB,pan=stereo|c0=%.3f*c0|c1=%.3f*c1[a%d];",
                          t, gl, gr, t);
            graph += f;
        }
        for (int t = 0; t < tracks; ++t)
            graph += "[a" + std::to_string(t) + "]";
        graph += "amix=inputs=" + std::to_string(tracks) + ":normalize=0,alimiter=limit=0.891:level=false";
        for (const bool report : {false, true})
            ffChain[report ? 1 : 0] = cmd + " -filter_complex '" + graph + (report ? ",ebur128=peak=true" : "") +
                                      "[out]' -map '[out]' -c:a pcm_s24le " + (dir / "ffmpeg.wav").string();
    }

    // Each run times all four back to back, so that a machine that is slower for a while slows
    // both sides of a run's ratios. Every run writes a new file: removing the last one is outside
    // the timing, on both sides, and so is a sync() before each, so that no job waits for the
    // disk writes of the one before (a Mixroom render ends in fsync, which on ext4 also waits for
    // other files' data already on its way to the disk; ffmpeg's output is not synced).
    RenderOptions opt;
    opt.format = FileFormat::Wav24;
    Timing mixT, plainT, autoT, ffT, ffReportT;
    std::vector<double> ratioAuto;
    std::vector<double> ratioPlain, ratioReport;
    std::optional<RenderReport> rep;
    if (!only.empty()) { // one mix only, for a profiler
        const Session& which = only == "automated" ? automated : s;
        opt.measureLoudness = false;
        for (int r = 0; r < runs; ++r) {
            const double t1 = now();
            auto rendered = renderToFile(which, stems.value(), (dir / "only.wav").string(), opt);
            if (!rendered) {
                std::fprintf(stderr, "bench_render: %s\n", rendered.error().message.c_str());
                return 1;
            }
            std::printf("%s render: %.3f s\n", only.c_str(), now() - t1);
        }
        return 0;
    }
    for (int r = 0; r < runs; ++r) {
        opt.measureLoudness = false;
        if (auto warm = renderToFile(s, stems.value(), (dir / "warm-up.wav").string(), opt); !warm) {
            std::fprintf(stderr, "bench_render: %s\n", warm.error().message.c_str());
            return 1;
        }
        for (const bool report : {true, false}) {
            const fs::path out = dir / (report ? "mixroom.wav" : "mixroom-plain.wav");
            fs::remove(out);
            ::sync();
            opt.measureLoudness = report;
            const double t1 = now();
            auto rendered = renderToFile(s, stems.value(), out.string(), opt);
            (report ? mixT : plainT).add(now() - t1);
            if (!rendered) {
                std::fprintf(stderr, "bench_render: %s\n", rendered.error().message.c_str());
                return 1;
            }
            if (report) rep = rendered.value();
        }
        if (runFfmpeg) {
            for (const bool report : {false, true}) {
                fs::remove(dir / "ffmpeg.wav");
                ::sync();
                const double t2 = now();
                const int rc = std::system(ffChain[report ? 1 : 0].c_str());
                (report ? ffReportT : ffT).add(now() - t2);
                if (rc != 0) {
                    std::fprintf(stderr, "bench_render: ffmpeg failed (exit %d); is Debian's ffmpeg installed?\n", rc);
                    return 1;
                }
            }
            ratioPlain.push_back(ffT.secs.back() / plainT.secs.back());
            ratioReport.push_back(ffReportT.secs.back() / mixT.secs.back());
        }
        // The automated mix last, so it does not change what the static and ffmpeg runs measure.
        {
            const fs::path out = dir / "mixroom-automated.wav";
            fs::remove(out);
            ::sync();
            opt.measureLoudness = false;
            const double t1 = now();
            auto rendered = renderToFile(automated, stems.value(), out.string(), opt);
            autoT.add(now() - t1);
            if (!rendered) {
                std::fprintf(stderr, "bench_render: automated: %s\n", rendered.error().message.c_str());
                return 1;
            }
            ratioAuto.push_back(autoT.secs.back() / plainT.secs.back());
        }
    }
    const double mixSecs = mixT.best(), plainSecs = plainT.best();
    const double audio = static_cast<double>(rep->frames) / rate;
    std::printf("\nImport (decode, canonical float32, hash): %.2f s\n", importSecs);
    std::printf("Wall times: best of %d runs (median in brackets)\n", runs);
    std::printf("Mixroom render (1 thread, incl. loudness report, wav24): %.3f s (%.3f), %.1fx realtime\n", mixSecs, mixT.median(),
                audio / mixSecs);
    std::printf("Mixroom render (1 thread, render only, wav24):               %.3f s (%.3f), %.1fx realtime\n", plainSecs, plainT.median(),
                audio / plainSecs);
    std::printf("  integrated %.2f LUFS, true peak %.2f dBTP\n", rep->loudness.integrated, rep->loudness.truePeak);
    std::printf("Mixroom render, automated (%zu lanes: every fader, pan and one EQ gain, a point every 100 ms): %.3f s (%.3f), "
                "%.2fx the static render (run by run %.2f-%.2fx; target <= 1.2x)\n",
                automated.automation.size(), autoT.best(), autoT.median(), autoT.best() / plainSecs,
                *std::min_element(ratioAuto.begin(), ratioAuto.end()), *std::max_element(ratioAuto.begin(), ratioAuto.end()));
    if (runFfmpeg) {
        const double ffSecs = ffT.best(), ffReportSecs = ffReportT.best();
        std::printf("ffmpeg (-filter_complex_threads 1, same chain, wav24):     %.3f s (%.3f), %.1fx realtime\n", ffSecs, ffT.median(),
                    audio / ffSecs);
        std::printf("ffmpeg, same chain + ebur128=peak=true on the output:     %.3f s (%.3f), %.1fx realtime\n", ffReportSecs,
                    ffReportT.median(), audio / ffReportSecs);
        std::printf("Mixroom is %.1fx faster than ffmpeg like for like (render only), %.1fx with both measuring loudness and true peak\n",
                    ffSecs / plainSecs, ffReportSecs / mixSecs);
        auto range = [](const std::vector<double>& v) {
            return std::pair{*std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
        };
        const auto [pLo, pHi] = range(ratioPlain);
        const auto [rLo, rHi] = range(ratioReport);
        std::printf("  run by run: %.1f-%.1fx render only, %.1f-%.1fx with the reports\n", pLo, pHi, rLo, rHi);
    }
    if (keep.empty()) fs::remove_all(dir);
    return 0;
}
