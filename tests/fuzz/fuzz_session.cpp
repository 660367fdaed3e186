// SPDX-License-Identifier: MIT
// libFuzzer: the session JSON decoder; what it accepts must encode and decode to the same document.
#include "protocol/SessionCodec.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace mixroom;
    const QByteArray json(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    auto s = protocol::decodeSession(json);
    if (!s.ok()) return 0;
    const QByteArray once = protocol::encodeSession(s.value());
    auto again = protocol::decodeSession(once);
    if (!again.ok() || protocol::encodeSession(again.value()) != once) std::abort(); // not a fixed point
    return 0;
}
