// SPDX-License-Identifier: MIT
#pragma once
// A value or an error sentence; the engine's result type for anything that can fail on input.
#include <string>
#include <utility>
#include <variant>

namespace mixroom::engine {

struct Error {
    std::string code;    // stable machine code: "stem_corrupt", "stem_unsupported", ...
    std::string message; // a human sentence naming what was wrong
};

template <typename T> class Result {
  public:
    Result(T value) : m_v(std::move(value)) {}
    Result(Error e) : m_v(std::move(e)) {}
    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(m_v); }
    const T& value() const { return std::get<0>(m_v); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(m_v); }

  private:
    std::variant<T, Error> m_v;
};

struct Ok {};

} // namespace mixroom::engine
