// SPDX-License-Identifier: MIT
#pragma once
// Automation passes (issue 17): a member moves a control while their stream plays; the values
// are recorded against the transport position of the stream they hear, played live in place of
// the parameter's lane, and stored when the pass ends as one lane edit (a set_lane of that
// member, through the op log like any edit), thinned to within the parameter's tolerance
// (Automation.h: 0.1 dB, or 0.5 % of the range).
//
// Modes: touch ends at auto_end and glides back to the lane over kTouchReturnMs; latch and write
// hold the last value after auto_end until the transport stops (pause, seek, a loop wrapping, the
// song's end, a switch to a version, the stream going away). Write differs from latch on the
// client only (a desk arms write from the start of playback). A pass on a parameter another
// member is recording ends the earlier one where it begins: the later pass wins for the overlap.
// A pass also ends when its owner disconnects or the transport jumps back.
//
// Until its lane edit is committed, a stored pass keeps overriding the live document with the
// merged lane, so what is heard does not fall back to the old lane for a commit's duration.
// Thread: control thread.
#include "engine/model/Automation.h"
#include "engine/model/Session.h"
#include "server/ClientSocket.h"
#include "server/PreviewHub.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QPointer>

#include <functional>
#include <optional>

namespace mixroom::server {

class AutomationPasses {
  public:
    static constexpr int kTouchReturnMs = 250;
    static constexpr double kMaxSkewMs = 5000;   // `at` from the position the server renders
    static constexpr double kJitterMs = 100;     // `at` may go back this much (it is then taken as the last time)
    static constexpr int kValueBroadcastMs = 50; // `pass` value messages, per pass
    static constexpr size_t kMaxRecorded = engine::kMaxLanePoints / 2;
    static constexpr int kMaxPassesPerMember = 16; // at once: bounds what a member can make the server hold

    struct Host {
        std::function<const engine::Session&()> applied; // the room's state, pending edits included
        std::function<std::optional<PreviewHub::Heard>(ClientSocket*)> heard;
        // Stores a lane as a set_lane edit of `owner` acknowledged under `clientSeq`: the seq it
        // was given (it is pending until committed), or nothing when it was refused (the owner
        // was told why).
        std::function<std::optional<qint64>(ClientSocket* owner, qint64 clientSeq, const QString& path, const engine::Lane& lane)> store;
        std::function<void(bool lanes)> liveChanged; // the overlay changed (lanes: not only values)
        std::function<void(const QByteArray&)> broadcast;
        std::function<void(ClientSocket*, const QString& code, const QString& message, const QJsonObject& extra)> refuse;
    };
    explicit AutomationPasses(Host host) : m_host(std::move(host)) { m_clock.start(); }

    // The requester was checked for the parameter's permission.
    void begin(ClientSocket* c, const QJsonObject& body);
    void value(ClientSocket* c, const QJsonObject& body);
    void end(ClientSocket* c, const QJsonObject& body);
    void jumped(quint32 stream);
    void leave(ClientSocket* c);
    // Stored passes whose edits are committed up to `seq` stop overriding.
    void committed(qint64 seq);
    // A commit failed: the stored passes' edits are gone with it, and stop overriding.
    void commitFailed();
    bool active() const { return !m_passes.isEmpty() || !m_storing.isEmpty(); }
    // Puts the passes into a document: a recording pass's parameter takes the pass's value and
    // loses its lane; a stored pass's lane is put in place. Idempotent.
    void overlay(engine::Session& doc) const;
    // Only the recording passes' values (cheap: no lane changes).
    void overlayValues(engine::Session& doc) const;

  private:
    struct Pass {
        QPointer<ClientSocket> owner;
        QString memberId, memberName;
        qint64 clientSeq = 0; // auto_begin's: the stored edit is acknowledged under it
        QString path;
        const engine::ParamSpec* spec = nullptr;
        engine::LaneMode mode = engine::LaneMode::Touch;
        quint32 stream = 0;
        int rate = 48000;
        std::vector<engine::AutoPoint> raw;
        bool holding = false; // latch/write released
        qint64 lastBroadcastMs = -1'000'000;
    };
    // The session-rate frame of a message's `at` (or what the server renders), checked.
    std::optional<int64_t> timeOf(ClientSocket* c, const QJsonObject& body, const Pass* pass, qint64 clientSeq);
    // Ends `path`'s pass at `until` (session frames): stores it and tells everyone; returns the
    // message everyone got.
    QJsonObject finish(const QString& path, int64_t until, const QString& state);
    QJsonObject message(const Pass& p, const QString& state) const;

    Host m_host;
    QHash<QString, Pass> m_passes; // by path: one pass per parameter
    struct Storing {
        qint64 seq;
        engine::Lane lane;
    };
    QHash<QString, Storing> m_storing; // stored, not yet committed
    QElapsedTimer m_clock;
};

} // namespace mixroom::server
