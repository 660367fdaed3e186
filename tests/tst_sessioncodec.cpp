// SPDX-License-Identifier: MIT
#include "FieldWalk.h"
#include "engine/demo/DemoSong.h"
#include "protocol/SessionCodec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace mixroom;
using namespace mixroom::engine;

namespace {
const char* kBase = R"({
  "format": "mixroom-session", "version": 1, "sampleRate": 48000, "tempo": 100,
  "groups": [ { "id": "drums", "comp": { "enabled": true, "ratio": 3 } } ],
  "returns": [ { "id": "verb", "effect": { "type": "reverb", "decay": 1.5 } },
               { "id": "echo", "effect": { "type": "delay", "sync": "1/8d", "pingpong": true } } ],
  "tracks": [ { "id": "bass", "name": "Bass", "stem": "stems/bass.wav", "output": "drums", "fader": -3.5, "pan": 0.25,
                "eq": [ { "type": "hp24", "freq": 30 }, { "type": "peak", "freq": 100, "gain": 3, "q": 1.2 } ],
                "sends": { "verb": { "level": -12, "pre": true } } } ],
  "master": { "width": 120, "limiter": { "ceiling": -1.5 } }
})";

QByteArray patched(const QString& path, const QJsonValue& value)
{
    // Sets one key inside kBase by a slash path through objects and arrays (0-based indices).
    QJsonObject root = QJsonDocument::fromJson(kBase).object();
    std::function<QJsonValue(QJsonValue, QStringList)> set = [&](QJsonValue node, QStringList parts) -> QJsonValue {
        const QString key = parts.takeFirst();
        if (node.isArray()) {
            QJsonArray a = node.toArray();
            const int i = key.toInt();
            a[i] = parts.isEmpty() ? value : set(a[i], parts);
            return a;
        }
        QJsonObject o = node.toObject();
        o[key] = parts.isEmpty() ? value : set(o[key], parts);
        return o;
    };
    return QJsonDocument(set(root, path.split('/')).toObject()).toJson();
}
} // namespace

