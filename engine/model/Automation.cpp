// SPDX-License-Identifier: MIT
#include "engine/model/Automation.h"
#include "engine/dsp/FastMath.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace mixroom::engine {

namespace {
bool isDb(const ParamSpec& s)
{
    return s.unit == "dB";
}
bool isHz(const ParamSpec& s)
{
    return s.unit == "Hz";
}

double curved(const ParamSpec& spec, double a, double b, double f)
{
    if (isDb(spec)) {
        // A straight line in amplitude; silence (the range's floor) is amplitude 0.
        const double ga = a <= spec.min ? 0.0 : std::pow(10.0, a / 20.0);
        const double gb = b <= spec.min ? 0.0 : std::pow(10.0, b / 20.0);
        const double g = ga + (gb - ga) * f;
        return g <= 0 ? spec.min : std::clamp(20.0 * std::log10(g), spec.min, spec.max);
    }
    if ((isHz(spec) || spec.min > 0) && a > 0 && b > 0) return a * std::pow(b / a, f);
    return a + (b - a) * f;
}
// values[j] = va + dv * ((d0 + j * grid) / len): a linear segment on the grid, the same bits as
// laneValue() (the times are integers, exact in double), in one vector loop.
MIXROOM_CLONES void linearRun(double va, double dv, double d0, int grid, double len, int run, double* values)
{
    for (int j = 0; j < run; ++j)
        values[j] = va + dv * ((d0 + static_cast<double>(j * grid)) / len);
}
} // namespace

bool automatable(const ParamSpec& spec)
{
    if (spec.rebuild) return false;
    if (spec.type != ParamType::Number && spec.type != ParamType::Bool) return false;
    if (!spec.choices.empty()) return false; // a set of allowed values (sync divisions): not a continuum
    return spec.scope == ParamScope::Strip || spec.scope == ParamScope::Effect || spec.scope == ParamScope::Master;
}

double laneValue(const Lane& lane, const ParamSpec& spec, int64_t time)
{
    const auto& p = lane.points;
    if (p.empty()) return spec.def;
    if (time <= p.front().time) return p.front().value;
    if (time >= p.back().time) return p.back().value;
    // The segment [i, i + 1] holding `time`.
    const auto next = std::upper_bound(p.begin(), p.end(), time, [](int64_t t, const AutoPoint& q) { return t < q.time; });
    const AutoPoint& a = *(next - 1);
    const AutoPoint& b = *next;
    if (a.curve == Curve::Step || spec.type == ParamType::Bool) return a.value;
    const double f = static_cast<double>(time - a.time) / static_cast<double>(b.time - a.time);
    if (a.curve == Curve::Curved) return curved(spec, a.value, b.value, f);
    return a.value + (b.value - a.value) * f;
}

bool stepsWithin(const Lane& lane, int64_t from, int64_t to)
{
    const auto& p = lane.points;
    auto it = std::lower_bound(p.begin(), p.end(), from, [](const AutoPoint& q, int64_t t) { return q.time < t; });
    for (; it != p.end() && it->time <= to; ++it)
        if (it != p.begin() && (it - 1)->curve == Curve::Step) return true;
    return false;
}

void LaneCursor::seek(int64_t time)
{
    const auto& p = m_lane->points;
    // Forward by a few points (the grid moves 16 samples at a time), else search.
    if (m_next <= p.size() && (m_next == 0 || p[m_next - 1].time <= time)) {
        for (int k = 0; k < 4; ++k) {
            if (m_next == p.size() || p[m_next].time > time) return;
            ++m_next;
        }
    }
    m_next = static_cast<size_t>(std::upper_bound(p.begin(), p.end(), time, [](int64_t t, const AutoPoint& q) { return t < q.time; }) -
                                 p.begin());
}

