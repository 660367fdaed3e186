// SPDX-License-Identifier: MIT
#include "client/desk/TransportBar.h"

#include <QHBoxLayout>

#include <cmath>

namespace mixroom::desk {

using protocol::Kind;

TransportBar::TransportBar(QWidget* parent) : QWidget(parent)
{
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    m_mode = new QComboBox(this);
    m_mode->addItems({"Follow the room", "Own transport"});
    m_listen = new QPushButton("Listen", this);
    m_listen->setCheckable(true);
    m_play = new QPushButton("Play", this);
    m_pause = new QPushButton("Pause", this);
    m_device = new QComboBox(this);
    QString error;
    m_device->addItem("Default output", -1);
    for (const client::OutputDevice& d : client::AudioPlayer::devices(&error))
        m_device->addItem(QString("%1 (%2)").arg(d.name, d.hostApi), d.index);
    m_device->addItem("No audio (meters only)", -2);
    m_ab = new QComboBox(this);
    m_ab->addItem("A/B: live mix", "live");
    m_match = new QCheckBox("match loudness", this);
    m_match->setToolTip("play the version at the live mix's integrated loudness, so the comparison is about the mix, not the level");
    m_audio = new QLabel("not listening", this);
    // Long device and version names must not widen the window past a laptop screen.
    for (QComboBox* c : {m_device, m_ab}) {
        c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        c->setMinimumContentsLength(12);
    }
    m_audio->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_audio->setMinimumWidth(120);
    for (QWidget* w : std::initializer_list<QWidget*>{m_mode, m_listen, m_play, m_pause, m_ab, m_match, m_device, m_audio})
        row->addWidget(w);
    row->addStretch(1);
    connect(m_listen, &QPushButton::toggled, this, [this](bool on) { on ? startListening(m_mode->currentIndex() == 0) : stopListening(); });
    connect(m_play, &QPushButton::clicked, this, &TransportBar::play);
    connect(m_pause, &QPushButton::clicked, this, &TransportBar::pause);
    connect(m_ab, &QComboBox::activated, this, [this] { abSwitch(m_ab->currentData().toString(), m_match->isChecked()); });
    connect(m_match, &QCheckBox::toggled, this, [this](bool on) {
        if (m_source != "live") abSwitch(m_source, on);
    });
    updateAb();
    m_status.setInterval(250);
    connect(&m_status, &QTimer::timeout, this, &TransportBar::updateAudioStatus);
    setEnabled(false);
}

void TransportBar::attach(client::Connection* conn)
{
    if (m_conn == conn) return;
    m_conn = conn;
    setEnabled(true);
    const bool editor = conn->welcome().value("permissions").toObject().value("edit_strip").toBool();
    const QString role = conn->welcome().value("member").toObject().value("role").toString();
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this, editor, role](int i) {
        const bool own = i == 1;
        m_play->setEnabled(own || editor);
        m_pause->setEnabled(own || editor);
        const QString why =
            own || editor ? QString() : QString("the %1 role may not drive the room's transport; choose Own transport").arg(role);
        m_play->setToolTip(why);
        m_pause->setToolTip(why);
    });
    if (!editor && !m_listening) m_mode->setCurrentIndex(1); // a listener plays on its own transport by default
    emit m_mode->currentIndexChanged(m_mode->currentIndex());
    connect(conn, &client::Connection::reply, this, [this](qint64, const QJsonObject& m) {
        if (m.value("type") == "listening" && m_receiver) // decode this stream only, not frames of the last one still arriving
            m_receiver->setStream(static_cast<quint32>(m.value("stream").toDouble()));
        if (m.value("type") == "transport_state") {
            m_source = m.value("source").toString("live");
            const int i = m_ab->findData(m_source);
            if (i >= 0) m_ab->setCurrentIndex(i);
            emit positionChanged(m.value("position").toDouble());
            emit transportState(m);
        }
        if (m.value("type") != "meters") return;
        emit meters(m);
    });
}

