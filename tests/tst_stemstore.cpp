// SPDX-License-Identifier: MIT
// Imports of every supported format, resampling accuracy, content-hash naming, and every bad
// input refused with a reason and nothing stored.
#include "TestFiles.h"
#include "TestSignals.h"
#include "engine/demo/DemoSong.h"
#include "engine/stems/StemPrefetcher.h"
#include "engine/stems/StemSource.h"
#include "engine/stems/StemStore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <unistd.h>

using namespace mixroom::engine;
using namespace mixroom::test;

namespace {
QStringList storedFiles(const QString& dir)
{
    return QDir(dir).entryList(QDir::Files | QDir::NoDotAndDotDot);
}

// The whole file as interleaved floats, read by libsndfile (not by our store).
std::vector<float> readWhole(const std::string& path, int* channels)
{
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    if (!f) return {};
    std::vector<float> x(static_cast<size_t>(info.frames * info.channels));
    sf_readf_float(f, x.data(), info.frames);
    sf_close(f);
    *channels = info.channels;
    return x;
}
} // namespace

class TestStemStore : public QObject {
    Q_OBJECT
  private slots:
    // A small FLAC of long silence (a decompression amplifier) is refused from its header, before
    // a sample is decoded; so is one that would decode past the size limit.
    void importsAreBoundedFromTheHeader()
    {
        QTemporaryDir dir;
        const std::string flac = (dir.path() + "/silence.flac").toStdString();
        QVERIFY(writeAudio(flac, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 48000, 2, std::vector<float>(48000 * 2 * 90, 0.0f)));
        QVERIFY(QFileInfo(QString::fromStdString(flac)).size() < 200 * 1024); // 90 s of stereo in a few KB
        StemLimits limits;
        limits.maxSeconds = 60;
        StemStore store((dir.path() + "/stems").toStdString(), limits);
        auto r = store.import(flac, 48000);
        QVERIFY(!r.ok());
        QCOMPARE(QString::fromStdString(r.error().code), QString("stem_too_long"));
        QVERIFY(QString::fromStdString(r.error().message).contains("limit is 1 min"));
        StemLimits small;
        small.maxDecodedBytes = 10 << 20; // 90 s of stereo float at 48 kHz is ~33 MB
        StemStore store2((dir.path() + "/stems2").toStdString(), small);
        auto r2 = store2.import(flac, 48000);
        QCOMPARE(QString::fromStdString(r2.error().code), QString("stem_too_large"));
        // Nothing was written for either.
        for (const char* sub : {"/stems", "/stems2"})
            for (const QFileInfo& f : QDir(dir.path() + sub).entryInfoList(QDir::Files))
                QVERIFY2(!f.fileName().startsWith("import-"), qPrintable(f.fileName()));
        // The documented defaults: 30 minutes, 1.5 GiB decoded.
        QCOMPARE(StemLimits{}.maxSeconds, 1800.0);
        QCOMPARE(StemLimits{}.maxDecodedBytes, int64_t(3) << 29);
    }

    // Found by fuzz_stem: a header claiming ~10^13 minutes made the refusal's sentence overflow an
    // int (undefined behaviour; the sanitizer build of this test catches it).
    void absurdFrameCountsAreRefusedCleanly()
    {
        QTemporaryDir dir;
        StemStore store((dir.path() + "/stems").toStdString());
        auto r = store.import(MIXROOM_SOURCE_DIR "/tests/fuzz/corpus/fuzz_stem/huge-frame-count", 48000);
        QVERIFY(!r.ok());
        QVERIFY(!r.error().message.empty());
    }

