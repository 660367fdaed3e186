// SPDX-License-Identifier: MIT
#pragma once
// Turns what a person types into what the protocol names: strips, sends, bands, members and notes
// by id, display name (any case) or unique prefix; parameter paths checked against the session and
// the field table, with "did you mean" suggestions for every segment. Used by the CLI and the desk
// (the server still validates everything; this is for errors that help, at once).
// Thread: any (pure functions of their arguments).
#include "engine/model/Session.h"

#include <QJsonArray>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <optional>

namespace mixroom::client {

struct Named {
    QString id;
    QString name;
};

// The closest candidate to `word` (edit distance, case-insensitive), if it is close enough to be a
// likely typo; empty otherwise.
QString closest(const QString& word, const QStringList& candidates);
// ", did you mean \"x\"?" or empty.
QString didYouMean(const QString& word, const QStringList& candidates);

// Finds `text` among `items`: exact id, exact name, name or id in any case, then a unique prefix of
// an id or a name. On failure, `error` reads like "no track \"Basss\"; did you mean \"bass\"?" or
// "\"b\" could be track \"bass\" or \"bongos\"". `what` is the noun ("track", "member").
std::optional<QString> findNamed(const QList<Named>& items, const QString& text, const QString& what, QString* error);

QList<Named> tracksOf(const engine::Session& s);
QList<Named> groupsOf(const engine::Session& s);
QList<Named> returnsOf(const engine::Session& s);
// Tracks, groups and returns, for commands that take any strip; ids are the strip paths
// ("tracks/bass", "groups/rhythm", "returns/plate"), names are ids and display names.
std::optional<QString> findStripPath(const engine::Session& s, const QString& text, bool allowReturns, QString* error);

// A parameter path as typed ("tracks/Lead Vocal/sends/Plate/level", "master/limiter/ceiling") to the
// protocol's path ("tracks/lead/sends/plate/level"). With `allowSubtree`, a path that names a
// subtree ("master", "tracks/bass", "tracks/bass/eq/1") is accepted too. nullopt and an error naming
// the wrong segment, with a suggestion, when the session has no such thing.
std::optional<QString> resolveParamPath(const engine::Session& s, const QString& typed, bool allowSubtree, QString* error);

// The strip at "tracks/<id>", "groups/<id>" or "returns/<id>" (nullptr when absent), and the EQ
// bands of such a strip or of "master".
const engine::Strip* stripByPath(const engine::Session& s, const QString& strip);
const std::vector<engine::EqBand>* eqByPath(const engine::Session& s, const QString& strip);

// Text typed for the parameter at `path` as its JSON value: numbers ("-inf" is silence), true/false
// (also on/off, yes/no, 1/0), one of a choice's values (with a suggestion), text. nullopt and
// `error` when it does not fit.
std::optional<QJsonValue> parseParamValue(const QString& path, const QString& text, QString* error);

// A new strip id from a display name: lower-case letters, digits and dashes, unique in the session.
QString newStripId(const engine::Session& state, const QString& display);

// Every concrete parameter path under `prefix` (or equal to it) with its value, in table order.
QList<QPair<QString, QJsonValue>> fieldsUnder(const engine::Session& s, const QString& prefix);

} // namespace mixroom::client
