// SPDX-License-Identifier: MIT
#pragma once
// Quits the event loop on SIGINT or SIGTERM safely: the handler only writes a byte to a
// socketpair (async-signal-safe); a QSocketNotifier reads it on the event loop, which then runs
// `onQuit` (default: QCoreApplication::quit) as ordinary code.
// Thread: construct and destroy on the thread that runs the event loop; one instance at a time.
#include <QObject>
#include <QSocketNotifier>

#include <functional>
#include <memory>

namespace mixroom::client {

class SignalQuit : public QObject {
    Q_OBJECT
  public:
    explicit SignalQuit(std::function<void()> onQuit = {}, QObject* parent = nullptr);
    ~SignalQuit() override; // restores the default handlers
    bool ok() const { return m_notifier != nullptr; }

  private:
    std::unique_ptr<QSocketNotifier> m_notifier;
    std::function<void()> m_onQuit;
};

} // namespace mixroom::client
