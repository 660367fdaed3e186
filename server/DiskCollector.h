// SPDX-License-Identifier: MIT
#pragma once
// Reclaims disk: stems and renders nothing refers to any more.
//
// Stems and renders are stored by content (a stem by the SHA-256 of its canonical samples, a
// render by the SHA-256 of the session document it mixes), so one file may serve many sessions
// and versions. Their references are counted here by walking everything durable that can name
// one: each session's latest snapshot and the ops after it (what a restart replays), and every
// saved version's document. A stem is referenced when any of these names its hash; a render when
// a version's document hashes to its key. Unreferenced files are removed once they are older than
// a grace period (default 1 h), which covers an upload imported a moment ago whose track is not
// added yet, and a render that is being made or was just pulled. A stem found again by an import
// is touched, so the grace period starts again.
// The render cache is also bounded in size: RenderCache evicts the least recently used renders.
// Thread: any; opens its own database connection (a worker job in mixroomd, or `mixroomd gc`).
#include <QString>
#include <QStringList>

namespace mixroom::server {

struct DiskReport {
    QStringList stems;                             // removed (or, dry run, would be) — file names
    QStringList renders;                           // render folders
    QStringList refs;                              // import shortcuts (src-*.ref) that named a removed stem
    qint64 bytes = 0;                              // their size
    int keptStems = 0, keptRenders = 0, young = 0; // referenced; unreferenced but within the grace period
    QString error;                                 // non-empty: nothing was removed
};

// `dataDir` is mixroomd's --data folder (mixroom.sqlite, stems/, renders/).
DiskReport collectDisk(const QString& dataDir, bool dryRun, qint64 graceMs = 3600 * 1000);

// `mixroomd gc [--data DIR] [--dry-run] [--grace-hours H] [--json]`
int runGc(const QStringList& args);

} // namespace mixroom::server
