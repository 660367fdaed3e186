// SPDX-License-Identifier: MIT
#pragma once
// A small session with real stems in a temporary store: three stereo tracks and a mono one,
// a group, a reverb and a delay return, processing everywhere.
#include "TestFiles.h"
#include "TestSignals.h"
#include "engine/stems/SessionStems.h"

#include <QTemporaryDir>

namespace mixroom::test {

struct MixFixture {
    QTemporaryDir dir;
    engine::Session session;
    engine::StemMap stems;

    // Writes `count` stems of `seconds` and a plain session naming them (everything at unity).
    // `noise` is the amplitude of the uniform noise added to the sines.
    bool makeStems(int count, double seconds, bool mono = false, int rate = 48000, float noiseAmplitude = 0.2f)
    {
        const int n = int(seconds * rate);
        std::mt19937 rng(testSeed());
        std::uniform_real_distribution<float> noise(-noiseAmplitude, noiseAmplitude);
        session = engine::Session{};
        session.sampleRate = rate;
        session.master.limiter.enabled = false;
        session.tail = 0.5;
        for (int t = 0; t < count; ++t) {
            auto l = sine(110.0 * (t + 1), rate, 0.2, n);
            auto r = sine(110.0 * (t + 1) * 1.5, rate, 0.2, n);
            for (int i = 0; i < n; ++i) {
                l[static_cast<size_t>(i)] += noise(rng);
                r[static_cast<size_t>(i)] += noise(rng);
            }
            const bool m = mono && t == count - 1;
            const std::string file = "stem" + std::to_string(t) + ".wav";
            if (!writeAudio((dir.path() + "/").toStdString() + file, SF_FORMAT_WAV | SF_FORMAT_FLOAT, rate, m ? 1 : 2,
                            m ? l : interleave(l, r)))
                return false;
            engine::Track tr;
            tr.id = "t" + std::to_string(t);
            tr.name = tr.id;
            tr.stem = file;
            session.tracks.push_back(tr);
        }
        return true;
    }

    bool load()
    {
        engine::StemStore store((dir.path() + "/store").toStdString());
        auto loaded = engine::loadSessionStems(session, dir.path().toStdString(), store);
        if (!loaded.ok()) return false;
        stems = loaded.value();
        return true;
    }

    // Adds processing of every kind to the plain session.
    void addProcessing()
    {
        using namespace engine;
        Group g;
        g.id = "bus";
        g.comp = Compressor{true, -24, 3, 6, 5, 80, 2, Detector::Peak};
        g.eq = {EqBand{EqType::HighPass24, 40, 0, 0.7, true}};
        session.groups.push_back(g);
        Return verb;
        verb.id = "verb";
        verb.effect = EffectType::Reverb;
        Return echo;
        echo.id = "echo";
        echo.effect = EffectType::Delay;
        echo.delay.sync = "1/8d";
        echo.delay.pingpong = true;
        session.returns = {verb, echo};
        for (size_t i = 0; i < session.tracks.size(); ++i) {
            Track& t = session.tracks[i];
            t.eq = {EqBand{EqType::LowShelf, 100, 2, 0.7071, true}, EqBand{EqType::Peak, 400, -3, 1, true},
                    EqBand{EqType::Peak, 3000, 2, 1, true}, EqBand{EqType::HighShelf, 10000, 1, 0.7071, true}};
            t.comp = Compressor{true, -20, 3, 6, 10, 100, 0, i % 2 ? Detector::Rms : Detector::Peak};
            t.fader = -2;
            t.pan = i % 2 ? 0.3 : -0.3;
            t.sends = {Send{"verb", -12, i == 0}, Send{"echo", -18, false}};
            if (i == 0) t.output = "bus";
        }
        session.master.eq = {EqBand{EqType::HighShelf, 8000, 1, 0.7071, true}};
        session.master.comp = Compressor{true, -12, 2, 6, 30, 200, 1, Detector::Rms};
        session.master.width = 120;
        session.master.limiter = engine::Limiter{true, -1, 5, 100};
    }
};

} // namespace mixroom::test
