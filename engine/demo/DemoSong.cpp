// SPDX-License-Identifier: MIT
#include "engine/demo/DemoSong.h"

#include <sndfile.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numbers>
#include <vector>

namespace mixroom::engine {

namespace {

constexpr int kRate = kDemoRate;
constexpr double kBeat = 0.5; // 120 BPM
constexpr double kBar = 4 * kBeat;
constexpr double kTwoPi = 2 * std::numbers::pi;

double midiHz(int note)
{
    return 440.0 * std::pow(2.0, (note - 69) / 12.0);
}

// Am, F, C, G: chord tones (MIDI) and bass roots.
constexpr std::array<std::array<int, 3>, 4> kChords = {{{57, 60, 64}, {53, 57, 60}, {60, 64, 67}, {55, 59, 62}}};
constexpr std::array<int, 4> kRoots = {33, 29, 36, 31};
// Lead melody: per 8th note of a 2-bar phrase (A minor pentatonic, -1 = rest).
constexpr std::array<int, 16> kMelody = {76, -1, 79, 76, 74, -1, 72, 74, 76, -1, 72, 69, 67, -1, 69, -1};

struct Noise {
    uint32_t s = 0x12345678;
    float next()
    {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        return static_cast<float>(s) / 2147483648.0f - 1.0f;
    }
};

int barAt(double t)
{
    return static_cast<int>(t / kBar);
}
int chordAt(double t)
{
    return barAt(t) % 4;
}
bool section(double t, int fromBar, int toBar)
{
    return barAt(t) >= fromBar && barAt(t) < toBar;
}

class Drums {
  public:
    void next(double t, float& l, float& r)
    {
        l = r = 0;
        if (!section(t, 4, 31)) return;
        const double tk = std::fmod(t, 2 * kBeat);
        const double kf = 50 + 100 * std::exp(-tk / 0.03);
        m_kickPhase = tk < 1.0 / kRate ? 0.0 : m_kickPhase + kTwoPi * kf / kRate;
        const float kick = static_cast<float>(0.9 * std::sin(m_kickPhase) * std::exp(-tk / 0.18));
        const double ts = std::fmod(t + kBeat, 2 * kBeat);
        const float n = m_noise.next();
        const float snare = static_cast<float>((0.5 * n + 0.4 * std::sin(kTwoPi * 185 * ts)) * std::exp(-ts / 0.1));
        const double th = std::fmod(t, kBeat / 2);
        m_hp = n - m_prevN; // first difference: a bright noise for the hats
        m_prevN = n;
        const float hat = static_cast<float>(0.25 * m_hp * std::exp(-th / 0.025));
        l = kick + snare + 0.6f * hat;
        r = kick + snare * 0.9f + hat;
    }

  private:
    Noise m_noise;
    double m_kickPhase = 0;
    float m_hp = 0, m_prevN = 0;
};

class Bass {
  public:
    float next(double t)
    {
        if (!section(t, 4, 30)) return 0;
        const double t8 = std::fmod(t, kBeat / 2);
        const int step = static_cast<int>(std::fmod(t, kBar) / (kBeat / 2));
        const int note = kRoots[static_cast<size_t>(chordAt(t))] + (step == 6 ? 12 : 0);
        m_phase += kTwoPi * midiHz(note) / kRate;
        const double env = std::min(1.0, t8 / 0.004) * std::exp(-t8 / 0.35) * std::min(1.0, (kBeat / 2 - t8) / 0.005);
        const double x = std::sin(m_phase) + 0.5 * std::sin(2 * m_phase) + 0.25 * std::sin(3 * m_phase);
        return static_cast<float>(0.55 * std::tanh(1.5 * x) * env);
    }

  private:
    double m_phase = 0;
};

class Keys {
  public:
    void next(double t, float& l, float& r)
    {
        l = r = 0;
        if (!section(t, 0, 32)) return;
        // Stabs on the off-beats: a two-operator FM electric piano.
        const double tb = std::fmod(t + kBeat / 2, kBeat);
        const auto& chord = kChords[static_cast<size_t>(chordAt(t))];
        const double env = std::min(1.0, tb / 0.003) * std::exp(-tb / 0.25) * std::min(1.0, (kBeat - tb) / 0.01);
        const double index = 1.5 * std::exp(-tb / 0.08);
        for (size_t v = 0; v < 3; ++v) {
            const double f = midiHz(chord[v]);
            m_phase[v] += kTwoPi * f / kRate;
            const double x = std::sin(m_phase[v] + index * std::sin(m_phase[v]));
            const float s = static_cast<float>(0.16 * x * env);
            l += s * (v == 0 ? 1.0f : v == 1 ? 0.7f : 0.4f);
            r += s * (v == 0 ? 0.4f : v == 1 ? 0.7f : 1.0f);
        }
    }

