// SPDX-License-Identifier: MIT
#pragma once
// The mix description: plain value types, no behaviour beyond lookup. Every field is reachable by a
// parameter path (see ParamTable.h), which is how the JSON codec, the server and the clients edit it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mixroom::engine {

enum class EqType { HighPass12, HighPass24, LowPass12, LowPass24, LowShelf, HighShelf, Peak };
enum class Detector { Peak, Rms };
enum class EffectType { Reverb, Delay };

struct EqBand {
    EqType type = EqType::Peak;
    double freq = 1000.0; // Hz
    double gain = 0.0;    // dB (shelves and peak)
    double q = 0.7071;    // peak bandwidth, shelf slope and 12 dB/oct filter resonance
    bool enabled = true;
    bool operator==(const EqBand&) const = default;
};

struct Compressor {
    bool enabled = false;
    double threshold = -20.0; // dBFS
    double ratio = 4.0;       // :1
    double knee = 6.0;        // dB, total width
    double attack = 10.0;     // ms
    double release = 100.0;   // ms
    double makeup = 0.0;      // dB
    Detector detector = Detector::Peak;
    bool operator==(const Compressor&) const = default;
};

struct Send {
    std::string to;        // aux return id
    double level = -144.0; // dB; the minimum means off
    bool pre = false;      // pre-fader when true
    bool operator==(const Send&) const = default;
};

// The channel strip shared by tracks, group buses and aux returns.
struct Strip {
    std::string id;
    std::string name;
    double trim = 0.0; // dB
    bool polarity = false;
    double fader = 0.0; // dB; -144 is -inf
    double pan = 0.0;   // -1 .. +1
    bool mute = false;
    bool solo = false;
    std::vector<EqBand> eq;
    Compressor comp;
    std::vector<Send> sends;
    bool operator==(const Strip&) const = default;
};

struct Track : Strip {
    std::string stem;              // file path (relative to the session file) or content hash
    std::string output = "master"; // "master" or a group id
    bool operator==(const Track&) const = default;
};

struct Group : Strip {
    bool operator==(const Group&) const = default;
};

struct Reverb {
    double size = 0.7;      // 0..1, scales the delay network
    double decay = 2.0;     // s, RT60 at mid frequencies
    double damping = 0.4;   // 0..1, high-frequency absorption
    double predelay = 20.0; // ms
    bool operator==(const Reverb&) const = default;
};

struct Delay {
    double time = 375.0;      // ms when sync is "off"
    std::string sync = "off"; // note value synced to tempo: "1/4", "1/8d", "1/16t" ...
    double feedback = 35.0;   // %
    double highcut = 6000.0;  // Hz, low-pass in the feedback path
    bool pingpong = false;
    bool operator==(const Delay&) const = default;
};

struct Return : Strip {
    EffectType effect = EffectType::Reverb;
    Reverb reverb;
    Delay delay;
    bool operator==(const Return&) const = default;
};

struct Limiter {
    bool enabled = true;
    double ceiling = -1.0;  // dBTP
    double lookahead = 5.0; // ms
    double release = 100.0; // ms
    bool operator==(const Limiter&) const = default;
};

struct Master {
    std::vector<EqBand> eq;
    Compressor comp;
    double width = 100.0; // %
    Limiter limiter;
    double fader = 0.0; // dB
    bool operator==(const Master&) const = default;
};

// Automation (engine/model/Automation.h evaluates lanes): a lane is a list of points on one
// parameter path, each starting a segment of its curve; times in samples at the session rate.
enum class Curve { Step, Linear, Curved };
enum class LaneMode { Off, Read, Write, Touch, Latch };

struct AutoPoint {
    int64_t time = 0; // samples at the session rate
    double value = 0; // in the parameter's unit
    Curve curve = Curve::Linear;
    bool operator==(const AutoPoint&) const = default;
};

struct Lane {
    LaneMode mode = LaneMode::Read;
    std::vector<AutoPoint> points; // strictly increasing times
    bool operator==(const Lane&) const = default;
};

struct Session {
    static constexpr int kFormatVersion = 1;
    int sampleRate = 48000;
    double tempo = 120.0; // BPM
    double tail = 2.0;    // s rendered after the longest stem ends (reverb and delay tails)
    std::vector<Track> tracks;
    std::vector<Group> groups;
    std::vector<Return> returns;
    Master master;
    std::map<std::string, Lane> automation; // parameter path (tracks by id) -> lane
    bool operator==(const Session&) const = default;

    Track* track(const std::string& id);
    Group* group(const std::string& id);
    Return* aux(const std::string& id);
    const Track* track(const std::string& id) const;
    const Group* group(const std::string& id) const;
    const Return* aux(const std::string& id) const;
};

// Limits shared by validation and the graph.
inline constexpr int kMaxEqBands = 8;
inline constexpr double kSilenceDb = -144.0;
inline constexpr int kSupportedRates[] = {44100, 48000, 88200, 96000};

// dB to linear gain; kSilenceDb and below is exactly 0.
double dbToGain(double db);

} // namespace mixroom::engine
