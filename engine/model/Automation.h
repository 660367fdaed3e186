// SPDX-License-Identifier: MIT
#pragma once
// Automation lanes (issue 17), the parts that do not depend on the graph (the lane model itself,
// Lane and AutoPoint, is in Session.h): their at a time, validation against a parameter's spec, song fades, and thinning of
// recorded points. A lane belongs to one parameter path of the field table; its points are
// (time in samples at the session rate, value in the parameter's unit, the curve of the segment
// that starts at the point).
//
// Curves (the segment from point i to point i + 1):
//  - Step: holds point i's value until point i + 1.
//  - Linear: a straight line in the parameter's unit (dB for faders, Hz for frequencies).
//  - Curved: a straight line in the parameter's natural unit: amplitude for dB parameters (a
//    fader fade that sounds even), log frequency for Hz parameters; geometric for other positive
//    ranges; otherwise linear.
// Boolean parameters are always stepped.
// Before the first point a lane holds the first value; after the last, the last value.
// Thread: any; laneValue() allocates nothing (the engine may call it on the audio thread).
#include "engine/model/ParamTable.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mixroom::engine {

enum class FadeShape { Linear, EqualPower, Exponential, SCurve };

inline constexpr size_t kMaxLanePoints = 100'000;

// Whether a row of the field table may carry a lane: numbers and switches that glide (no graph
// rebuild) on strips, return effects and the master; not names, stems, routing or session settings.
bool automatable(const ParamSpec& spec);

// The lane's value at `time`. [no allocation]
double laneValue(const Lane& lane, const ParamSpec& spec, int64_t time);

// Whether a stepped segment jumps within [from, to]: a point there whose predecessor's segment is
// a step. [no allocation]
bool stepsWithin(const Lane& lane, int64_t from, int64_t to);

// Evaluates one lane at times that mostly increase (the engine's control grid) without a search
// per call: the same values as laneValue() and stepsWithin(). [no allocation]
class LaneCursor {
  public:
    LaneCursor() = default;
    LaneCursor(const Lane* lane, const ParamSpec* spec) : m_lane(lane), m_spec(spec) {}
    double value(int64_t time);
    bool stepsWithin(int64_t from, int64_t to);
    // For the grid steps g = first + k * grid (k < count): values[k] = value(g + grid - 1) and
    // jumps[k] = stepsWithin(g, g + grid - 1), a run of steps inside one segment at a time.
    void gridSteps(int64_t first, int grid, int count, double* values, char* jumps);
    // `value` (the lane's value at `time`) with the jump of every stepped segment that ends in
    // (time - length, time] spread over the `length` samples after it: the jump's remainder,
    // falling linearly to zero, is added (in log2 when `logDomain`: frequencies, Q). A function of
    // the lane and the time alone, so the declicked curve does not depend on block sizes.
    double declicked(int64_t time, double value, int64_t length, bool logDomain) const;
    bool hasSteps() const; // a stepped segment between two points
    const Lane* lane() const { return m_lane; }
    const ParamSpec* spec() const { return m_spec; }

  private:
    void seek(int64_t time); // m_next: the first point after `time`
    const Lane* m_lane = nullptr;
    const ParamSpec* m_spec = nullptr;
    size_t m_next = 0;
};

// Why a lane cannot be stored for a parameter (not automatable, times not increasing or negative,
// a value out of range or of the wrong kind, too many points), or nothing when it can.
std::optional<std::string> validateLane(const ParamSpec& spec, const Lane& lane);

// The points of a whole-song fade on a dB parameter (the master fader): from silence up to
// `levelDb` (fade in) or from `levelDb` down to silence (fade out) over [start, start + length),
// shaped as the gain curve g(x), x in [0, 1] of the fade in (mirrored for a fade out):
// Linear g = x; EqualPower g = sin(x pi/2); Exponential: a straight line in dB from `floorDb`;
// SCurve g = (1 - cos(x pi)) / 2. Linear segments, thinned to within 0.05 dB wherever the curve is
// above `floorDb` (below it nobody hears the difference); the last point is exact.
std::vector<AutoPoint> fadePoints(FadeShape shape, bool fadeIn, int64_t start, int64_t length, double levelDb, double floorDb = -60.0);

// The fewest of `points` (kept in order, first and last always kept) whose linear segments stay
// within `tolerance` of every dropped point, the error measured by `error(value on the segment,
// dropped point's value)` (Ramer-Douglas-Peucker).
std::vector<AutoPoint> thinPoints(const std::vector<AutoPoint>& points, double tolerance,
                                  const std::function<double(double onSegment, double actual)>& error);
// The thinning tolerance the server uses for recorded passes: 0.1 dB for dB parameters, 0.5 % of
// the range otherwise.
double thinTolerance(const ParamSpec& spec);

// A recorded pass (issue 17) merged into a parameter's automation: `lane` is the parameter's lane
// (null: it has none and holds `staticValue`); `recorded` the pass's points (times increasing, at
// least one). The lane before the pass and after its end is kept, curves included (a segment the
// pass cuts gets a point on its own curve at the cut, so its shape does not change); the pass's
// points replace everything in between: a stepped point one sample before the first (declicked
// like an edit), the recorded points as linear segments, then the end:
//  - Touch (`holdUntil` < 0): a linear glide from the last recorded value back to the lane over
//    `returnFrames`;
//  - Write and latch: the last value held until `holdUntil` (the transport stopped), then stepped
//    back to the lane.
// The result's mode is the lane's (read for a new lane). Every point is within the parameter's range.
Lane mergePass(const Lane* lane, double staticValue, const ParamSpec& spec, const std::vector<AutoPoint>& recorded, int64_t holdUntil,
               int64_t returnFrames);

// Text forms, as used in the protocol and files.
std::string toString(Curve c);
std::string toString(LaneMode m);
std::optional<Curve> curveFromString(std::string_view s);
std::optional<LaneMode> laneModeFromString(std::string_view s);
std::optional<FadeShape> fadeShapeFromString(std::string_view s);

} // namespace mixroom::engine