  private:
    std::array<double, 3> m_phase{};
};

class Pad {
  public:
    void next(double t, float& l, float& r)
    {
        l = r = 0;
        const auto& chord = kChords[static_cast<size_t>(chordAt(t))];
        const double tb = std::fmod(t, kBar);
        const double song = std::min(1.0, t / 4.0) * std::min(1.0, (kDemoSeconds - t) / 2.0);
        const double env = std::min(1.0, tb / 0.25) * std::min(1.0, (kBar - tb) / 0.08) * std::max(0.0, song);
        for (size_t v = 0; v < 3; ++v)
            for (int side = 0; side < 2; ++side) {
                const double f = midiHz(chord[v]) * (side == 0 ? 0.997 : 1.003);
                double& ph = m_phase[v * 2 + static_cast<size_t>(side)];
                ph += kTwoPi * f / kRate;
                if (ph > 1e4) ph = std::fmod(ph, kTwoPi);
                double x = 0;
                for (int k = 1; k <= 6; ++k)
                    x += std::sin(k * ph) / (k * k * 0.5 + 0.5); // soft, filtered saw
                (side == 0 ? l : r) += static_cast<float>(0.06 * x * env);
            }
    }

  private:
    std::array<double, 6> m_phase{};
};

class Lead {
  public:
    float next(double t)
    {
        if (!section(t, 16, 28)) return 0;
        const double t8 = std::fmod(t, kBeat / 2);
        const int step = static_cast<int>(std::fmod(t, 2 * kBar) / (kBeat / 2));
        const int note = kMelody[static_cast<size_t>(step)];
        if (note < 0) return 0;
        const double vib = 1.0 + 0.004 * std::sin(kTwoPi * 5.5 * t) * std::min(1.0, t8 / 0.15);
        m_phase += kTwoPi * midiHz(note) * vib / kRate;
        const double env = std::min(1.0, t8 / 0.01) * std::min(1.0, (kBeat / 2 - t8) / 0.02) * (0.7 + 0.3 * std::exp(-t8 / 0.1));
        const double x = std::sin(m_phase) + std::sin(3 * m_phase) / 3 + std::sin(5 * m_phase) / 8;
        return static_cast<float>(0.3 * x * env);
    }

