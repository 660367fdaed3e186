// SPDX-License-Identifier: MIT
#pragma once
// The graph's atomic copy of every audible scalar field, derived from the field table: one atomic
// per concrete path of the graph's structure (every row that does not reshape the graph and is
// not text). The control thread stores a session's values; the audio thread loads them into its
// own model copy, which the DSP reads. Adding a field to the table adds it here with no code.
// Threads: bind() and store() on a control thread; load() on the audio thread (no allocation, no
// locks: relaxed atomics and one release/acquire version counter).
#include "engine/model/ParamTable.h"

#include <atomic>
#include <memory>
#include <vector>

namespace mixroom::engine {

class ParamMirror {
  public:
    // Mirrors the fields of `model` (a copy the audio thread owns, never resized afterwards).
    void bind(Session& model);
    // The mirrored values of a session, in mirror order: computed once per commit and stored
    // into every graph of that shape. [control thread]
    static std::vector<double> valuesOf(const Session& session);
    // Stores values from valuesOf() of a session with the bound structure (the same ids, bands
    // and sends); false, and nothing stored, when the count differs. [control thread]
    bool store(const std::vector<double>& values);
    // Copies the newest stored values into the model; false when nothing was stored since the
    // last call. [audio thread]
    bool load();
    size_t size() const { return m_refs.size(); }

    // Whether a table row is mirrored (audible, scalar, not structural).
    static bool mirrored(const ParamSpec& spec) { return !spec.rebuild && spec.type != ParamType::Text; }

  private:
    std::vector<FieldRef> m_refs;                    // into the audio thread's model
    std::unique_ptr<std::atomic<double>[]> m_values; // one per ref
    std::atomic<unsigned> m_version{0};
    unsigned m_seen = 0;
};

} // namespace mixroom::engine