void TransportBar::startListening(bool follow)
{
    stopListening();
    m_follow = follow;
    const int device = m_device->currentData().toInt();
    QString error;
    if (device != -2) {
        m_player = client::AudioPlayer::open(device, 30, &error);
        if (!m_player) m_audio->setText("no audio: " + error);
    }
    m_receiver = std::make_unique<client::PreviewReceiver>();
    connect(m_conn, &client::Connection::audioFrame, m_receiver.get(), &client::PreviewReceiver::feed);
    connect(m_receiver.get(), &client::PreviewReceiver::audio, this, [this](quint64, const QVector<float>& pcm, quint8 flags) {
        if (!m_player) return;
        if (flags & protocol::AudioFrameHeader::Discontinuity) m_player->flush();
        m_player->push(pcm.constData(), static_cast<int>(pcm.size() / 2));
    });
    m_conn->request(Kind::Listen, {{"mode", follow ? "follow" : "own"}});
    m_listening = true;
    const QSignalBlocker b(m_listen);
    m_listen->setChecked(true);
    m_status.start();
    m_source = "live";
    m_ab->setCurrentIndex(0);
    updateAb();
}

void TransportBar::updateAb()
{
    const bool can = m_listening && !m_follow;
    m_ab->setEnabled(can);
    m_match->setEnabled(can);
    const QString why = can ? QString("switch what your own stream plays, at the same position, without a gap")
                            : QString("A/B switches your own stream: choose Own transport and Listen");
    m_ab->setToolTip(why);
}

void TransportBar::setVersions(const QStringList& names)
{
    const QString current = m_ab->currentData().toString();
    const QSignalBlocker b(m_ab);
    m_ab->clear();
    m_ab->addItem("A/B: live mix", "live");
    for (const QString& n : names)
        m_ab->addItem("A/B: version " + n, n);
    m_ab->setCurrentIndex(std::max(0, m_ab->findData(current)));
}

void TransportBar::abSwitch(const QString& source, bool match)
{
    if (!m_listening || m_follow) return;
    m_conn->request(Kind::AbSwitch, {{"source", source}, {"match", match}});
}

void TransportBar::loop(double fromMs, double toMs)
{
    if (!m_listening) return;
    const QString target = m_follow ? "follow" : "own";
    if (toMs < 0)
        m_conn->request(Kind::Transport, {{"target", target}, {"action", "unloop"}});
    else
        m_conn->request(Kind::Transport, {{"target", target}, {"action", "loop"}, {"from", fromMs}, {"to", toMs}});
}

void TransportBar::stopListening()
{
    if (!m_listening) return;
    m_conn->request(Kind::StopListening, {});
    m_receiver.reset();
    m_player.reset();
    m_listening = false;
    m_status.stop();
    m_audio->setText("not listening");
    const QSignalBlocker b(m_listen);
    m_listen->setChecked(false);
    updateAb();
}

void TransportBar::play()
{
    m_conn->request(Kind::Transport, {{"target", m_follow ? "follow" : "own"}, {"action", "play"}});
}
void TransportBar::seek(double ms)
{
    if (m_listening) m_conn->request(Kind::Transport, {{"target", m_follow ? "follow" : "own"}, {"action", "seek"}, {"at", ms}});
}

void TransportBar::pause()
{
    m_conn->request(Kind::Transport, {{"target", m_follow ? "follow" : "own"}, {"action", "pause"}});
}

void TransportBar::updateAudioStatus()
{
    if (!m_player) {
        if (!m_audio->text().startsWith("no audio")) m_audio->setText("meters only");
        return;
    }
    const qint64 underruns = m_player->underruns();
    m_audio->setText(QString("%1 %2 underruns, buffer %3 ms").arg(underruns ? "⚠" : "✓").arg(underruns).arg(m_player->targetMs()));
}

} // namespace mixroom::desk
