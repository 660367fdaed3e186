// SPDX-License-Identifier: MIT
#pragma once
// Resolves every track's stem of a session into an open canonical StemSource: a 64-hex content
// hash is looked up in the store; anything else is a file path relative to `baseDir` (the session
// file's folder), imported at the session rate.
// Thread: any non-audio thread.
#include "engine/model/Session.h"
#include "engine/render/MixGraph.h"
#include "engine/stems/StemStore.h"

#include <functional>

namespace mixroom::engine {

using StemProgress = std::function<void(const std::string& trackId, double fraction)>;

Result<StemMap> loadSessionStems(const Session& session, const std::string& baseDir, StemStore& store, const StemProgress& progress = {});

} // namespace mixroom::engine
