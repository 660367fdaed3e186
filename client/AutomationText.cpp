// SPDX-License-Identifier: MIT
#include "client/AutomationText.h"

#include "engine/model/Automation.h"
#include "engine/model/ParamTable.h"

#include <QJsonArray>

namespace mixroom::client {

QString laneTime(int64_t samples, int rate)
{
    const qint64 ms = rate > 0 ? static_cast<qint64>((static_cast<double>(samples) * 1000.0) / rate + 0.5) : 0;
    return QString("%1:%2.%3").arg(ms / 60000).arg((ms / 1000) % 60, 2, 10, QChar('0')).arg(ms % 1000, 3, 10, QChar('0'));
}

QString pointText(const QString& path, const engine::AutoPoint& p, int rate)
{
    const engine::ParamSpec* spec = engine::findSpec(path.toStdString());
    QString value = QString::fromStdString(engine::formatNumber(p.value));
    if (spec && spec->type == engine::ParamType::Bool)
        value = p.value != 0 ? "on" : "off";
    else if (spec && !spec->unit.empty())
        value += " " + QString::fromStdString(spec->unit);
    return QString("%1  %2  %3").arg(laneTime(p.time, rate), value, QString::fromStdString(engine::toString(p.curve)));
}

namespace {
engine::AutoPoint point(const QJsonValue& v)
{
    const QJsonArray a = v.toArray();
    engine::AutoPoint p;
    p.time = static_cast<int64_t>(a.at(0).toDouble());
    p.value = a.at(1).isBool() ? (a.at(1).toBool() ? 1.0 : 0.0) : a.at(1).toDouble();
    p.curve = engine::curveFromString(a.at(2).toString("linear").toStdString()).value_or(engine::Curve::Linear);
    return p;
}
} // namespace

QStringList laneChangeLines(const QJsonObject& c, int rate)
{
    const QString path = c.value("path").toString();
    const QJsonArray added = c.value("added").toArray(), removed = c.value("removed").toArray(), moved = c.value("moved").toArray();
    QStringList counts;
    if (!added.isEmpty()) counts << QString("%1 added").arg(added.size());
    if (!moved.isEmpty()) counts << QString("%1 moved").arg(moved.size());
    if (!removed.isEmpty()) counts << QString("%1 removed").arg(removed.size());
    QString head = QString("automation %1").arg(path);
    const QString lane = c.value("lane").toString();
    if (lane != "changed") head += QString(" (lane %1)").arg(lane);
    if (c.contains("mode"))
        head += QString(", mode %1 -> %2")
                    .arg(c.value("mode").toObject().value("before").toString(), c.value("mode").toObject().value("after").toString());
    if (!counts.isEmpty()) head += ": " + counts.join(", ") + " point" + (added.size() + moved.size() + removed.size() == 1 ? "" : "s");
    QStringList lines{head};
    for (const QJsonValue& v : added)
        lines << "  + " + pointText(path, point(v), rate);
    for (const QJsonValue& v : moved)
        lines << "  ~ " + pointText(path, point(v.toObject().value("from")), rate) + "  ->  " +
                     pointText(path, point(v.toObject().value("to")), rate);
    for (const QJsonValue& v : removed)
        lines << "  - " + pointText(path, point(v), rate);
    return lines;
}

} // namespace mixroom::client
