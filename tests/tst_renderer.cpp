// SPDX-License-Identifier: MIT
// Offline render: formats, determinism by hash, progress, latency compensation, the report.
#include "MixFixture.h"
#include "engine/render/Renderer.h"
#include "engine/util/Sha256.h"

#include <QFile>
#include <QTest>

using namespace mixroom::engine;
using namespace mixroom::test;

namespace {
std::string fileHash(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    const QByteArray all = f.readAll();
    return Sha256::hex(all.constData(), static_cast<size_t>(all.size()));
}
} // namespace

class TestRenderer : public QObject {
    Q_OBJECT
  private slots:
    void formatsAndDeterminism_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addColumn<int>("sfFormat");
        for (auto [name, f] : {std::pair{"wav16", SF_FORMAT_WAV | SF_FORMAT_PCM_16}, std::pair{"wav24", SF_FORMAT_WAV | SF_FORMAT_PCM_24},
                               std::pair{"wav32f", SF_FORMAT_WAV | SF_FORMAT_FLOAT}, std::pair{"flac16", SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
                               std::pair{"flac24", SF_FORMAT_FLAC | SF_FORMAT_PCM_24}})
            QTest::newRow(name) << QString(name) << f;
    }
    void formatsAndDeterminism()
    {
        QFETCH(QString, format);
        QFETCH(int, sfFormat);
        MixFixture fx;
        QVERIFY(fx.makeStems(3, 2.0, true));
        fx.addProcessing();
        QVERIFY(fx.load());
        RenderOptions opt;
        opt.format = parseFileFormat(format.toStdString()).value();
        std::vector<double> progress;
        opt.progress = [&](double f) { progress.push_back(f); };
        const QString ext = format.startsWith("flac") ? ".flac" : ".wav";
        const QString a = fx.dir.path() + "/a" + ext, b = fx.dir.path() + "/b" + ext;
        auto ra = renderToFile(fx.session, fx.stems, a.toStdString(), opt);
        QVERIFY2(ra.ok(), ra.ok() ? "" : ra.error().message.c_str());
        QVERIFY(progress.size() > 10);
        QVERIFY(std::is_sorted(progress.begin(), progress.end()));
        QCOMPARE(progress.back(), 1.0);
        opt.blockSize = 333; // a different block size must not change a single byte
        auto rb = renderToFile(fx.session, fx.stems, b.toStdString(), opt);
        QVERIFY(rb.ok());
        QCOMPARE(fileHash(a), fileHash(b));
        // Nothing time-dependent in the file (libsndfile's PEAK chunk holds a timestamp).
        QFile raw(a);
        QVERIFY(raw.open(QIODevice::ReadOnly));
        QVERIFY(!raw.read(4096).contains("PEAK"));
        QVERIFY(!QFile::exists(a + ".part"));

        SF_INFO info{};
        SNDFILE* f = sf_open(a.toLocal8Bit().constData(), SFM_READ, &info);
        QVERIFY(f);
        sf_close(f);
        QCOMPARE(info.format, sfFormat);
        QCOMPARE(info.channels, 2);
        QCOMPARE(info.samplerate, 48000);
        QCOMPARE(int64_t(info.frames), int64_t(48000 * 2.5)); // stems + 0.5 s tail
        QCOMPARE(ra->frames, int64_t(info.frames));
        QVERIFY(std::isfinite(ra->loudness.integrated));
        QVERIFY(ra->loudness.truePeak <= -1.0 + 0.05);
        QCOMPARE(ra->strips.size(), static_cast<size_t>(3 + 1 + 2));
    }

    void latencyIsCompensated()
    {
        // An impulse at frame 1000 of a stem is at frame 1000 of the render, limiter on.
        MixFixture fx;
        std::vector<float> imp(4800, 0.0f);
        imp[1000] = 0.5f;
        QVERIFY(writeAudio((fx.dir.path() + "/imp.wav").toStdString(), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 2, interleave(imp, imp)));
        Track t;
        t.id = "imp";
        t.stem = "imp.wav";
        fx.session.tracks = {t};
        fx.session.tail = 0;
        fx.session.master.limiter = Limiter{true, -1, 7.5, 100};
        QVERIFY(fx.load());
        std::vector<float> out;
        auto rep = renderSession(fx.session, fx.stems, 64, [&](const float* l, const float*, int n) {
            out.insert(out.end(), l, l + n);
            return Result<Ok>(Ok{});
        });
        QVERIFY(rep.ok());
        QCOMPARE(out.size(), static_cast<size_t>(4800));
        const auto peak = std::max_element(out.begin(), out.end(), [](float a, float b) { return std::abs(a) < std::abs(b); });
        QCOMPARE(int(peak - out.begin()), 1000);
        QCOMPARE(*peak, 0.5f);
    }

    void ditherIsTpdfAndDeterministic()
    {
        // Silence rendered to 16 bits: dither noise of +-1 LSB around zero, never more.
        MixFixture fx;
        std::vector<float> zero(48000, 0.0f);
        QVERIFY(writeAudio((fx.dir.path() + "/z.wav").toStdString(), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, zero));
        Track t;
        t.id = "z";
        t.stem = "z.wav";
        fx.session.tracks = {t};
        fx.session.tail = 0;
        QVERIFY(fx.load());
        RenderOptions opt;
        opt.format = FileFormat::Wav16;
        const QString out = fx.dir.path() + "/z16.wav";
        QVERIFY(renderToFile(fx.session, fx.stems, out.toStdString(), opt).ok());
        SF_INFO info{};
        SNDFILE* f = sf_open(out.toLocal8Bit().constData(), SFM_READ, &info);
        std::vector<short> pcm(static_cast<size_t>(info.frames * 2));
        sf_readf_short(f, pcm.data(), info.frames);
        sf_close(f);
        int up = 0, down = 0;
        for (short s : pcm) {
            QVERIFY(s >= -1 && s <= 1);
            up += s == 1;
            down += s == -1;
        }
        // Triangular over (-1, 1) LSB, rounded: +1 and -1 each with probability 1/8.
        const double n = static_cast<double>(pcm.size());
        QVERIFY2(std::abs(up / n - 0.125) < 0.01 && std::abs(down / n - 0.125) < 0.01,
                 qPrintable(QStringLiteral("+1: %1, -1: %2 of %3").arg(up).arg(down).arg(pcm.size())));
        // Independent from sample to sample and between the channels.
        auto correlation = [&](size_t lag) {
            double sxy = 0, sxx = 0;
            for (size_t i = 0; i + lag < pcm.size(); ++i) {
                sxy += double(pcm[i]) * pcm[i + lag];
                sxx += double(pcm[i]) * pcm[i];
            }
            return sxy / sxx;
        };
        for (size_t lag : {1, 2, 3})
            QVERIFY2(std::abs(correlation(lag)) < 0.02, qPrintable(QStringLiteral("lag %1: %2").arg(lag).arg(correlation(lag))));
        // The same bytes again.
        const QString again = fx.dir.path() + "/z16b.wav";
        QVERIFY(renderToFile(fx.session, fx.stems, again.toStdString(), opt).ok());
        QFile a(out), b(again);
        QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
        QVERIFY(a.readAll() == b.readAll());
    }
};

QTEST_GUILESS_MAIN(TestRenderer)
#include "tst_renderer.moc"