    // What a crash during an import left behind is removed at the next start.
    void staleTemporariesAreRemoved()
    {
        QTemporaryDir dir;
        const QString stems = dir.path() + "/stems";
        QDir().mkpath(stems);
        for (const char* name : {"/import-AbC123", "/src-x-48000.ref.tmp"}) {
            QFile f(stems + name);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(1000, 'x'));
        }
        QFile keep(stems + "/keep.ref");
        QVERIFY(keep.open(QIODevice::WriteOnly));
        keep.close();
        StemStore store(stems.toStdString());
        QCOMPARE(store.removeStaleTemporaries(), 2);
        QCOMPARE(QDir(stems).entryList(QDir::Files), QStringList{"keep.ref"});
    }

    void importsEveryFormat_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("channels");
        QTest::addColumn<double>("tolerance"); // max sample error against the source
        QTest::newRow("wav16") << "a.wav" << (SF_FORMAT_WAV | SF_FORMAT_PCM_16) << 2 << 1.0 / 16384;
        QTest::newRow("wav24") << "a.wav" << (SF_FORMAT_WAV | SF_FORMAT_PCM_24) << 1 << 1.0 / 4e6;
        QTest::newRow("wav32") << "a.wav" << (SF_FORMAT_WAV | SF_FORMAT_PCM_32) << 2 << 1e-7;
        QTest::newRow("wav float") << "a.wav" << (SF_FORMAT_WAV | SF_FORMAT_FLOAT) << 2 << 0.0;
        QTest::newRow("aiff16") << "a.aiff" << (SF_FORMAT_AIFF | SF_FORMAT_PCM_16) << 2 << 1.0 / 16384;
        QTest::newRow("aiff24") << "a.aif" << (SF_FORMAT_AIFF | SF_FORMAT_PCM_24) << 1 << 1.0 / 4e6;
        QTest::newRow("flac16") << "a.flac" << (SF_FORMAT_FLAC | SF_FORMAT_PCM_16) << 2 << 1.0 / 16384;
        QTest::newRow("flac24") << "a.flac" << (SF_FORMAT_FLAC | SF_FORMAT_PCM_24) << 1 << 1.0 / 4e6;
        QTest::newRow("ogg vorbis") << "a.ogg" << (SF_FORMAT_OGG | SF_FORMAT_VORBIS) << 2 << -1.0;
    }
    void importsEveryFormat()
    {
        QFETCH(QString, name);
        QFETCH(int, format);
        QFETCH(int, channels);
        QFETCH(double, tolerance);
        QTemporaryDir tmp;
        const int n = 48000;
        auto l = sine(440, 48000, 0.5, n);
        auto r = sine(660, 48000, 0.25, n);
        const std::string src = (tmp.path() + "/" + name).toStdString();
        QVERIFY(writeAudio(src, format, 48000, channels, channels == 2 ? interleave(l, r) : l));
        StemStore store((tmp.path() + "/store").toStdString());
        double lastProgress = 0;
        auto info = store.import(src, 48000, [&](double f) { lastProgress = f; });
        QVERIFY2(info.ok(), info.ok() ? "" : info.error().message.c_str());
        QCOMPARE(lastProgress, 1.0);
        QCOMPARE(info->channels, channels);
        QCOMPARE(info->frames, int64_t(n));
        QCOMPARE(QString::fromStdString(info->path), tmp.path() + "/store/" + QString::fromStdString(info->hash) + ".f32");
        auto stem = StemSource::open(info->path);
        QVERIFY(stem.ok());
        std::vector<float> gl(static_cast<size_t>(n)), gr(static_cast<size_t>(n));
        stem.value()->read(0, n, gl.data(), gr.data());
        if (tolerance >= 0) {
            for (int i = 0; i < n; ++i) {
                QVERIFY(std::abs(gl[static_cast<size_t>(i)] - l[static_cast<size_t>(i)]) <= tolerance);
                if (channels == 2)
                    QVERIFY(std::abs(gr[static_cast<size_t>(i)] - r[static_cast<size_t>(i)]) <= tolerance);
                else
                    QCOMPARE(gr[static_cast<size_t>(i)], gl[static_cast<size_t>(i)]);
            }
        } else {
            // Lossy: the tone is there at its level.
            QVERIFY(std::abs(toDb(amplitudeAt(gl, 440, 48000, 4800, 43200) / 0.5)) < 0.2);
        }
        // Reading past the end gives silence.
        stem.value()->read(n - 2, 4, gl.data(), gr.data());
        QCOMPARE(gl[2], 0.0f);
        QCOMPARE(gl[3], 0.0f);
    }

    // The demo's stems are generated above full scale in places (drum onsets). Each file, read by
    // libsndfile, and what the store keeps of it must hold what the generator made, within a 24-bit
    // step: an integer file would have wrapped those samples around by two full scales.
    void demoStemsHoldWhatWasGenerated()
    {
        QTemporaryDir tmp;
        auto demo = writeDemoSong(tmp.path().toStdString());
        QVERIFY2(demo.ok(), demo.ok() ? "" : demo.error().message.c_str());
        StemStore store((tmp.path() + "/store").toStdString());
        float loudest = 0;
        for (const auto& gen : demoStems()) {
            const std::string path = tmp.path().toStdString() + "/stems/" + gen.name + ".wav";
            int channels = 0;
            const auto file = readWhole(path, &channels);
            QCOMPARE(channels, gen.channels);
            const size_t frames = file.size() / static_cast<size_t>(channels);
            QCOMPARE(frames, size_t(kDemoSeconds * kDemoRate));
            auto info = store.import(path, kDemoRate);
            QVERIFY(info.ok());
            auto stem = StemSource::open(info->path);
            QVERIFY(stem.ok());
            std::vector<float> sl(frames), sr(frames);
            stem.value()->read(0, static_cast<int>(frames), sl.data(), sr.data());
            int wrong = 0, firstWrong = -1;
            for (size_t i = 0; i < frames; ++i) {
                float l = 0, r = 0;
                gen.next(static_cast<double>(i) / kDemoRate, l, r);
                if (channels == 1) r = l;
                loudest = std::max({loudest, std::abs(l), std::abs(r)});
                const float fl = file[i * static_cast<size_t>(channels)];
                const float fr = file[i * static_cast<size_t>(channels) + static_cast<size_t>(channels - 1)];
                const float tol = 1.0f / (1 << 23); // a 24-bit step: only a wrap or a clip counts
                if (std::abs(fl - l) > tol || std::abs(fr - r) > tol || std::abs(sl[i] - l) > tol || std::abs(sr[i] - r) > tol) {
                    if (wrong++ == 0) firstWrong = static_cast<int>(i);
                }
            }
            QVERIFY2(wrong == 0, qPrintable(QString("%1: %2 samples differ from the generator's, the first at %3 s")
                                                .arg(QString::fromStdString(gen.name))
                                                .arg(wrong)
                                                .arg(firstWrong / double(kDemoRate))));
        }
        QVERIFY2(loudest > 1.0f, "the demo no longer goes past full scale: this test lost its point");
    }

    // A float stem beyond full scale keeps its samples through import and resampling: nothing is
    // clipped or wrapped.
    void floatStemsBeyondFullScaleKeepTheirPeaks_data()
    {
        QTest::addColumn<int>("rate");
        QTest::newRow("48 kHz") << 48000;
        QTest::newRow("44.1 kHz, resampled") << 44100;
    }
    void floatStemsBeyondFullScaleKeepTheirPeaks()
    {
        QFETCH(int, rate);
        QTemporaryDir tmp;
        const int n = rate;
        auto l = sine(440, rate, 2.0, n); // +6 dBFS
        auto r = sine(1000, rate, 1.5, n);
        const std::string src = (tmp.path() + "/hot.wav").toStdString();
        QVERIFY(writeAudio(src, SF_FORMAT_WAV | SF_FORMAT_FLOAT, rate, 2, interleave(l, r)));
        StemStore store((tmp.path() + "/store").toStdString());
        auto info = store.import(src, 48000);
        QVERIFY(info.ok());
        auto stem = StemSource::open(info->path);
        QVERIFY(stem.ok());
        const int m = static_cast<int>(info->frames);
        std::vector<float> gl(static_cast<size_t>(m)), gr(static_cast<size_t>(m));
        stem.value()->read(0, m, gl.data(), gr.data());
        const float peakL = *std::max_element(gl.begin() + m / 10, gl.end() - m / 10);
        const float peakR = *std::max_element(gr.begin() + m / 10, gr.end() - m / 10);
        QVERIFY2(std::abs(peakL - 2.0f) < 0.01f, qPrintable(QString::number(peakL)));
        QVERIFY2(std::abs(peakR - 1.5f) < 0.01f, qPrintable(QString::number(peakR)));
    }

    void resamples44kTo48k()
    {
        QTemporaryDir tmp;
        const int n = 44100 * 3;
        const double amp = 0.5;
        auto s = sine(1000, 44100, amp, n);
        const std::string src = (tmp.path() + "/s.wav").toStdString();
        QVERIFY(writeAudio(src, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 44100, 1, s));
        StemStore store((tmp.path() + "/store").toStdString());
        auto info = store.import(src, 48000);
        QVERIFY(info.ok());
        QCOMPARE(info->sampleRate, 48000);
        QCOMPARE(info->sourceRate, 44100);
        QVERIFY(std::abs(info->frames - 48000 * 3) <= 1);
        auto stem = StemSource::open(info->path);
        std::vector<float> l(static_cast<size_t>(info->frames)), r(l.size());
        stem.value()->read(0, int(l.size()), l.data(), r.data());
        // Same frequency (the energy sits at 1 kHz at the new rate) and level within 0.01 dB.
        const double level = amplitudeAt(l, 1000, 48000, 24000, 96000);
        QVERIFY2(std::abs(toDb(level / amp)) < 0.01, qPrintable(QString::number(toDb(level / amp))));
        QVERIFY(amplitudeAt(l, 1000 * 48000.0 / 44100, 48000, 24000, 96000) < 0.01);
    }

    void prefetcherKeepsThePagesAheadOfThePlayheadInMemory()
    {
        // A cold stem (evicted from the page cache): the prefetcher brings the next two seconds
        // after a playhead into memory from its own thread, and follows the playhead. (60 s:
        // the kernel's own read-ahead after open() covers the first ~20 s of a stem.)
        QTemporaryDir tmp;
        const int rate = 48000, seconds = 60;
        auto s = sine(220, rate, 0.5, int64_t(rate) * seconds);
        const std::string src = (tmp.path() + "/long.wav").toStdString();
        QVERIFY(writeAudio(src, SF_FORMAT_WAV | SF_FORMAT_FLOAT, rate, 2, interleave(s, s)));
        StemStore store((tmp.path() + "/store").toStdString());
        auto info = store.import(src, rate);
        QVERIFY(info.ok());
        const int fd = ::open(info->path.c_str(), O_RDONLY);
        QVERIFY(fd >= 0);
        ::fdatasync(fd);
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
        auto stem = StemSource::open(info->path);
        QVERIFY(stem.ok());
        if (stem.value()->resident(40 * rate, 2 * rate)) QSKIP("the page cache kept the stem (the test needs eviction)");
        StemPrefetcher prefetcher;
        auto playhead = std::make_shared<StemPrefetcher::Cursor>(0);
        prefetcher.track(1, {stem.value()}, rate, playhead);
        prefetcher.passNow();
        QVERIFY(stem.value()->resident(0, 2 * rate - 1));
        playhead->store(40 * rate); // a seek
        prefetcher.passNow();
        QVERIFY(stem.value()->resident(40 * rate, 2 * rate - 1));
        QVERIFY(prefetcher.pagesTouched() > 0);
    }

    void sameContentStoredOnce()
    {
        QTemporaryDir tmp;
        auto s = sine(300, 48000, 0.3, 4800);
        QVERIFY(writeAudio((tmp.path() + "/a.wav").toStdString(), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, s));
        QVERIFY(writeAudio((tmp.path() + "/b.flac").toStdString(), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, s));
        StemStore store((tmp.path() + "/store").toStdString());
        auto a = store.import((tmp.path() + "/a.wav").toStdString(), 48000);
        auto b = store.import((tmp.path() + "/b.flac").toStdString(), 48000);
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(a->hash, b->hash);
        QCOMPARE(QDir(tmp.path() + "/store").entryList({"*.f32"}).size(), 1);
    }

    void refusesBadInput_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("reason");
        QTest::newRow("missing path") << "missing"
                                      << "stem_unreadable"
                                      << "No such file";
        QTest::newRow("directory") << "directory"
                                   << "stem_unreadable"
                                   << "not a regular file";
        QTest::newRow("zero bytes") << "empty"
                                    << "stem_empty"
                                    << "zero length";
        QTest::newRow("zero frames") << "noframes"
                                     << "stem_empty"
                                     << "no audio frames";
        QTest::newRow("garbage") << "garbage"
                                 << "stem_corrupt"
                                 << "not a readable audio file";
        QTest::newRow("truncated") << "truncated"
                                   << "stem_corrupt"
                                   << "truncated";
        QTest::newRow("absurd header") << "absurd"
                                       << "stem_corrupt"
                                       << "claims";
        QTest::newRow("three channels") << "3ch"
                                        << "stem_channels"
                                        << "3 channels";
        QTest::newRow("adpcm codec") << "adpcm"
                                     << "stem_unsupported"
                                     << "compressed codec";
        QTest::newRow("u-law codec") << "ulaw"
                                     << "stem_unsupported"
                                     << "compressed codec";
        QTest::newRow("nan samples") << "nan"
                                     << "stem_corrupt"
                                     << "non-finite";
    }
    void refusesBadInput()
    {
        QFETCH(QString, kind);
        QFETCH(QString, code);
        QFETCH(QString, reason);
        QTemporaryDir tmp;
        const QString path = tmp.path() + "/in.wav";
        const auto s = sine(440, 48000, 0.5, 48000);
        const auto write = [&](int fmt, int ch, const std::vector<float>& data) {
            QVERIFY(writeAudio(path.toStdString(), fmt, 48000, ch, data));
        };
        if (kind == "directory") QDir().mkpath(path);
        if (kind == "empty") QFile(path).open(QIODevice::WriteOnly);
        if (kind == "noframes") write(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, {});
        if (kind == "garbage") {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(4000, '\x5a'));
        }
        if (kind == "truncated") {
            write(SF_FORMAT_WAV | SF_FORMAT_PCM_24, 2, interleave(s, s));
            QVERIFY(QFile::resize(path, QFileInfo(path).size() / 2));
        }
        if (kind == "absurd") {
            write(SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 1, s);
            // Claim a billion frames in the COMM chunk (numSampleFrames at byte 22).
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadWrite));
            QByteArray all = f.readAll();
            const int comm = int(all.indexOf("COMM"));
            QVERIFY(comm > 0);
            all[comm + 10] = char(0x3b);
            all[comm + 11] = char(0x9a);
            all[comm + 12] = char(0xca);
            all[comm + 13] = char(0x00);
            f.seek(0);
            f.write(all);
        }
        if (kind == "3ch") {
            std::vector<float> three(s.size() * 3);
            for (size_t i = 0; i < s.size(); ++i)
                three[3 * i] = three[3 * i + 1] = three[3 * i + 2] = s[i];
            write(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 3, three);
        }
        if (kind == "adpcm") write(SF_FORMAT_WAV | SF_FORMAT_IMA_ADPCM, 1, s);
        if (kind == "ulaw") write(SF_FORMAT_WAV | SF_FORMAT_ULAW, 1, s);
        if (kind == "nan") {
            auto bad = s;
            bad[1000] = std::nanf("");
            write(SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, bad);
        }
        const QString storeDir = tmp.path() + "/store";
        StemStore store(storeDir.toStdString());
        auto info = store.import(path.toStdString(), 48000);
        QVERIFY2(!info.ok(), "a bad file was accepted");
        QCOMPARE(QString::fromStdString(info.error().code), code);
        QVERIFY2(QString::fromStdString(info.error().message).contains(reason), info.error().message.c_str());
        QVERIFY2(storedFiles(storeDir).isEmpty(), qPrintable(storedFiles(storeDir).join(", "))); // nothing stored
    }
};

QTEST_GUILESS_MAIN(TestStemStore)
#include "tst_stemstore.moc"