double LaneCursor::value(int64_t time)
{
    const auto& p = m_lane->points;
    if (p.empty()) return m_spec->def;
    if (time <= p.front().time) return p.front().value;
    if (time >= p.back().time) return p.back().value;
    seek(time);
    const AutoPoint& a = p[m_next - 1];
    const AutoPoint& b = p[m_next];
    if (a.curve == Curve::Step || m_spec->type == ParamType::Bool) return a.value;
    const double f = static_cast<double>(time - a.time) / static_cast<double>(b.time - a.time);
    if (a.curve == Curve::Curved) return curved(*m_spec, a.value, b.value, f);
    return a.value + (b.value - a.value) * f;
}

bool LaneCursor::stepsWithin(int64_t from, int64_t to)
{
    const auto& p = m_lane->points;
    seek(to);
    for (size_t k = m_next; k > 0 && p[k - 1].time >= from; --k)
        if (k >= 2 && p[k - 2].curve == Curve::Step) return true;
    return false;
}

void LaneCursor::gridSteps(int64_t first, int grid, int count, double* values, char* jumps)
{
    const auto& p = m_lane->points;
    for (int k = 0; k < count;) {
        const int64_t g = first + static_cast<int64_t>(k) * grid, last = g + grid - 1;
        if (p.size() < 2 || last <= p.front().time || g >= p.back().time) {
            values[k] = value(last);
            jumps[k] = stepsWithin(g, last);
            ++k;
            continue;
        }
        seek(last);
        const AutoPoint& a = p[m_next - 1];
        const AutoPoint& b = p[m_next];
        if (a.time >= g || a.curve == Curve::Curved) { // a point inside the step, or a curve: one at a time
            values[k] = value(last);
            jumps[k] = stepsWithin(g, last);
            ++k;
            continue;
        }
        // The steps that end before b lie wholly inside segment [a, b): no point within them.
        const int run = static_cast<int>(std::min<int64_t>(count - k, (b.time - 1 - last) / grid + 1));
        const bool hold = a.curve == Curve::Step || m_spec->type == ParamType::Bool;
        if (hold)
            std::fill(values + k, values + k + run, a.value);
        else
            linearRun(a.value, b.value - a.value, static_cast<double>(last - a.time), grid, static_cast<double>(b.time - a.time), run,
                      values + k);
        std::fill(jumps + k, jumps + k + run, 0);
        k += run;
    }
}

double LaneCursor::declicked(int64_t time, double value, int64_t length, bool logDomain) const
{
    const auto& p = m_lane->points;
    auto it = std::upper_bound(p.begin(), p.end(), time - length, [](int64_t t, const AutoPoint& q) { return t < q.time; });
    double shift = 0;
    for (; it != p.end() && it->time <= time; ++it) {
        if (it == p.begin() || (it - 1)->curve != Curve::Step) continue;
        const double before = (it - 1)->value, after = it->value;
        const double jump = logDomain ? std::log2(before) - std::log2(after) : before - after;
        shift += jump * (1.0 - static_cast<double>(time - it->time) / static_cast<double>(length));
    }
    if (shift == 0) return value;
    const double v = logDomain ? std::exp2(std::log2(value) + shift) : value + shift;
    return std::clamp(v, m_spec->min, m_spec->max);
}

bool LaneCursor::hasSteps() const
{
    const auto& p = m_lane->points;
    for (size_t i = 0; i + 1 < p.size(); ++i)
        if (p[i].curve == Curve::Step) return true;
    return false;
}

std::optional<std::string> validateLane(const ParamSpec& spec, const Lane& lane)
{
    if (!automatable(spec)) return spec.pattern + " cannot be automated";
    if (lane.points.size() > kMaxLanePoints) return "a lane holds at most " + std::to_string(kMaxLanePoints) + " points";
    for (size_t i = 0; i < lane.points.size(); ++i) {
        const AutoPoint& q = lane.points[i];
        if (q.time < 0) return "point " + std::to_string(i + 1) + ": time is negative";
        if (i > 0 && q.time <= lane.points[i - 1].time) return "point " + std::to_string(i + 1) + ": times must increase";
        if (!std::isfinite(q.value)) return "point " + std::to_string(i + 1) + ": value is not a number";
        if (spec.type == ParamType::Bool && q.value != 0 && q.value != 1) return "point " + std::to_string(i + 1) + ": a switch is 0 or 1";
        if (q.value < spec.min || q.value > spec.max)
            return "point " + std::to_string(i + 1) + ": " + formatNumber(q.value) + " is outside " + formatNumber(spec.min) + " to " +
                   formatNumber(spec.max) + (spec.unit.empty() ? "" : " " + spec.unit);
    }
    return std::nullopt;
}

