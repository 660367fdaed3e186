// SPDX-License-Identifier: MIT
// libFuzzer: the request-head scanner that bounds every HTTP request before Qt reads it. Whatever
// it says about a head must hold: a complete head's size is within the data and the limit.
#include "server/HttpHead.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace mixroom::server;
    const QByteArrayView bytes(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    HttpHeadLimits limits;
    limits.maxHeadBytes = 4096;
    limits.maxHeaders = 16;
    const HeadScan s = scanRequestHead(bytes, limits);
    if (s.status == HeadScan::Complete) {
        if (s.headBytes <= 0 || s.headBytes > bytes.size() || s.headBytes > limits.maxHeadBytes) std::abort();
        if (s.head.headers.size() > limits.maxHeaders || s.head.contentLength < 0) std::abort();
        (void)s.head.path();
    } else if (s.status == HeadScan::Incomplete && bytes.size() >= limits.maxHeadBytes) {
        std::abort(); // a head at the limit must be decided
    } else if (s.status == HeadScan::Bad && (s.httpStatus < 400 || s.message.isEmpty())) {
        std::abort();
    }
    return 0;
}
