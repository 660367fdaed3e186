// SPDX-License-Identifier: MIT
#include "engine/render/ParamMirror.h"

namespace mixroom::engine {

void ParamMirror::bind(Session& model)
{
    m_refs.clear();
    forEachFieldRef(model, [&](const ParamSpec& spec, FieldRef ref) {
        if (mirrored(spec)) m_refs.push_back(ref);
    });
    m_values = std::make_unique<std::atomic<double>[]>(m_refs.size());
    for (size_t i = 0; i < m_refs.size(); ++i)
        m_values[i].store(m_refs[i].number(), std::memory_order_relaxed);
    m_version.store(0, std::memory_order_relaxed);
    m_seen = 0;
}

std::vector<double> ParamMirror::valuesOf(const Session& session)
{
    std::vector<double> values;
    forEachFieldRef(const_cast<Session&>(session), [&](const ParamSpec& spec, FieldRef ref) { // reads only
        if (mirrored(spec)) values.push_back(ref.number());
    });
    return values;
}

bool ParamMirror::store(const std::vector<double>& values)
{
    if (values.size() != m_refs.size()) return false;
    for (size_t i = 0; i < values.size(); ++i)
        m_values[i].store(values[i], std::memory_order_relaxed);
    m_version.fetch_add(1, std::memory_order_release);
    return true;
}

bool ParamMirror::load()
{
    const unsigned v = m_version.load(std::memory_order_acquire);
    if (v == m_seen) return false;
    m_seen = v;
    for (size_t i = 0; i < m_refs.size(); ++i)
        m_refs[i].setNumber(m_values[i].load(std::memory_order_relaxed));
    return true;
}

} // namespace mixroom::engine