std::vector<AutoPoint> thinPoints(const std::vector<AutoPoint>& points, double tolerance,
                                  const std::function<double(double onSegment, double actual)>& error)
{
    if (points.size() <= 2) return points;
    std::vector<bool> keep(points.size(), false);
    keep.front() = keep.back() = true;
    std::vector<std::pair<size_t, size_t>> spans{{0, points.size() - 1}};
    while (!spans.empty()) {
        const auto [a, b] = spans.back();
        spans.pop_back();
        double worst = -1;
        size_t at = a;
        for (size_t i = a + 1; i < b; ++i) {
            const double f = static_cast<double>(points[i].time - points[a].time) / static_cast<double>(points[b].time - points[a].time);
            const double on = points[a].value + (points[b].value - points[a].value) * f;
            const double e = error(on, points[i].value);
            if (e > worst) {
                worst = e;
                at = i;
            }
        }
        if (worst > tolerance) {
            keep[at] = true;
            spans.push_back({a, at});
            spans.push_back({at, b});
        }
    }
    std::vector<AutoPoint> out;
    for (size_t i = 0; i < points.size(); ++i)
        if (keep[i]) out.push_back(AutoPoint{points[i].time, points[i].value, Curve::Linear});
    return out;
}

Lane mergePass(const Lane* lane, double staticValue, const ParamSpec& spec, const std::vector<AutoPoint>& recorded, int64_t holdUntil,
               int64_t returnFrames)
{
    Lane out;
    if (lane) out.mode = lane->mode;
    if (recorded.empty()) {
        if (lane) out.points = lane->points;
        return out;
    }
    const bool hasLane = lane && !lane->points.empty();
    auto orig = [&](int64_t t) { return hasLane ? laneValue(*lane, spec, t) : staticValue; };
    // The original curve of the segment holding `t` (what a point placed there continues with).
    auto origCurve = [&](int64_t t) {
        if (!hasLane) return Curve::Linear;
        const auto& p = lane->points;
        const auto next = std::upper_bound(p.begin(), p.end(), t, [](int64_t x, const AutoPoint& q) { return x < q.time; });
        return next == p.begin() ? p.front().curve : (next - 1)->curve;
    };
    const int64_t from = recorded.front().time;
    const AutoPoint& last = recorded.back();
    const bool touch = holdUntil < 0;
    const int64_t end = touch ? last.time + std::max<int64_t>(1, returnFrames) : std::max(holdUntil, last.time) + 1;

    if (hasLane)
        for (const AutoPoint& p : lane->points)
            if (p.time < from - 1) out.points.push_back(p);
    if (from > 0) out.points.push_back({from - 1, orig(from - 1), Curve::Step});
    for (const AutoPoint& p : recorded)
        out.points.push_back({p.time, p.value, Curve::Linear});
    if (!touch && end - 1 > last.time) out.points.push_back({end - 1, last.value, Curve::Step});
    if (!touch && end - 1 == last.time) out.points.back().curve = Curve::Step;
    out.points.push_back({end, orig(end), origCurve(end)});
    if (hasLane)
        for (const AutoPoint& p : lane->points)
            if (p.time > end) out.points.push_back(p);
    if (spec.type == ParamType::Bool)
        for (AutoPoint& p : out.points)
            p.curve = Curve::Step;
    return out;
}

double thinTolerance(const ParamSpec& spec)
{
    return isDb(spec) ? 0.1 : 0.005 * (spec.max - spec.min);
}

