// SPDX-License-Identifier: MIT
#pragma once
// Counts every operator new of the test binary while armed, to show that a real-time path
// allocates nothing. Include in exactly one translation unit per test executable.
#include <atomic>
#include <cstdlib>
#include <new>

namespace mixroom::test {
inline std::atomic<bool> g_armed{false};
inline std::atomic<long> g_allocations{0};
} // namespace mixroom::test

void* operator new(size_t n)
{
    if (mixroom::test::g_armed.load(std::memory_order_relaxed)) mixroom::test::g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](size_t n)
{
    return operator new(n);
}
void operator delete(void* p) noexcept
{
    std::free(p);
}
void operator delete[](void* p) noexcept
{
    std::free(p);
}
void operator delete(void* p, size_t) noexcept
{
    std::free(p);
}
void operator delete[](void* p, size_t) noexcept
{
    std::free(p);
}
