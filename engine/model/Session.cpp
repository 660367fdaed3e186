// SPDX-License-Identifier: MIT
#include "engine/model/Session.h"

#include <algorithm>
#include <cmath>

namespace mixroom::engine {

namespace {
template <typename T> T* findById(std::vector<T>& v, const std::string& id)
{
    auto it = std::find_if(v.begin(), v.end(), [&](const T& s) { return s.id == id; });
    return it == v.end() ? nullptr : &*it;
}
} // namespace

Track* Session::track(const std::string& id)
{
    return findById(tracks, id);
}
Group* Session::group(const std::string& id)
{
    return findById(groups, id);
}
Return* Session::aux(const std::string& id)
{
    return findById(returns, id);
}
const Track* Session::track(const std::string& id) const
{
    return const_cast<Session*>(this)->track(id);
}
const Group* Session::group(const std::string& id) const
{
    return const_cast<Session*>(this)->group(id);
}
const Return* Session::aux(const std::string& id) const
{
    return const_cast<Session*>(this)->aux(id);
}

double dbToGain(double db)
{
    if (db <= kSilenceDb) return 0.0;
    return std::pow(10.0, db / 20.0);
}

} // namespace mixroom::engine
