// SPDX-License-Identifier: MIT
#pragma once
// Listening and the transport: follow/own, listen on/off, play, pause, loop, A/B between the live
// mix and a saved version (own stream, optionally loudness-matched), an output device chooser
// (PortAudio) and an underrun indicator. Meters received while listening are forwarded to the
// strips and the master section.
// Thread: GUI thread.
#include "client/AudioPlayer.h"
#include "client/Connection.h"
#include "client/PreviewReceiver.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QTimer>
#include <QWidget>

#include <memory>

namespace mixroom::desk {

class TransportBar : public QWidget {
    Q_OBJECT
  public:
    explicit TransportBar(QWidget* parent = nullptr);
    void attach(client::Connection* conn);
    void startListening(bool follow); // also what the Listen button does
    void stopListening();
    void play();
    void pause();
    void seek(double ms);                  // the transport being listened to; nothing when not listening
    void loop(double fromMs, double toMs); // toMs < 0: stop looping
    // A/B: what the own stream plays, "live" or a version name; `match` levels the version to the
    // live mix's integrated loudness. Own mode only (the room's stream is everyone's).
    void abSwitch(const QString& source, bool match);
    void setVersions(const QStringList& names);
    QComboBox* abChoice() const { return m_ab; }
    QString source() const { return m_source; } // what the listened stream plays (transport_state)
    bool listening() const { return m_listening; }
    QString audioText() const { return m_audio->text(); }

  signals:
    void meters(const QJsonObject& meters);
    void positionChanged(double ms);               // from the listened transport's state
    void transportState(const QJsonObject& state); // the listened transport: playing, position, loop

  private:
    void updateAudioStatus();
    client::Connection* m_conn = nullptr;
    void updateAb();
    QComboBox *m_mode, *m_device, *m_ab;
    QCheckBox* m_match;
    QString m_source = "live";
    QPushButton *m_listen, *m_play, *m_pause;
    QLabel* m_audio;
    std::unique_ptr<client::AudioPlayer> m_player;
    std::unique_ptr<client::PreviewReceiver> m_receiver;
    QTimer m_status;
    bool m_listening = false;
    bool m_follow = true;
};

} // namespace mixroom::desk
