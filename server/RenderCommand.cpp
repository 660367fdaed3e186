// SPDX-License-Identifier: MIT
#include "server/RenderCommand.h"

#include "engine/demo/DemoSong.h"
#include "engine/stems/SessionStems.h"
#include "protocol/SessionCodec.h"

#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QTextStream>

#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace mixroom::server {

namespace {

QString cacheDir()
{
    QString base = QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation);
    if (base.isEmpty()) base = QDir::tempPath();
    return base + "/mixroom";
}

class ProgressBar {
  public:
    explicit ProgressBar(QString label) : m_label(std::move(label)), m_tty(::isatty(STDERR_FILENO)) {}
    void update(double f)
    {
        if (!m_tty) return;
        const int width = 30;
        const int filled = static_cast<int>(f * width);
        std::fprintf(stderr, "\r%-16s [%s%s] %3d%%", qPrintable(m_label), QByteArray(filled, '#').constData(),
                     QByteArray(width - filled, '.').constData(), static_cast<int>(f * 100));
        std::fflush(stderr);
        m_dirty = true;
    }
    ~ProgressBar()
    {
        if (m_dirty) std::fprintf(stderr, "\n");
    }

  private:
    QString m_label;
    bool m_tty;
    bool m_dirty = false;
};

QJsonValue dbValue(double v)
{
    // JSON has no -inf: silence is reported as null.
    return std::isfinite(v) ? QJsonValue(std::round(v * 100) / 100) : QJsonValue(QJsonValue::Null);
}

QString dbText(double v, const char* unit)
{
    return std::isfinite(v) ? QString::asprintf("%7.2f %s", v, unit) : QString("   -inf %1").arg(unit);
}

} // namespace

engine::Result<RenderArgs> parseRenderArgs(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription("Render a session to a file and print its loudness report.");
    p.addPositionalArgument("session", "Session file (JSON).");
    QCommandLineOption demo("demo", "Render the built-in demo session.");
    QCommandLineOption out("out", "Output file (.wav or .flac).", "FILE");
    QCommandLineOption fmt("format", "wav16, wav24, wav32f, flac16 or flac24 (default: from the extension; wav24 / flac24).", "FORMAT");
    QCommandLineOption json("json", "Print the loudness report as JSON.");
    QCommandLineOption store("store", "Stem store folder (default: ~/.cache/mixroom/stems).", "DIR");
    QCommandLineOption demoDir("demo-dir", "Where the demo's stems are written (default: ~/.cache/mixroom/demo).", "DIR");
    QCommandLineOption block("block", "Render block size, 1-4096 (default 1024).", "FRAMES");
    p.addOptions({demo, out, fmt, json, store, demoDir, block});
    QStringList argv = args;
    argv.prepend("mixroomd render");
    if (!p.parse(argv)) return engine::Error{"usage", p.errorText().toStdString()};
    RenderArgs r;
    r.demo = p.isSet(demo);
    const QStringList pos = p.positionalArguments();
    if (r.demo && !pos.isEmpty()) return engine::Error{"usage", "give either --demo or a session file, not both"};
    if (!r.demo && pos.size() != 1) return engine::Error{"usage", "name one session file to render (or --demo)"};
    if (!r.demo) r.session = pos.first();
    if (!p.isSet(out)) return engine::Error{"usage", "--out FILE is required"};
    r.out = p.value(out);
    r.format = p.value(fmt);
    if (r.format.isEmpty()) r.format = r.out.endsWith(".flac", Qt::CaseInsensitive) ? "flac24" : "wav24";
    if (auto f = engine::parseFileFormat(r.format.toStdString()); !f) return engine::Error{"usage", f.error().message};
    const bool flacName = r.out.endsWith(".flac", Qt::CaseInsensitive);
    if (flacName != r.format.startsWith("flac"))
        return engine::Error{"usage", QString("format %1 does not match the file name %2").arg(r.format, r.out).toStdString()};
    r.json = p.isSet(json);
    r.storeDir = p.isSet(store) ? p.value(store) : cacheDir() + "/stems";
    r.demoDir = p.isSet(demoDir) ? p.value(demoDir) : cacheDir() + "/demo";
    if (p.isSet(block)) {
        bool ok = false;
        r.blockSize = p.value(block).toInt(&ok);
        if (!ok || r.blockSize < 1 || r.blockSize > engine::MixGraph::kMaxBlock)
            return engine::Error{"usage", "--block must be a whole number from 1 to 4096"};
    }
    return r;
}

