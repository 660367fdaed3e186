// SPDX-License-Identifier: MIT
#pragma once
// Scalar parameters as atomics: the control thread stores, the audio thread loads once per block
// (when the graph's parameter version moved). Plain values come out as the model's own structs.
// Thread: store*() on the control thread; load*() on the audio thread. Lock-free on x86-64/ARM64.
#include "engine/model/Session.h"

#include <array>
#include <atomic>
#include <memory>

namespace mixroom::engine {

struct AtomicEqBand {
    std::atomic<int> type{static_cast<int>(EqType::Peak)};
    std::atomic<double> freq{1000}, gain{0}, q{0.7071};
    std::atomic<bool> enabled{false};
    void store(const EqBand& b)
    {
        type.store(static_cast<int>(b.type), std::memory_order_relaxed);
        freq.store(b.freq, std::memory_order_relaxed);
        gain.store(b.gain, std::memory_order_relaxed);
        q.store(b.q, std::memory_order_relaxed);
        enabled.store(b.enabled, std::memory_order_relaxed);
    }
    EqBand load() const
    {
        return {static_cast<EqType>(type.load(std::memory_order_relaxed)), freq.load(std::memory_order_relaxed),
                gain.load(std::memory_order_relaxed), q.load(std::memory_order_relaxed), enabled.load(std::memory_order_relaxed)};
    }
};

struct AtomicCompressor {
    std::atomic<bool> enabled{false};
    std::atomic<double> threshold{-20}, ratio{4}, knee{6}, attack{10}, release{100}, makeup{0};
    std::atomic<int> detector{0};
    void store(const Compressor& c)
    {
        enabled.store(c.enabled, std::memory_order_relaxed);
        threshold.store(c.threshold, std::memory_order_relaxed);
        ratio.store(c.ratio, std::memory_order_relaxed);
        knee.store(c.knee, std::memory_order_relaxed);
        attack.store(c.attack, std::memory_order_relaxed);
        release.store(c.release, std::memory_order_relaxed);
        makeup.store(c.makeup, std::memory_order_relaxed);
        detector.store(static_cast<int>(c.detector), std::memory_order_relaxed);
    }
    Compressor load() const
    {
        Compressor c;
        c.enabled = enabled.load(std::memory_order_relaxed);
        c.threshold = threshold.load(std::memory_order_relaxed);
        c.ratio = ratio.load(std::memory_order_relaxed);
        c.knee = knee.load(std::memory_order_relaxed);
        c.attack = attack.load(std::memory_order_relaxed);
        c.release = release.load(std::memory_order_relaxed);
        c.makeup = makeup.load(std::memory_order_relaxed);
        c.detector = static_cast<Detector>(detector.load(std::memory_order_relaxed));
        return c;
    }
};

// Plain per-block values of one strip, as the DSP reads them.
struct StripValues {
    double trim = 0, fader = 0, pan = 0;
    bool polarity = false;
    bool muted = false; // mute, or silenced by another strip's solo
    std::array<EqBand, kMaxEqBands> eq{};
    Compressor comp;
};

struct StripControls {
    std::atomic<double> trim{0}, fader{0}, pan{0};
    std::atomic<bool> polarity{false}, muted{false};
    std::array<AtomicEqBand, kMaxEqBands> eq;
    AtomicCompressor comp;
    // Send level (dB) and pre-fader flag, one per aux return of the graph, in return order.
    std::unique_ptr<std::atomic<double>[]> sendLevel;
    std::unique_ptr<std::atomic<bool>[]> sendPre;

    void store(const Strip& s, bool soloMuted, const std::vector<Return>& returns);
    void load(StripValues& v) const;
};

} // namespace mixroom::engine
