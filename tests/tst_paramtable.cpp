// SPDX-License-Identifier: MIT
#include "engine/model/ParamTable.h"

#include <QTest>

using namespace mixroom::engine;

namespace {
Session fixture()
{
    Session s;
    Group g;
    g.id = "drums";
    g.eq.resize(1);
    g.sends.push_back(Send{"verb"});
    s.groups.push_back(g);
    Return r;
    r.id = "verb";
    r.eq.resize(1);
    s.returns.push_back(r);
    Track t;
    t.id = "bass";
    t.stem = "bass.wav";
    t.eq.resize(2);
    t.sends.push_back(Send{"verb"});
    s.tracks.push_back(t);
    s.master.eq.resize(1);
    return s;
}
std::string concrete(const std::string& pattern)
{
    // Fill each '*' with the fixture's id for that position (or band 1).
    std::string out;
    size_t start = 0;
    std::vector<std::string> seg;
    while (true) {
        size_t slash = pattern.find('/', start);
        seg.push_back(pattern.substr(start, slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    for (size_t i = 0; i < seg.size(); ++i) {
        if (seg[i] == "*") {
            const std::string& prev = seg[i - 1];
            seg[i] = prev == "tracks" ? "bass" : prev == "groups" ? "drums" : prev == "returns" ? "verb" : prev == "sends" ? "verb" : "1";
        }
        out += (i ? "/" : "") + seg[i];
    }
    return out;
}
} // namespace

class TestParamTable : public QObject {
    Q_OBJECT
  private slots:
    void everySpecResolvesAndTakesItsDefault()
    {
        Session s = fixture();
        for (const ParamSpec& spec : paramTable()) {
            const std::string path = concrete(spec.pattern);
            QVERIFY2(findSpec(path) == &spec, path.c_str());
            auto got = getParam(s, path);
            QVERIFY2(std::holds_alternative<ParamValue>(got), path.c_str());
            ParamValue v;
            switch (spec.type) {
            case ParamType::Number: v = spec.def; break;
            case ParamType::Bool: v = spec.def != 0; break;
            case ParamType::Choice: v = spec.choices.front(); break;
            case ParamType::Text: v = std::string("x"); break;
            }
            auto err = setParam(s, path, v);
            QVERIFY2(!err, (path + ": " + (err ? err->message : "")).c_str());
            QVERIFY(std::get<ParamValue>(getParam(s, path)) == v);
            if (spec.type == ParamType::Number && spec.choices.empty()) {
                auto low = setParam(s, path, spec.min - 1);
                QVERIFY2(low && low->code == ParamError::Code::OutOfRange, path.c_str());
                auto nan = setParam(s, path, std::nan(""));
                QVERIFY2(nan && nan->code == ParamError::Code::OutOfRange, path.c_str());
                auto wrong = setParam(s, path, true);
                QVERIFY2(wrong && wrong->code == ParamError::Code::WrongType, path.c_str());
            }
        }
    }

    void errorsNameThePath_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("message");
        QTest::newRow("q below") << "tracks/bass/eq/2/q" << 0.0 << "tracks/bass/eq/2/q: 0 is below the minimum 0.1";
        QTest::newRow("fader above") << "tracks/bass/fader" << 13.0 << "tracks/bass/fader: 13 is above the maximum 12";
        QTest::newRow("no band 3") << "tracks/bass/eq/3/q" << 1.0 << "tracks/bass/eq/3/q: no such parameter";
        QTest::newRow("unknown track") << "tracks/nope/fader" << 0.0 << "tracks/nope/fader: no such parameter";
        QTest::newRow("rate") << "sampleRate" << 32000.0 << "sampleRate: 32000 is not supported (use one of 44100, 48000, 88200, 96000)";
        QTest::newRow("ceiling") << "master/limiter/ceiling" << 0.5 << "master/limiter/ceiling: 0.5 is above the maximum 0";
    }
    void errorsNameThePath()
    {
        QFETCH(QString, path);
        QFETCH(double, value);
        QFETCH(QString, message);
        Session s = fixture();
        const Session before = s;
        auto e = setParam(s, path.toStdString(), value);
        QVERIFY(e);
        QCOMPARE(QString::fromStdString(e->message), message);
        QVERIFY(s == before); // nothing changed
    }

    void textIsChecked()
    {
        Session s = fixture();
        QVERIFY(setParam(s, "tracks/bass/name", std::string("\xff\xfe")));
        QVERIFY(setParam(s, "tracks/bass/name", std::string(65, 'a')));
        QVERIFY(setParam(s, "tracks/bass/name", std::string("a\nb")));
        QVERIFY(!setParam(s, "tracks/bass/name", std::string("Bass \xc3\xa9")));
    }

    void syncValues()
    {
        QCOMPARE(syncToMs("1/4", 120), 500.0);
        QCOMPARE(syncToMs("1/8d", 120), 375.0);
        QCOMPARE(syncToMs("off", 120), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestParamTable)
#include "tst_paramtable.moc"