std::vector<AutoPoint> fadePoints(FadeShape shape, bool fadeIn, int64_t start, int64_t length, double levelDb, double floorDb)
{
    constexpr double kSilence = kSilenceDb;
    auto gainDb = [&](double x) { // the fade in's level at x in [0, 1]
        double g = 0;
        switch (shape) {
        case FadeShape::Linear: g = x; break;
        case FadeShape::EqualPower: g = std::sin(x * std::numbers::pi / 2); break;
        case FadeShape::SCurve: g = 0.5 - 0.5 * std::cos(x * std::numbers::pi); break;
        case FadeShape::Exponential: return x <= 0 ? kSilence : floorDb + (levelDb - floorDb) * x;
        }
        return g <= 0 ? kSilence : std::max(kSilence, levelDb + 20.0 * std::log10(g));
    };
    // Below the floor the shape is inaudible: one straight segment from silence to where the curve
    // crosses the floor. Above it, dense samples spaced geometrically in x (so that, near the
    // floor, where the level moves fastest in dB, they are closest), thinned to 0.05 dB.
    double lo = 0, hi = 1;
    for (int i = 0; i < 60; ++i) {
        const double mid = 0.5 * (lo + hi);
        (gainDb(mid) < floorDb ? lo : hi) = mid;
    }
    // At least one sample in: silence itself is the fade's first (in) or last (out) point.
    const double crossing = std::max(hi, 1.0 / static_cast<double>(std::max<int64_t>(length, 1)));
    auto timeAt = [&](double x) { // x: the fade in's position; a fade out runs it backwards
        return start + static_cast<int64_t>(std::llround((fadeIn ? x : 1.0 - x) * static_cast<double>(length)));
    };
    constexpr int kSamples = 4096;
    std::vector<AutoPoint> dense;
    dense.reserve(kSamples + 2);
    for (int i = 0; i <= kSamples; ++i) {
        const double x = i == kSamples ? 1.0 : crossing * std::pow(1.0 / crossing, static_cast<double>(i) / kSamples);
        dense.push_back({timeAt(x), gainDb(x), Curve::Linear});
    }
    if (!fadeIn) std::reverse(dense.begin(), dense.end());
    std::vector<AutoPoint> unique;
    for (const AutoPoint& q : dense)
        if (unique.empty() || q.time > unique.back().time) unique.push_back(q);
    auto out = thinPoints(unique, 0.05, [](double on, double actual) { return std::abs(on - actual); });
    const AutoPoint silence{timeAt(0.0), kSilence, Curve::Linear};
    if (fadeIn)
        out.insert(out.begin(), silence);
    else
        out.push_back(silence);
    return out;
}

std::string toString(Curve c)
{
    switch (c) {
    case Curve::Step: return "step";
    case Curve::Linear: return "linear";
    case Curve::Curved: return "curved";
    }
    return "linear";
}

std::string toString(LaneMode m)
{
    switch (m) {
    case LaneMode::Off: return "off";
    case LaneMode::Read: return "read";
    case LaneMode::Write: return "write";
    case LaneMode::Touch: return "touch";
    case LaneMode::Latch: return "latch";
    }
    return "read";
}

std::optional<Curve> curveFromString(std::string_view s)
{
    for (Curve c : {Curve::Step, Curve::Linear, Curve::Curved})
        if (toString(c) == s) return c;
    return std::nullopt;
}

std::optional<LaneMode> laneModeFromString(std::string_view s)
{
    for (LaneMode m : {LaneMode::Off, LaneMode::Read, LaneMode::Write, LaneMode::Touch, LaneMode::Latch})
        if (toString(m) == s) return m;
    return std::nullopt;
}

std::optional<FadeShape> fadeShapeFromString(std::string_view s)
{
    if (s == "linear") return FadeShape::Linear;
    if (s == "equal-power") return FadeShape::EqualPower;
    if (s == "exponential") return FadeShape::Exponential;
    if (s == "s-curve") return FadeShape::SCurve;
    return std::nullopt;
}

} // namespace mixroom::engine
