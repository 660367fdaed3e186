// SPDX-License-Identifier: MIT
#pragma once
// The mix as a processing graph built from a Session: tracks (reading their stems) -> group buses
// -> master, with sends into aux returns (reverb, delay) that return to the master. The structure
// is immutable once built; a structural edit builds a new graph off the audio thread, which takes
// over the old graph's DSP state strip by strip (adoptState, by strip id) when it is swapped in
// (see GraphPlayer). Scalar parameters arrive through setParams() into the graph's ParamMirror
// (atomics derived from the field table) and glide in the DSP.
// Automation lanes (issue 17) live in the graph; each block, lanes on gains and EQ bands become
// schedules of the strips' glides (processScheduled), lanes on anything else split the block at
// every grid step (applyAutomation).
// Master chain: EQ -> glue compressor -> width (M/S) -> fader -> true-peak limiter.
//
// Threads: build() and setParams() on a control thread; process(), seek() and adoptState() on
// the audio thread only (never allocate, lock or do I/O); meters readable from any thread.
#include "engine/dsp/Compressor.h"
#include "engine/dsp/Equalizer.h"
#include "engine/dsp/Limiter.h"
#include "engine/dsp/Reverb.h"
#include "engine/dsp/StereoDelay.h"
#include "engine/model/Automation.h"
#include "engine/model/Session.h"
#include "engine/render/ParamMirror.h"
#include "engine/render/StripDsp.h"
#include "engine/stems/StemSource.h"
#include "engine/util/Result.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mixroom::engine {

using StemMap = std::map<std::string, std::shared_ptr<const StemSource>>; // track id -> stem

struct MasterMeter {
    std::atomic<float> peak{0};
    std::atomic<float> compReduction{0};
    std::atomic<float> limiterReduction{0};
};

class MixGraph {
  public:
    static constexpr int kMaxBlock = 4096;
    // Automation lanes are evaluated every kAutomationGrid samples of song position, and each
    // value glides over the next kAutomationGrid samples (a stepped segment over the edit glide).
    static constexpr int kAutomationGrid = 16;
    // Checks routing (outputs, sends) and that every track has its stem at the session rate.
    static Result<std::unique_ptr<MixGraph>> build(const Session& session, const StemMap& stems);
    ~MixGraph();

    // A document's scalar parameters with the key of its shape: what a graph is built from
    // besides scalar values (strips, routing, stems, bands, sends, effect types, lookahead, tail).
    // Computed once per commit, published into every graph of that shape. [control thread]
    struct Params {
        std::string structure;
        std::vector<double> values; // ParamMirror order
    };
    static Params paramsOf(const Session& session);
    // Publishes the parameters (false, and nothing published, for another shape). [control thread]
    bool setParams(const Params& params);
    bool setParams(const Session& session) { return setParams(paramsOf(session)); }
    // Takes over the DSP state of `old` for every strip that both graphs have (by kind and id),
    // the master chain and the playhead. keepOld: copy, so `old` can go on running (crossfade);
    // otherwise the state moves and `old` is left for retirement. No allocation. [audio thread]
    void adoptState(MixGraph& old, bool keepOld);
    // Whether going from `before` to `after` (the documents of two graphs) changes the sound in a
    // way glides cannot follow: strips or sends removed, routing, stems or effect types changed,
    // bands removed, a new lookahead, a new track. Such swaps are crossfaded; others are exact.
    static bool needsCrossfade(const Session& before, const Session& after);
    // Renders the next n (<= kMaxBlock) frames into left/right. [audio thread]
    void process(float* left, float* right, int n);
    // Moves the playhead (frames at the session rate). Effects keep ringing. [audio thread]
    void seek(int64_t frame) { m_pos = frame; }
    int64_t position() const { return m_pos; }

    int sampleRate() const { return m_rate; }
    int latency() const { return m_limiter.latencySamples(); }
    int64_t stemFrames() const { return m_stemFrames; } // the longest stem
    // The stems the tracks read (for StemPrefetcher). [any thread; immutable after build]
    std::vector<std::shared_ptr<const StemSource>> stemSources() const;

    struct StripRef {
        std::string kind; // "track", "group", "return"
        std::string id;
        const StripMeter* meter;
    };
    std::vector<StripRef> strips() const;
    const MasterMeter& masterMeter() const { return m_masterMeter; }

  private:
    MixGraph() = default;
    struct Node;
    void pullParams();
    // Puts the model's values into the DSP, gliding over `glide` samples (-1: the edit glide).
    void applyModel(int glide);
    // Sets every lane's value for the grid step at `pos` into the model and applies what changed
    // (everything when `force`: new static values arrived).
    void applyAutomation(int64_t pos, bool force);
    // Automation of gains and EQ bands only: the lanes' grid steps in the block become schedules
    // of the strips' and master's glides, and the block runs whole.
    void processScheduled(float* left, float* right, int n);
    void renderBlock(float* left, float* right, int n);

    // What a lane drives, for the scheduled path (Other: anything else, which splits the graph
    // at every grid step and applies the whole model there).
    enum class Target { Other, Trim, Fader, Pan, Send, EqFreq, EqGain, EqQ, MasterFader, MasterWidth };
    struct RtLane {
        FieldRef ref;      // into m_model
        LaneCursor cursor; // its lane and row
        Target target = Target::Other;
        Node* node = nullptr; // the strip, for strip targets
        int index = 0;        // the send's return, the EQ band
        bool declick = false; // an EQ lane with stepped segments (see LaneCursor::declicked)
    };
    std::vector<RtLane> m_lanes; // lanes not off, resolved at build
    bool m_glideSet = false;     // a grid glide is set on the DSP
    bool m_scheduled = false;    // every lane has a scheduled target
    static constexpr int kMaxSteps = kMaxBlock / kAutomationGrid + 1;
    std::vector<int> m_stepOffsets;   // the block's grid steps (offsets into the block)
    std::vector<double> m_laneValues; // per lane, kMaxSteps values
    std::vector<char> m_laneSteps;    // per lane and step: a stepped segment jumps within it
    std::vector<int> m_masterGlides;
    std::vector<double> m_masterFaderSteps, m_masterWidthSteps, m_rampScratch;
    int m_masterFaderLane = -1, m_masterWidthLane = -1;
    int m_masterSteps = -1; // the block's steps while a scheduled block renders
    void classify(const std::string& path, RtLane& lane);
    void prepareSchedules();

    Session m_model;         // the audio thread's copy of the document; ParamMirror writes its scalars
    std::string m_structure; // structureKey() of the document built from
    ParamMirror m_mirror;
    int m_rate = 48000;
    int64_t m_pos = 0;
    int64_t m_stemFrames = 0;
    std::vector<std::unique_ptr<Node>> m_tracks, m_groups, m_returns;
    std::vector<int> m_trackOutput; // index into m_groups, -1 for master
    std::vector<float> m_masterL, m_masterR;
    std::vector<float*> m_sendL, m_sendR; // return input buffers
    // Master
    int m_masterEqBands = 0;
    Equalizer m_masterEq;
    CompressorDsp m_masterComp;
    Ramp m_width, m_masterFader;
    LimiterDsp m_limiter;
    MasterMeter m_masterMeter;
    bool m_firstBlock = true; // no glides yet (taken over from the old graph by adoptState)
    bool m_unapplied = true;  // the model has not reached the DSP yet
};

} // namespace mixroom::engine