  private:
    double m_phase = 0;
};

Result<Ok> writeStem(const std::string& path, int channels, const std::function<void(double, float&, float&)>& gen,
                     const std::function<void(double)>& progress)
{
    // Float, not 24-bit: the drums peak above full scale (the mix brings them down), and an integer
    // file would wrap those samples around. A stem an earlier version wrote as integers is rewritten.
    constexpr int kFormat = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    if (std::filesystem::exists(path)) {
        SF_INFO old{};
        SNDFILE* f = sf_open(path.c_str(), SFM_READ, &old);
        if (f) sf_close(f);
        if (f && old.format == kFormat && old.channels == channels) return Ok{};
    }
    SF_INFO info{};
    info.samplerate = kRate;
    info.channels = channels;
    info.format = kFormat;
    const std::string part = path + ".part";
    SNDFILE* snd = sf_open(part.c_str(), SFM_WRITE, &info);
    if (!snd) return Error{"demo_io", "cannot write " + path + ": " + sf_strerror(nullptr)};
    const long long total = static_cast<long long>(kDemoSeconds * kRate);
    std::vector<float> buf(4096 * 2);
    for (long long pos = 0; pos < total;) {
        const int n = static_cast<int>(std::min<long long>(4096, total - pos));
        for (int i = 0; i < n; ++i) {
            float l = 0, r = 0;
            gen(static_cast<double>(pos + i) / kRate, l, r);
            if (channels == 1)
                buf[static_cast<size_t>(i)] = l;
            else {
                buf[static_cast<size_t>(2 * i)] = l;
                buf[static_cast<size_t>(2 * i + 1)] = r;
            }
        }
        sf_writef_float(snd, buf.data(), n);
        pos += n;
        if (progress && pos % (kRate * 4) < 4096) progress(static_cast<double>(pos) / total);
    }
    sf_close(snd);
    std::filesystem::rename(part, path);
    return Ok{};
}

EqBand band(EqType type, double f, double g, double q)
{
    return EqBand{type, f, g, q, true};
}

} // namespace

std::vector<DemoStem> demoStems()
{
    // Each generator owns its instrument, so every call starts the song from its first sample.
    auto drums = std::make_shared<Drums>();
    auto bass = std::make_shared<Bass>();
    auto keys = std::make_shared<Keys>();
    auto pad = std::make_shared<Pad>();
    auto lead = std::make_shared<Lead>();
    return {
        {"drums", 2, [drums](double t, float& l, float& r) { drums->next(t, l, r); }},
        {"bass", 1, [bass](double t, float& l, float&) { l = bass->next(t); }},
        {"keys", 2, [keys](double t, float& l, float& r) { keys->next(t, l, r); }},
        {"pad", 2, [pad](double t, float& l, float& r) { pad->next(t, l, r); }},
        {"lead", 1, [lead](double t, float& l, float&) { l = lead->next(t); }},
    };
}

Result<Session> writeDemoSong(const std::string& dir, const std::function<void(double)>& progress)
{
    std::error_code ec;
    std::filesystem::create_directories(dir + "/stems", ec);
    if (ec) return Error{"demo_io", "cannot create " + dir + "/stems: " + ec.message()};
    const auto stems = demoStems();
    for (size_t i = 0; i < stems.size(); ++i) {
        auto ok = writeStem(dir + "/stems/" + stems[i].name + ".wav", stems[i].channels, stems[i].next, [&](double f) {
            if (progress) progress((static_cast<double>(i) + f) / static_cast<double>(stems.size()));
        });
        if (!ok) return ok.error();
    }

    Session s;
    s.sampleRate = kRate;
    s.tempo = 120;
    s.tail = 3.0;
    Group rhythm;
    rhythm.id = "rhythm";
    rhythm.name = "Drums + Bass";
    rhythm.comp = Compressor{true, -16, 2.5, 6, 20, 150, 1.5, Detector::Rms};
    s.groups.push_back(rhythm);

    Return plate;
    plate.id = "plate";
    plate.name = "Plate";
    plate.effect = EffectType::Reverb;
    plate.reverb = Reverb{0.65, 2.2, 0.45, 25};
    plate.eq = {band(EqType::HighPass12, 200, 0, 0.7071), band(EqType::LowPass12, 9000, 0, 0.7071)};
    Return echo;
    echo.id = "echo";
    echo.name = "Dotted 8th";
    echo.effect = EffectType::Delay;
    echo.delay = Delay{375, "1/8d", 30, 5000, true};
    echo.fader = -4;
    s.returns = {plate, echo};

    auto track = [&](const char* id, const char* name, const char* output) {
        Track t;
        t.id = id;
        t.name = name;
        t.stem = std::string("stems/") + id + ".wav";
        t.output = output;
        return t;
    };
    Track d = track("drums", "Drums", "rhythm");
    d.eq = {band(EqType::HighPass12, 30, 0, 0.7071), band(EqType::Peak, 400, -3, 1.2), band(EqType::HighShelf, 8000, 2, 0.7071)};
    d.comp = Compressor{true, -14, 4, 6, 5, 80, 2, Detector::Peak};
    d.fader = -6;
    d.sends = {{"plate", -18, false}};
    Track b = track("bass", "Bass", "rhythm");
    b.eq = {band(EqType::HighPass24, 35, 0, 0.7071), band(EqType::Peak, 100, 2, 1.0), band(EqType::LowPass12, 4000, 0, 0.7071)};
    b.comp = Compressor{true, -18, 4, 6, 10, 120, 3, Detector::Rms};
    b.fader = -1;
    Track k = track("keys", "Keys", "master");
    k.eq = {band(EqType::HighPass12, 120, 0, 0.7071), band(EqType::Peak, 2500, 2, 0.9)};
    k.pan = -0.15;
    k.fader = -3;
    k.sends = {{"plate", -12, false}, {"echo", -16, false}};
    Track p = track("pad", "Pad", "master");
    p.eq = {band(EqType::HighPass24, 180, 0, 0.7071), band(EqType::LowShelf, 300, -2, 0.7071), band(EqType::HighShelf, 6000, -3, 0.7071)};
    p.fader = -5;
    p.sends = {{"plate", -10, true}};
    Track l = track("lead", "Lead", "master");
    l.eq = {band(EqType::HighPass12, 200, 0, 0.7071), band(EqType::Peak, 3000, 2.5, 1.0)};
    l.comp = Compressor{true, -20, 3, 6, 5, 100, 2, Detector::Peak};
    l.pan = 0.1;
    l.fader = -2;
    l.sends = {{"plate", -14, false}, {"echo", -10, false}};
    s.tracks = {d, b, k, p, l};

    s.master.eq = {band(EqType::LowShelf, 80, 1, 0.7071), band(EqType::HighShelf, 12000, 1.5, 0.7071)};
    s.master.comp = Compressor{true, -12, 2, 6, 30, 200, 1, Detector::Rms};
    s.master.width = 110;
    s.master.limiter = Limiter{true, -1.0, 5, 80};
    s.master.fader = 1.5;
    return s;
}

} // namespace mixroom::engine
