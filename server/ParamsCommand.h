// SPDX-License-Identifier: MIT
#pragma once
// `mixroomd params`: prints the parameter table (path, type, unit, range, default, scope) as
// Markdown (docs/PARAMETERS.md is this output, checked by a test) or JSON.
#include <QString>

namespace mixroom::server {

QString paramsMarkdown();
QString paramsJson();

} // namespace mixroom::server
