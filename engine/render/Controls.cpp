// SPDX-License-Identifier: MIT
#include "engine/render/Controls.h"

namespace mixroom::engine {

void StripControls::store(const Strip& s, bool soloMuted, const std::vector<Return>& returns)
{
    trim.store(s.trim, std::memory_order_relaxed);
    fader.store(s.fader, std::memory_order_relaxed);
    pan.store(s.pan, std::memory_order_relaxed);
    polarity.store(s.polarity, std::memory_order_relaxed);
    muted.store(s.mute || soloMuted, std::memory_order_relaxed);
    for (size_t i = 0; i < eq.size(); ++i)
        eq[i].store(i < s.eq.size() ? s.eq[i] : EqBand{});
    comp.store(s.comp);
    for (size_t r = 0; r < returns.size(); ++r) {
        double level = kSilenceDb;
        bool pre = false;
        for (const Send& send : s.sends)
            if (send.to == returns[r].id) {
                level = send.level;
                pre = send.pre;
            }
        sendLevel[r].store(level, std::memory_order_relaxed);
        sendPre[r].store(pre, std::memory_order_relaxed);
    }
}

void StripControls::load(StripValues& v) const
{
    v.trim = trim.load(std::memory_order_relaxed);
    v.fader = fader.load(std::memory_order_relaxed);
    v.pan = pan.load(std::memory_order_relaxed);
    v.polarity = polarity.load(std::memory_order_relaxed);
    v.muted = muted.load(std::memory_order_relaxed);
    for (size_t i = 0; i < eq.size(); ++i)
        v.eq[i] = eq[i].load();
    v.comp = comp.load();
}

} // namespace mixroom::engine
