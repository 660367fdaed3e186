// SPDX-License-Identifier: MIT
#include "client/NameResolver.h"

#include "engine/model/ParamTable.h"
#include "protocol/SessionOps.h"

#include <QHash>
#include <QRegularExpression>

#include <algorithm>
#include <set>

namespace mixroom::client {

namespace {

int editDistance(const QString& a, const QString& b)
{
    std::vector<int> row(b.size() + 1);
    for (int j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (int i = 1; i <= a.size(); ++i) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= b.size(); ++j) {
            const int up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

QString quoted(const QString& s)
{
    return "\"" + s + "\"";
}

template <typename List> QList<Named> named(const List& list)
{
    QList<Named> out;
    for (const auto& x : list)
        out.append({QString::fromStdString(x.id), QString::fromStdString(x.name)});
    return out;
}

// The last segments the table allows after `prefix` (given as segments, '*' matching anything).
QStringList nextSegments(const QStringList& prefix)
{
    std::set<QString> out;
    for (const engine::ParamSpec& spec : engine::paramTable()) {
        const QStringList pat = QString::fromStdString(spec.pattern).split('/');
        if (pat.size() <= prefix.size()) continue;
        bool match = true;
        for (int i = 0; i < prefix.size() && match; ++i)
            match = pat[i] == "*" || pat[i] == prefix[i];
        if (match) out.insert(pat[prefix.size()]);
    }
    return QStringList(out.begin(), out.end());
}

} // namespace

QString closest(const QString& word, const QStringList& candidates)
{
    const QString w = word.toLower();
    QString best;
    int bestDistance = std::max(2, static_cast<int>(w.size()) / 3) + 1;
    for (const QString& c : candidates) {
        const QString lc = c.toLower();
        int d = editDistance(w, lc);
        if (lc.startsWith(w) || w.startsWith(lc)) d = std::min(d, 1);
        if (d < bestDistance) {
            bestDistance = d;
            best = c;
        }
    }
    return best;
}

QString didYouMean(const QString& word, const QStringList& candidates)
{
    const QString c = closest(word, candidates);
    return c.isEmpty() ? QString() : QString("; did you mean %1?").arg(quoted(c));
}

std::optional<QString> findNamed(const QList<Named>& items, const QString& text, const QString& what, QString* error)
{
    for (const Named& x : items)
        if (x.id == text) return x.id;
    for (const Named& x : items)
        if (x.name == text) return x.id;
    for (const Named& x : items)
        if (x.name.compare(text, Qt::CaseInsensitive) == 0 || x.id.compare(text, Qt::CaseInsensitive) == 0) return x.id;
    QList<Named> prefixed;
    for (const Named& x : items)
        if (!text.isEmpty() && (x.id.startsWith(text, Qt::CaseInsensitive) || x.name.startsWith(text, Qt::CaseInsensitive)))
            prefixed.append(x);
    if (prefixed.size() == 1) return prefixed[0].id;
    if (prefixed.size() > 1) {
        QStringList names;
        for (const Named& x : prefixed)
            names << (x.name.isEmpty() || x.name == x.id ? quoted(x.id) : QString("%1 (%2)").arg(quoted(x.name), x.id));
        *error = QString("%1 could be %2 %3").arg(quoted(text), what, names.join(" or "));
        return std::nullopt;
    }
    QStringList candidates;
    for (const Named& x : items)
        candidates << x.id << x.name;
    if (items.isEmpty())
        *error = QString("no %1 %2 (there are none yet)").arg(what, quoted(text));
    else
        *error = QString("no %1 %2%3").arg(what, quoted(text), didYouMean(text, candidates));
    return std::nullopt;
}

QList<Named> tracksOf(const engine::Session& s)
{
    return named(s.tracks);
}
QList<Named> groupsOf(const engine::Session& s)
{
    return named(s.groups);
}
QList<Named> returnsOf(const engine::Session& s)
{
    return named(s.returns);
}

std::optional<QString> findStripPath(const engine::Session& s, const QString& text, bool allowReturns, QString* error)
{
    // An explicit kind ("groups/rhythm", "returns/Plate") narrows the search.
    const int slash = text.indexOf('/');
    if (slash > 0) {
        const QString kind = text.left(slash), rest = text.mid(slash + 1);
        const QMap<QString, QString> kinds{{"tracks", "track"}, {"groups", "group"}, {"returns", "return"}};
        if (!kinds.contains(kind) || (kind == "returns" && !allowReturns)) {
            *error = QString("%1 is not a strip (use tracks/NAME, groups/NAME%2, or just the name)")
                         .arg(quoted(text), allowReturns ? ", returns/NAME" : "");
            return std::nullopt;
        }
        const QList<Named> items = kind == "tracks" ? tracksOf(s) : kind == "groups" ? groupsOf(s) : returnsOf(s);
        auto id = findNamed(items, rest, kinds[kind], error);
        if (!id) return std::nullopt;
        return kind + "/" + *id;
    }
    QList<Named> all;
    for (const Named& x : tracksOf(s))
        all.append({"tracks/" + x.id, x.name});
    for (const Named& x : groupsOf(s))
        all.append({"groups/" + x.id, x.name});
    if (allowReturns)
        for (const Named& x : returnsOf(s))
            all.append({"returns/" + x.id, x.name});
    // Ids are compared without their kind prefix.
    QList<Named> byId;
    for (const Named& x : all)
        byId.append({x.id, x.id.section('/', 1)});
    for (const Named& x : all)
        if (x.id.section('/', 1) == text) return x.id;
    QString ignored;
    if (auto id = findNamed(all, text, "strip", &ignored)) return id;
    return findNamed(byId, text, allowReturns ? "track, group or return" : "track or group", error);
}

std::optional<QString> resolveParamPath(const engine::Session& s, const QString& typed, bool allowSubtree, QString* error)
{
    QStringList parts = typed.split('/');
    while (!parts.isEmpty() && parts.last().isEmpty())
        parts.removeLast(); // "master/" is "master"
    if (parts.isEmpty()) {
        *error = "an empty path (try master, tracks/NAME/fader, ...)";
        return std::nullopt;
    }
    static const QStringList roots{"tracks", "groups", "returns", "master", "sampleRate", "tempo", "tail"};
    static const QMap<QString, QString> singular{{"track", "tracks"}, {"group", "groups"}, {"return", "returns"}};
    if (singular.contains(parts[0])) parts[0] = singular[parts[0]];
    if (!roots.contains(parts[0])) {
        *error = QString("no %1 at the top of the mix%2 (paths start with tracks/, groups/, returns/ or master/)")
                     .arg(quoted(parts[0]), didYouMean(parts[0], roots));
        return std::nullopt;
    }
    const QString kind = parts[0];
    const bool strip = kind == "tracks" || kind == "groups" || kind == "returns";
    const QString noun = kind == "tracks" ? "track" : kind == "groups" ? "group" : "return";
    int next = 1;
    if (strip) {
        if (parts.size() < 2) {
            if (allowSubtree) return kind;
            *error = QString("%1 needs a name: %1/NAME/...").arg(kind);
            return std::nullopt;
        }
        const QList<Named> items = kind == "tracks" ? tracksOf(s) : kind == "groups" ? groupsOf(s) : returnsOf(s);
        auto id = findNamed(items, parts[1], noun, error);
        if (!id) return std::nullopt;
        parts[1] = *id;
        next = 2;
    }
    const QString owner = parts.mid(0, next).join('/');
    // Bands: the number must exist on this strip.
    if (parts.size() > next + 1 && parts[next] == "eq") {
        const engine::Strip* st = strip ? stripByPath(s, kind + "/" + parts[1]) : nullptr;
        const size_t bands = st ? st->eq.size() : s.master.eq.size();
        bool ok = false;
        const int band = parts[next + 1].toInt(&ok);
        if (!ok || band < 1 || band > static_cast<int>(bands)) {
            *error = bands == 0 ? QString("%1 has no EQ bands (add one with: mixroom band add %1)").arg(owner)
                                : QString("%1 has no EQ band %2 (bands are numbered 1-%3)").arg(owner, quoted(parts[next + 1])).arg(bands);
            return std::nullopt;
        }
    }
    // Sends: the name is a return's, and the strip must send to it.
    if (strip && parts.size() > next + 1 && parts[next] == "sends") {
        auto to = findNamed(returnsOf(s), parts[next + 1], "aux return", error);
        if (!to) return std::nullopt;
        parts[next + 1] = *to;
        const engine::Strip* st = stripByPath(s, kind + "/" + parts[1]);
        const bool has =
            st && std::any_of(st->sends.begin(), st->sends.end(), [&](const engine::Send& x) { return x.to == to->toStdString(); });
        if (!has) {
            *error = QString("%1 has no send to %2 (add one with: mixroom send add %3 %4)").arg(owner, quoted(*to), parts[1], *to);
            return std::nullopt;
        }
    }
    const QString path = parts.join('/');
    if (engine::findSpec(path.toStdString())) return path;
    if (allowSubtree && !fieldsUnder(s, path).isEmpty()) return path;
    // Name the first segment the table does not know.
    for (int i = next; i < parts.size(); ++i) {
        const QStringList allowed = nextSegments(parts.mid(0, i));
        if (allowed.contains("*") || allowed.contains(parts[i])) continue;
        if (allowed.isEmpty()) {
            *error = QString("%1 is a parameter; it has nothing under it").arg(parts.mid(0, i).join('/'));
        } else {
            *error = QString("%1 has no %2%3 (it has: %4)")
                         .arg(parts.mid(0, i).join('/'), quoted(parts[i]), didYouMean(parts[i], allowed), allowed.join(", "));
        }
        return std::nullopt;
    }
    *error = QString("%1 names a group of parameters, not one (read it with: mixroom get %1)").arg(path);
    return std::nullopt;
}

const engine::Strip* stripByPath(const engine::Session& s, const QString& strip)
{
    const QString kind = strip.section('/', 0, 0);
    const std::string id = strip.section('/', 1).toStdString();
    if (kind == "tracks") return s.track(id);
    if (kind == "groups") return s.group(id);
    if (kind == "returns") return s.aux(id);
    return nullptr;
}

const std::vector<engine::EqBand>* eqByPath(const engine::Session& s, const QString& strip)
{
    if (strip == "master") return &s.master.eq;
    const engine::Strip* st = stripByPath(s, strip);
    return st ? &st->eq : nullptr;
}

std::optional<QJsonValue> parseParamValue(const QString& path, const QString& text, QString* error)
{
    const engine::ParamSpec* spec = engine::findSpec(path.toStdString());
    if (!spec) {
        *error = QString("%1: no such parameter (see docs/PARAMETERS.md)").arg(path);
        return std::nullopt;
    }
    switch (spec->type) {
    case engine::ParamType::Number: {
        if (text == "-inf") return QJsonValue(engine::kSilenceDb);
        bool ok = false;
        const double d = text.toDouble(&ok);
        if (!ok) {
            *error = QString("%1: \"%2\" is not a number").arg(path, text);
            return std::nullopt;
        }
        return QJsonValue(d);
    }
    case engine::ParamType::Bool: {
        const QString t = text.toLower();
        if (t == "true" || t == "on" || t == "1" || t == "yes") return QJsonValue(true);
        if (t == "false" || t == "off" || t == "0" || t == "no") return QJsonValue(false);
        *error = QString("%1: \"%2\" is not true or false").arg(path, text);
        return std::nullopt;
    }
    case engine::ParamType::Choice: {
        QStringList choices;
        for (const std::string& c : spec->choices)
            choices << QString::fromStdString(c);
        if (!choices.isEmpty() && !choices.contains(text)) {
            *error = QString("%1: \"%2\" is not one of %3%4").arg(path, text, choices.join(", "), didYouMean(text, choices));
            return std::nullopt;
        }
        return QJsonValue(text);
    }
    default: return QJsonValue(text);
    }
}

QString newStripId(const engine::Session& state, const QString& display)
{
    QString base = display.toLower();
    base.replace(QRegularExpression("[^a-z0-9_-]+"), "-");
    base = base.left(28).remove(QRegularExpression("^-+|-+$"));
    if (base.isEmpty()) base = "strip";
    QString id = base;
    for (int n = 2; state.track(id.toStdString()) || state.group(id.toStdString()) || state.aux(id.toStdString()) || id == "master"; ++n)
        id = QString("%1-%2").arg(base).arg(n);
    return id;
}

QList<QPair<QString, QJsonValue>> fieldsUnder(const engine::Session& s, const QString& prefix)
{
    // The table expands row by row (every band's type, then every band's freq ...): grouped here
    // by parent (band 1's fields, then band 2's), parents in order of first appearance.
    QList<QString> parents;
    QHash<QString, QList<QPair<QString, QJsonValue>>> byParent;
    const std::string p = prefix.toStdString(), pslash = p + "/";
    engine::forEachField(s, [&](const std::string& path, const engine::ParamSpec&, engine::FieldRef) {
        if (path == p || path.compare(0, pslash.size(), pslash) == 0) {
            const QString qp = QString::fromStdString(path);
            const QString parent = qp.section('/', 0, -2);
            if (!byParent.contains(parent)) parents.append(parent);
            byParent[parent].append({qp, protocol::valueAt(s, qp)});
        }
    });
    QList<QPair<QString, QJsonValue>> out;
    for (const QString& parent : parents)
        out += byParent.value(parent);
    return out;
}

} // namespace mixroom::client
