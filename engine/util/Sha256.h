// SPDX-License-Identifier: MIT
#pragma once
// SHA-256 (FIPS 180-4), incremental. The engine names stems by content hash and has no Qt, so it
// carries its own; tests check it against the FIPS example vectors.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace mixroom::engine {

class Sha256 {
  public:
    Sha256();
    void update(const void* data, size_t len);
    std::array<uint8_t, 32> finish();
    std::string hexFinish();
    static std::string hex(const void* data, size_t len);

  private:
    void block(const uint8_t* p);
    std::array<uint32_t, 8> m_h;
    std::array<uint8_t, 64> m_buf{};
    size_t m_bufLen = 0;
    uint64_t m_total = 0;
};

} // namespace mixroom::engine
