// SPDX-License-Identifier: MIT
// libFuzzer: the protocol message decoder (both directions), and encoding back what it accepted.
#include "protocol/Messages.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace mixroom::protocol;
    const QByteArray frame(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    for (Direction d : {Direction::ClientToServer, Direction::ServerToClient}) {
        auto r = decode(frame, d);
        if (auto* m = std::get_if<Message>(&r)) {
            QJsonObject body = m->body;
            body.remove("type");
            (void)encode(m->kind, body);
        }
    }
    (void)AudioFrameHeader::decode(frame, nullptr);
    return 0;
}
