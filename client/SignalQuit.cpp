// SPDX-License-Identifier: MIT
#include "client/SignalQuit.h"

#include <QCoreApplication>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace mixroom::client {

namespace {
int g_fd[2] = {-1, -1};
void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] auto n = ::write(g_fd[0], &c, 1);
}
} // namespace

SignalQuit::SignalQuit(std::function<void()> onQuit, QObject* parent) : QObject(parent), m_onQuit(std::move(onQuit))
{
    if (g_fd[0] < 0 && ::socketpair(AF_UNIX, SOCK_STREAM, 0, g_fd) != 0) return;
    m_notifier = std::make_unique<QSocketNotifier>(g_fd[1], QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, [this] {
        char c;
        [[maybe_unused]] auto n = ::read(g_fd[1], &c, 1);
        if (m_onQuit)
            m_onQuit();
        else
            QCoreApplication::quit();
    });
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
}

SignalQuit::~SignalQuit()
{
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

} // namespace mixroom::client
