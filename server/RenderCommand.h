// SPDX-License-Identifier: MIT
#pragma once
// `mixroomd render`: renders a session file (or the built-in demo) to WAV/FLAC and prints the
// loudness report, as text or JSON. Progress goes to stderr as a bar when it is a terminal.
// Thread: the main thread.
#include "engine/render/Renderer.h"

#include <QJsonObject>
#include <QStringList>

namespace mixroom::server {

struct RenderArgs {
    QString session; // session file, empty with demo
    bool demo = false;
    QString out;
    QString format; // empty: from the file extension
    bool json = false;
    QString storeDir; // canonical stem store
    QString demoDir;  // where the demo's stems and session are written
    int blockSize = 1024;
};

// Parses `render` arguments (after the verb). Returns an error sentence on bad usage.
engine::Result<RenderArgs> parseRenderArgs(const QStringList& args);
// Runs the render; returns the process exit code. Errors go to stderr.
int runRender(const RenderArgs& args);
QJsonObject reportToJson(const engine::RenderReport& report);
QString reportToText(const engine::RenderReport& report);

} // namespace mixroom::server