QJsonObject reportToJson(const engine::RenderReport& rep)
{
    const auto& l = rep.loudness;
    QJsonArray strips;
    for (const auto& s : rep.strips)
        strips.append(QJsonObject{{"kind", QString::fromStdString(s.kind)},
                                  {"id", QString::fromStdString(s.id)},
                                  {"peakDb", dbValue(s.peakDb)},
                                  {"rmsDb", dbValue(s.rmsDb)}});
    return QJsonObject{{"integratedLufs", dbValue(l.integrated)},
                       {"loudnessRangeLu", dbValue(l.range)},
                       {"truePeakDbtp", dbValue(l.truePeak)},
                       {"samplePeakDbfs", dbValue(l.samplePeak)},
                       {"maxMomentaryLufs", dbValue(l.maxMomentary)},
                       {"maxShortTermLufs", dbValue(l.maxShortTerm)},
                       {"durationSeconds", std::round(l.seconds * 1000) / 1000},
                       {"frames", static_cast<double>(rep.frames)},
                       {"sampleRate", rep.sampleRate},
                       {"format", QString::fromStdString(rep.format)},
                       {"strips", strips}};
}

QString reportToText(const engine::RenderReport& rep)
{
    const auto& l = rep.loudness;
    QString s;
    QTextStream t(&s);
    t << "Loudness report (EBU R 128)\n";
    t << "  integrated      " << dbText(l.integrated, "LUFS") << "\n";
    t << "  loudness range  " << dbText(l.range, "LU") << "\n";
    t << "  true peak       " << dbText(l.truePeak, "dBTP") << "\n";
    t << "  sample peak     " << dbText(l.samplePeak, "dBFS") << "\n";
    t << "  max momentary   " << dbText(l.maxMomentary, "LUFS") << "\n";
    t << "  max short-term  " << dbText(l.maxShortTerm, "LUFS") << "\n";
    t << "  duration        " << QString::asprintf("%7.2f s", l.seconds) << " (" << rep.frames << " frames at " << rep.sampleRate << " Hz, "
      << QString::fromStdString(rep.format) << ")\n";
    t << "Strips (peak / RMS)\n";
    for (const auto& st : rep.strips)
        t << "  " << QString::fromStdString(st.kind).leftJustified(7) << QString::fromStdString(st.id).leftJustified(14)
          << dbText(st.peakDb, "dBFS") << "  " << dbText(st.rmsDb, "dBFS") << "\n";
    return s;
}

int runRender(const RenderArgs& args)
{
    QByteArray json;
    QString baseDir;
    engine::Session session;
    if (args.demo) {
        ProgressBar bar("demo stems");
        auto demo = engine::writeDemoSong(args.demoDir.toStdString(), [&](double f) { bar.update(f); });
        if (!demo) {
            std::fprintf(stderr, "mixroomd: %s\n", demo.error().message.c_str());
            return 1;
        }
        session = demo.value();
        baseDir = args.demoDir;
        QFile f(args.demoDir + "/session.json");
        if (f.open(QIODevice::WriteOnly | QIODevice::Truncate)) f.write(protocol::encodeSession(session));
    } else {
        QFile f(args.session);
        if (!f.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "mixroomd: cannot read %s: %s\n", qPrintable(args.session), qPrintable(f.errorString()));
            return 1;
        }
        auto decoded = protocol::decodeSession(f.readAll());
        if (!decoded) {
            std::fprintf(stderr, "mixroomd: %s: %s\n", qPrintable(args.session), decoded.error().message.c_str());
            return 1;
        }
        session = decoded.value();
        baseDir = QFileInfo(args.session).absolutePath();
    }

    engine::StemStore store(args.storeDir.toStdString());
    engine::StemMap stems;
    {
        ProgressBar bar("importing stems");
        auto loaded = engine::loadSessionStems(session, baseDir.toStdString(), store, [&](const std::string&, double f) { bar.update(f); });
        if (!loaded) {
            std::fprintf(stderr, "mixroomd: %s\n", loaded.error().message.c_str());
            return 1;
        }
        stems = loaded.value();
    }

    engine::RenderOptions opt;
    opt.format = engine::parseFileFormat(args.format.toStdString()).value();
    opt.blockSize = args.blockSize;
    QElapsedTimer timer;
    timer.start();
    engine::Result<engine::RenderReport> rep = engine::Error{};
    {
        ProgressBar bar("rendering");
        opt.progress = [&](double f) { bar.update(f); };
        rep = engine::renderToFile(session, stems, args.out.toStdString(), opt);
    }
    if (!rep) {
        std::fprintf(stderr, "mixroomd: %s\n", rep.error().message.c_str());
        return 1;
    }
    const double secs = timer.elapsed() / 1000.0;
    if (args.json) {
        QJsonObject o = reportToJson(rep.value());
        o["file"] = args.out;
        std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Indented).constData());
    } else {
        std::printf("Rendered %s in %.2f s (%.0fx realtime)\n", qPrintable(args.out), secs, secs > 0 ? rep->loudness.seconds / secs : 0.0);
        std::printf("%s", qPrintable(reportToText(rep.value())));
    }
    return 0;
}

} // namespace mixroom::server
