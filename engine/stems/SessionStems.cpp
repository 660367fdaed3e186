// SPDX-License-Identifier: MIT
#include "engine/stems/SessionStems.h"

namespace mixroom::engine {

namespace {
bool isHash(const std::string& s)
{
    return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}
} // namespace

Result<StemMap> loadSessionStems(const Session& session, const std::string& baseDir, StemStore& store, const StemProgress& progress)
{
    StemMap map;
    for (const Track& t : session.tracks) {
        std::string canonical;
        if (isHash(t.stem)) {
            auto p = store.pathOf(t.stem);
            if (!p) return Error{p.error().code, "tracks/" + t.id + "/stem: " + p.error().message};
            canonical = p.value();
        } else {
            if (t.stem.empty() || t.stem.front() == '/')
                return Error{"bad_stem_path", "tracks/" + t.id + "/stem: \"" + t.stem + "\" must be a path relative to the session file"};
            auto info = store.import(baseDir + "/" + t.stem, session.sampleRate, [&](double f) {
                if (progress) progress(t.id, f);
            });
            if (!info) return Error{info.error().code, "tracks/" + t.id + "/stem: " + info.error().message};
            canonical = info->path;
        }
        auto src = store.open(canonical);
        if (!src) return Error{src.error().code, "tracks/" + t.id + "/stem: " + src.error().message};
        map[t.id] = src.value();
    }
    return map;
}

} // namespace mixroom::engine
