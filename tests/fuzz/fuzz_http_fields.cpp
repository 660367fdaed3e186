// SPDX-License-Identifier: MIT
// libFuzzer: the Range and upload-header parsers. A range must lie inside the file; a name must be
// a plain file name.
#include "server/HttpHead.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace mixroom::server;
    const QByteArrayView bytes(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    for (qint64 total : {qint64(1), qint64(1000), qint64(1) << 40}) {
        if (auto r = parseByteRange(bytes, total); r && (r->start < 0 || r->start > r->end || r->end >= total)) std::abort();
    }
    if (auto n = parseDecimal(bytes, qint64(2) << 30); n && (*n < 0 || *n > (qint64(2) << 30))) std::abort();
    QString why;
    if (auto name = parseUploadName(bytes, &why)) {
        if (name->isEmpty() || name->size() > 200 || name->contains('/') || name->contains('\n') || name->contains('\r') ||
            name->contains(QChar(0)))
            std::abort();
    } else if (why.isEmpty()) {
        std::abort();
    }
    return 0;
}
