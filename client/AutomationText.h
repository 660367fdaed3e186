// SPDX-License-Identifier: MIT
#pragma once
// Automation as people read it (the CLI and the desk): times as m:ss.mmm at the session rate,
// values in the parameter's unit, and a version diff's lane changes point by point.
// Thread: any.
#include "engine/model/Session.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace mixroom::client {

// Samples at `rate` as "1:23.456".
QString laneTime(int64_t samples, int rate);
// One point as "1:23.456  -6 dB  linear" (unit from the parameter's row).
QString pointText(const QString& path, const engine::AutoPoint& p, int rate);
// A version_diff `lanes` entry as lines: a heading, then "+", "-" and "~" lines per point.
QStringList laneChangeLines(const QJsonObject& change, int rate);

} // namespace mixroom::client
