// SPDX-License-Identifier: MIT
// The message table: every kind round-trips through encode/decode, required fields are enforced,
// and PROTOCOL.md documents every kind exactly as the table says.
#include "protocol/Messages.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTest>

using namespace mixroom::protocol;

namespace {
QJsonValue sample(FieldType t)
{
    switch (t) {
    case FieldType::String: return "x";
    case FieldType::Number: return 1.5;
    case FieldType::Integer: return 42;
    case FieldType::Bool: return true;
    case FieldType::Object: return QJsonObject{{"a", 1}};
    case FieldType::Array: return QJsonArray{1, 2};
    case FieldType::Any: return "v";
    }
    return {};
}
} // namespace

class TestMessages : public QObject {
    Q_OBJECT
  private slots:
    void tableIsConsistent()
    {
        // Every enum value has its entry: the last kind is the table's last row.
        QCOMPARE(messageTable().size(), static_cast<int>(Kind::Pass) + 1);
        QSet<QString> names;
        for (int i = 0; i < messageTable().size(); ++i) {
            const MessageSpec& m = messageTable()[i];
            QCOMPARE(static_cast<int>(m.kind), i); // ids are positions: append only
            QVERIFY2(!names.contains(m.name), m.name);
            names.insert(m.name);
            QCOMPARE(kindFromName(m.name), std::optional<Kind>(m.kind));
            for (const Field& f : m.fields) // "type" is the envelope's: a field of that name would be overwritten
                QVERIFY2(QLatin1String(f.name) != QLatin1String("type"), m.name);
        }
    }

    void everyKindRoundTrips()
    {
        for (const MessageSpec& m : messageTable()) {
            QJsonObject fields;
            for (const Field& f : m.fields)
                fields.insert(f.name, sample(f.type));
            const QByteArray wire = encode(m.kind, fields);
            auto decoded = decode(wire, m.direction);
            QVERIFY2(std::holds_alternative<Message>(decoded), m.name);
            const Message& msg = std::get<Message>(decoded);
            QCOMPARE(msg.kind, m.kind);
            QJsonObject expected = fields;
            expected.insert("type", m.name);
            QCOMPARE(msg.body, expected);
            // Each required field, when missing, is named in the error.
            for (const Field& f : m.fields) {
                if (!f.required) continue;
                QJsonObject missing = fields;
                missing.remove(f.name);
                auto bad = decode(encode(m.kind, missing), m.direction);
                QVERIFY2(std::holds_alternative<DecodeError>(bad), qPrintable(QString("%1 without %2").arg(m.name, f.name)));
                QVERIFY(std::get<DecodeError>(bad).message.contains(f.name));
            }
            // The other direction does not accept it.
            const Direction other = m.direction == Direction::ClientToServer ? Direction::ServerToClient : Direction::ClientToServer;
            QVERIFY(std::holds_alternative<DecodeError>(decode(wire, other)));
        }
    }

    void audioFrameHeaderRoundTrips()
    {
        AudioFrameHeader h;
        h.stream = 7;
        h.seq = 0x01020304;
        h.position = 0x0102030405060708ull;
        h.flags = AudioFrameHeader::Discontinuity;
        const QByteArray frame = h.encode("opus");
        QCOMPARE(frame.size(), AudioFrameHeader::kSize + 4);
        QByteArray payload;
        auto back = AudioFrameHeader::decode(frame, &payload);
        QVERIFY(back);
        QCOMPARE(back->stream, h.stream);
        QCOMPARE(back->seq, h.seq);
        QCOMPARE(back->position, h.position);
        QCOMPARE(back->flags, h.flags);
        QCOMPARE(payload, QByteArray("opus"));
        QVERIFY(!AudioFrameHeader::decode("XXXX0000000000000000000000", nullptr));
    }

    void sizeLimitIsForClientMessages()
    {
        // Over 64 KiB: refused from a client, accepted from the server (a large welcome).
        const QString big(100 * 1024, QChar('x'));
        const QByteArray fromClient = QJsonDocument(QJsonObject{{"type", "touch"}, {"path", big}}).toJson(QJsonDocument::Compact);
        QVERIFY(std::holds_alternative<DecodeError>(decode(fromClient, Direction::ClientToServer)));
        const QByteArray fromServer =
            QJsonDocument(QJsonObject{{"type", "error"}, {"code", "x"}, {"message", big}}).toJson(QJsonDocument::Compact);
        QVERIFY(std::holds_alternative<Message>(decode(fromServer, Direction::ServerToClient)));
    }

    // A client's undeclared field is refused by name; a server's is ignored (newer servers).
    void unknownFieldsFromClientsAreRefused()
    {
        auto d = decode(R"({"type": "set", "clientSeq": 1, "path": "master/fader", "value": 0, "junk": "x"})", Direction::ClientToServer);
        QVERIFY(std::holds_alternative<DecodeError>(d));
        QCOMPARE(std::get<DecodeError>(d).code, QString("bad_message"));
        QVERIFY(std::get<DecodeError>(d).message.contains("\"junk\""));
        // Every kind a client may send: its declared fields pass, one more is refused.
        for (const MessageSpec& m : messageTable()) {
            if (m.direction != Direction::ClientToServer) continue;
            QJsonObject o{{"type", m.name}, {"zzz_undeclared", 1}};
            const auto r = decode(QJsonDocument(o).toJson(), Direction::ClientToServer);
            QVERIFY2(std::holds_alternative<DecodeError>(r) && std::get<DecodeError>(r).message.contains("zzz_undeclared"), m.name);
        }
        // Text that is not Unicode: a lone surrogate in any string (names, notes) is refused.
        for (const char* bad : {R"({"type":"add_track","clientSeq":1,"id":"x","name":"a\ud800b"})",
                                R"({"type":"add_note","clientSeq":1,"at":0,"text":"\udc00"})"}) {
            const auto r = decode(bad, Direction::ClientToServer);
            QVERIFY2(std::holds_alternative<DecodeError>(r) && std::get<DecodeError>(r).message.contains("surrogate"), bad);
        }
        QVERIFY(std::holds_alternative<Message>(
            decode(R"({"type":"add_note","clientSeq":1,"at":0,"text":"\ud83c\udfb8 ok"})", Direction::ClientToServer)));
        auto s = decode(R"({"type": "pong", "id": 1, "future": {"x": 1}})", Direction::ServerToClient);
        QVERIFY(std::holds_alternative<Message>(s));
    }

    void protocolDocumentMatchesTable()
    {
        QFile f(QStringLiteral(MIXROOM_SOURCE_DIR) + "/protocol/PROTOCOL.md");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString doc = QString::fromUtf8(f.readAll());
        for (const MessageSpec& m : messageTable())
            QVERIFY2(doc.contains(QString("### `%1`").arg(m.name)), m.name);
        QVERIFY2(doc.contains(messageReferenceMarkdown()),
                 "protocol/PROTOCOL.md's message reference is stale: regenerate it with mixroomd protocol-doc");
    }
};

QTEST_GUILESS_MAIN(TestMessages)
#include "tst_messages.moc"
