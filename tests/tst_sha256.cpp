// SPDX-License-Identifier: MIT
#include "engine/util/Sha256.h"

#include <QTest>

using mixroom::engine::Sha256;

class TestSha256 : public QObject {
    Q_OBJECT
  private slots:
    void vectors_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("digest");
        QTest::newRow("empty") << QByteArray() << "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        QTest::newRow("abc") << QByteArray("abc") << "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        QTest::newRow("two blocks") << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                                    << "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
        QTest::newRow("million a") << QByteArray(1000000, 'a') << "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    }
    void vectors()
    {
        QFETCH(QByteArray, input);
        QFETCH(QString, digest);
        QCOMPARE(QString::fromStdString(Sha256::hex(input.constData(), static_cast<size_t>(input.size()))), digest);
        // Fed in odd pieces it must agree.
        Sha256 h;
        for (qsizetype i = 0; i < input.size(); i += 7)
            h.update(input.constData() + i, static_cast<size_t>(std::min<qsizetype>(7, input.size() - i)));
        QCOMPARE(QString::fromStdString(h.hexFinish()), digest);
    }
};

QTEST_GUILESS_MAIN(TestSha256)
#include "tst_sha256.moc"