class TestSessionCodec : public QObject {
    Q_OBJECT
  private slots:
    void decodesTheExample()
    {
        auto s = protocol::decodeSession(kBase);
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().message.c_str());
        QCOMPARE(s->tempo, 100.0);
        QCOMPARE(s->tracks.size(), static_cast<size_t>(1));
        const Track& t = s->tracks[0];
        QCOMPARE(t.name, std::string("Bass"));
        QCOMPARE(t.output, std::string("drums"));
        QCOMPARE(t.eq.size(), static_cast<size_t>(2));
        QVERIFY(t.eq[0].type == EqType::HighPass24);
        QCOMPARE(t.eq[1].q, 1.2);
        QCOMPARE(t.sends[0].level, -12.0);
        QVERIFY(t.sends[0].pre);
        QVERIFY(s->returns[1].effect == EffectType::Delay);
        QCOMPARE(s->returns[1].delay.sync, std::string("1/8d"));
        QCOMPARE(s->master.limiter.ceiling, -1.5);
        QCOMPARE(s->groups[0].comp.ratio, 3.0);
    }

    void roundTrips()
    {
        auto s = protocol::decodeSession(kBase);
        QVERIFY(s.ok());
        auto again = protocol::decodeSession(protocol::encodeSession(s.value()));
        QVERIFY(again.ok());
        QVERIFY(again.value() == s.value());
        QTemporaryDir tmp;
        auto demo = writeDemoSong(tmp.path().toStdString());
        QVERIFY(demo.ok());
        auto demoAgain = protocol::decodeSession(protocol::encodeSession(demo.value()));
        QVERIFY2(demoAgain.ok(), demoAgain.ok() ? "" : demoAgain.error().message.c_str());
        QVERIFY(demoAgain.value() == demo.value());
    }

    void everyFieldSurvivesEncodeDecode()
    {
        // For every row of the field table, every concrete path of a rich session set to a
        // non-default valid value: encode -> decode gives the same model (operator== over every
        // member, and a field-by-field walk for the message). Inactive effect fields included.
        using namespace engine;
        for (const ParamSpec& spec : paramTable()) {
            Session s = test::richSession();
            std::vector<std::string> paths;
            forEachField(s, [&](const std::string& p, const ParamSpec& row, FieldRef) {
                if (&row == &spec) paths.push_back(p);
            });
            QVERIFY2(!paths.empty(), spec.pattern.c_str());
            for (const auto& p : paths) {
                const auto cur = std::get<ParamValue>(getParam(s, p));
                const std::string text = spec.pattern.ends_with("output") ? "drums" : "edited";
                auto e = setParam(s, p, test::otherValue(spec, cur, text));
                QVERIFY2(!e, (p + ": " + (e ? e->message : "")).c_str());
                QVERIFY2(std::get<ParamValue>(getParam(s, p)) != cur, p.c_str());
            }
            auto decoded = protocol::decodeSession(protocol::encodeSession(s));
            QVERIFY2(decoded.ok(), (spec.pattern + ": " + (decoded.ok() ? "" : decoded.error().message)).c_str());
            const QStringList diff = test::differingPaths(s, decoded.value());
            QVERIFY2(diff.isEmpty(), qPrintable(QString::fromStdString(spec.pattern) + " lost: " + diff.join(", ")));
        }
    }

    void inactiveEffectSettingsAreKept()
    {
        // The observed loss: a delay time set while the reverb runs vanished from the document.
        engine::Session s = test::richSession();
        QVERIFY(!engine::setParam(s, "returns/plate/effect/time", 700.0));
        QVERIFY(!engine::setParam(s, "returns/echo/effect/decay", 7.5));
        const QJsonObject doc = QJsonDocument::fromJson(protocol::encodeSession(s)).object();
        const QJsonArray returns = doc.value("returns").toArray();
        QCOMPARE(returns[0].toObject().value("effect").toObject().value("time").toDouble(), 700.0);
        QCOMPARE(returns[1].toObject().value("effect").toObject().value("decay").toDouble(), 7.5);
    }

    void refuses_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("message");
        QTest::newRow("malformed") << QByteArray("{\"format\": ") << "bad_json"
                                   << "malformed JSON at byte";
        QTest::newRow("not an object") << QByteArray("[1,2]") << "bad_json"
                                       << "must be a JSON object";
        QTest::newRow("newer version") << patched("version", 7) << "version_unsupported"
                                       << "version: version 7 is not supported";
        QTest::newRow("unknown root key") << patched("colour", "red") << "unknown_path"
                                          << "colour: unknown key";
        QTest::newRow("q below minimum") << patched("tracks/0/eq/1/q", 0) << "out_of_range"
                                         << "tracks/bass/eq/2/q: 0 is below the minimum 0.1";
        QTest::newRow("unknown track key") << patched("tracks/0/volume", 1) << "unknown_path"
                                           << "tracks/bass/volume: unknown key";
        QTest::newRow("wrong type") << patched("tracks/0/mute", "yes") << "wrong_type"
                                    << "tracks/bass/mute: \"yes\" is not true or false";
        QTest::newRow("fader as string") << patched("tracks/0/fader", "-3") << "wrong_type"
                                         << "tracks/bass/fader: \"-3\" is not a number";
        QTest::newRow("huge number") << QByteArray(kBase).replace("\"tempo\": 100", "\"tempo\": 1e999") << "bad_json"
                                     << "malformed JSON";
        QTest::newRow("null") << patched("tracks/0/pan", QJsonValue::Null) << "wrong_type"
                              << "tracks/bass/pan: null is not allowed here";
        QTest::newRow("bad eq type") << patched("tracks/0/eq/0/type", "notch") << "out_of_range"
                                     << "tracks/bass/eq/1/type: \"notch\" is not one of";
        QTest::newRow("send to nowhere") << patched("tracks/0/sends/plate", QJsonObject{{"level", 0}}) << "unknown_path"
                                         << "tracks/bass/sends/plate: no aux return";
        QTest::newRow("bad output") << patched("tracks/0/output", "keys") << "bad_routing"
                                    << "tracks/bass/output: no group \"keys\"";
        QTest::newRow("bad rate") << patched("sampleRate", 22050) << "out_of_range"
                                  << "sampleRate: 22050 is not supported";
        QTest::newRow("bad id") << patched("tracks/0/id", "../etc") << "bad_id"
                                << "tracks/0/id";
        QTest::newRow("id with a final newline") << patched("tracks/0/id", "bass\n") << "bad_id"
                                                 << "tracks/0/id";
        QTest::newRow("duplicate id") << patched("groups/0/id", "verb") << "bad_id"
                                      << "duplicate";
        QTest::newRow("limiter ceiling") << patched("master/limiter/ceiling", 1) << "out_of_range"
                                         << "master/limiter/ceiling: 1 is above the maximum 0";
        QTest::newRow("width") << patched("master/width", 300) << "out_of_range"
                               << "master/width: 300 is above the maximum 200";
        QTest::newRow("sync") << patched("returns/1/effect/sync", "1/5") << "out_of_range"
                              << "returns/echo/effect/sync";
        QTest::newRow("no stem") << QByteArray(kBase).replace("\"stem\": \"stems/bass.wav\",", "") << "bad_session"
                                 << "tracks/bass/stem: every track needs a stem";
        QJsonArray nine;
        for (int i = 0; i < 9; ++i)
            nine.append(QJsonObject{{"type", "peak"}});
        QTest::newRow("nine bands") << patched("tracks/0/eq", nine) << "out_of_range"
                                    << "tracks/bass/eq: 9 bands";
    }
    void refuses()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, code);
        QFETCH(QString, message);
        auto s = protocol::decodeSession(json);
        QVERIFY(!s.ok());
        QCOMPARE(QString::fromStdString(s.error().code), code);
        QVERIFY2(QString::fromStdString(s.error().message).startsWith(message) ||
                     QString::fromStdString(s.error().message).contains(message),
                 s.error().message.c_str());
    }
};

QTEST_GUILESS_MAIN(TestSessionCodec)
#include "tst_sessioncodec.moc"
