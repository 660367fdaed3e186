// SPDX-License-Identifier: MIT
#pragma once
// Listening and the transport: follow/own, listen on/off, play, pause, an output device chooser
// (PortAudio), an underrun indicator, and the master loudness readout (momentary, short-term,
// true peak) against the streaming (-14 LUFS), broadcast (-23 LUFS) and -1 dBTP targets. Meters
// received while listening are forwarded to the strips.
// Thread: GUI thread.
#include "client/AudioPlayer.h"
#include "client/Connection.h"
#include "client/PreviewReceiver.h"

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
    void seek(double ms); // the transport being listened to; nothing when not listening
    bool listening() const { return m_listening; }
    QString masterText() const { return m_master->text(); }
    QComboBox* target() const { return m_target; } // loudness target the readout is coloured against
    QString audioText() const { return m_audio->text(); }

  signals:
    void meters(const QJsonObject& meters);
    void positionChanged(double ms); // from the listened transport's state

  private:
    void updateAudioStatus();
    client::Connection* m_conn = nullptr;
    QComboBox *m_mode, *m_device, *m_target;
    QPushButton *m_listen, *m_play, *m_pause;
    QLabel *m_master, *m_audio;
    std::unique_ptr<client::AudioPlayer> m_player;
    std::unique_ptr<client::PreviewReceiver> m_receiver;
    QTimer m_status;
    bool m_listening = false;
    bool m_follow = true;
};

} // namespace mixroom::desk
