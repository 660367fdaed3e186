// SPDX-License-Identifier: MIT
#include "client/desk/VersionsPanel.h"

#include "client/AutomationText.h"

#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QJsonArray>
#include <QVBoxLayout>

namespace mixroom::desk {

using protocol::Kind;

namespace {
QString text(const QJsonValue& v)
{
    if (v.isNull()) return "-";
    if (v.isBool()) return v.toBool() ? "on" : "off";
    if (v.isDouble()) return QString::number(v.toDouble(), 'g', 6);
    return v.toString();
}
} // namespace

VersionsPanel::VersionsPanel(QWidget* parent) : QWidget(parent)
{
    auto* col = new QVBoxLayout(this);
    m_list = new QTreeWidget(this);
    m_list->setHeaderLabels({"Version", "Status", "Waiting for", "By"});
    m_list->setRootIsDecorated(false);
    m_list->setMinimumWidth(300);
    auto* row = new QGridLayout; // two rows of three: the panel fits beside the mixer on a laptop
    m_save = new QPushButton("Save…", this);
    m_approve = new QPushButton("Approve", this);
    m_unapprove = new QPushButton("Take back", this);
    m_restore = new QPushButton("Restore", this);
    m_diffButton = new QPushButton("Diff vs live", this);
    m_pull = new QPushButton("Pull mix…", this);
    m_pull->setToolTip("download the selected version's full-resolution mix (verified by SHA-256)");
    int cell = 0;
    for (QPushButton* b : {m_save, m_approve, m_unapprove, m_diffButton, m_restore, m_pull}) {
        row->addWidget(b, cell / 3, cell % 3);
        ++cell;
    }
    m_pullBar = new QProgressBar(this);
    m_pullBar->setRange(0, 1000);
    m_pullBar->setValue(0);
    m_pullBar->setTextVisible(true);
    m_pullBar->setVisible(false);
    m_pullStatus = new QLabel(this);
    m_pullStatus->setWordWrap(true);
    m_diff = new QLabel(this);
    m_diff->setWordWrap(true);
    m_diff->setTextInteractionFlags(Qt::TextSelectableByMouse);
    col->addWidget(m_list, 1);
    col->addLayout(row);
    col->addWidget(m_diff);
    col->addWidget(m_pullBar);
    col->addWidget(m_pullStatus);
    connect(m_pull, &QPushButton::clicked, this, [this] {
        if (selected().isEmpty()) {
            m_pullStatus->setText("select a version to pull");
            return;
        }
        QString format;
        const QString file = QFileDialog::getSaveFileName(this, "Pull the mix of " + selected(), selected() + ".wav",
                                                          "WAV 24-bit (*.wav);;WAV 32-bit float (*.wav);;FLAC 24-bit (*.flac)", &format);
        if (file.isEmpty()) return;
        pullSelected(file, format.startsWith("WAV 32") ? "wav32f" : QString());
    });
    connect(m_save, &QPushButton::clicked, this, [this] {
        bool ok = false;
        const QString name = QInputDialog::getText(this, "Save version", "Name:", QLineEdit::Normal, {}, &ok);
        if (ok && !name.trimmed().isEmpty()) save(name.trimmed(), {});
    });
    connect(m_approve, &QPushButton::clicked, this, [this] { approveSelected(true); });
    connect(m_unapprove, &QPushButton::clicked, this, [this] { approveSelected(false); });
    connect(m_restore, &QPushButton::clicked, this, &VersionsPanel::restoreSelected);
    connect(m_diffButton, &QPushButton::clicked, this, &VersionsPanel::diffSelected);
    setEnabled(false);
}

void VersionsPanel::attach(client::Connection* conn)
{
    if (m_conn == conn) { // a reconnect of the same connection
        refresh();
        return;
    }
    m_conn = conn;
    setEnabled(true);
    const QJsonObject perms = conn->welcome().value("permissions").toObject();
    const QString role = conn->welcome().value("member").toObject().value("role").toString();
    for (QPushButton* b : {m_save, m_restore}) {
        b->setEnabled(perms.value("save_version").toBool());
        if (!b->isEnabled()) b->setToolTip(QString("the %1 role may not save or restore versions").arg(role));
    }
    m_pull->setEnabled(perms.value("pull_any").toBool() || perms.value("pull_approved").toBool());
    if (!m_pull->isEnabled())
        m_pull->setToolTip(QString("the %1 role may not pull mixes").arg(role));
    else if (!perms.value("pull_any").toBool())
        m_pull->setToolTip("download an approved version's full-resolution mix");
    connect(conn, &client::Connection::reply, this, [this](qint64 seq, const QJsonObject& m) {
        const QString type = m.value("type").toString();
        if (seq == m_listSeq && type == "version_list") {
            const QString keep = selected(); // the selection survives a refresh
            m_list->clear();
            for (const QJsonValue& v : m.value("versions").toArray()) {
                const QJsonObject o = v.toObject();
                QStringList waiting;
                for (const QJsonValue& w : o.value("waiting").toArray())
                    waiting << w.toString();
                auto* item = new QTreeWidgetItem({o.value("name").toString(), o.value("status").toString(),
                                                  o.value("status").toString() == "pending" ? waiting.join(", ") : QString(),
                                                  o.value("authorName").toString()});
                item->setToolTip(0, o.value("message").toString());
                m_list->addTopLevelItem(item);
                if (item->text(0) == keep) m_list->setCurrentItem(item);
            }
            for (int c = 0; c < 4; ++c)
                m_list->resizeColumnToContents(c);
            QStringList names;
            for (int i = 0; i < m_list->topLevelItemCount(); ++i)
                names << m_list->topLevelItem(i)->text(0);
            emit versionsChanged(names);
        } else if (seq == m_diffSeq && type == "version_diff") {
            QStringList lines;
            for (const QJsonValue& x : m.value("added").toArray())
                lines << "+ " + x.toString();
            for (const QJsonValue& x : m.value("removed").toArray())
                lines << "− " + x.toString();
            for (const QJsonValue& c : m.value("changes").toArray()) {
                const QJsonObject ch = c.toObject();
                lines << QString("%1: %2 → %3").arg(ch.value("path").toString(), text(ch.value("before")), text(ch.value("after")));
            }
            for (const QJsonValue& l : m.value("lanes").toArray())
                lines << client::laneChangeLines(l.toObject(), m_conn ? m_conn->mirror().state().sampleRate : 48000);
            m_diff->setText(
                QString("%1 → live:\n%2").arg(m.value("from").toString(), lines.isEmpty() ? "no differences" : lines.join('\n')));
        } else if (type == "version" || type == "approval" || (type == "render" && m.value("done").toBool())) {
            refresh(); // someone saved, approved or a render finished: statuses moved
        }
    });
    refresh();
}

void VersionsPanel::refresh()
{
    if (m_conn) m_listSeq = m_conn->request(Kind::ListVersions, {});
}

QString VersionsPanel::selected() const
{
    const auto items = m_list->selectedItems();
    return items.isEmpty() ? QString() : items.first()->text(0);
}

QString VersionsPanel::statusOf(const QString& version) const
{
    for (int i = 0; i < m_list->topLevelItemCount(); ++i)
        if (m_list->topLevelItem(i)->text(0) == version) return m_list->topLevelItem(i)->text(1);
    return {};
}

void VersionsPanel::save(const QString& name, const QString& message)
{
    QJsonObject f{{"name", name}};
    if (!message.isEmpty()) f.insert("message", message);
    m_conn->request(Kind::SaveVersion, f);
}

void VersionsPanel::approveSelected(bool approved)
{
    if (!selected().isEmpty()) m_conn->request(Kind::Approve, {{"version", selected()}, {"approved", approved}});
}

void VersionsPanel::restoreSelected()
{
    if (!selected().isEmpty()) m_conn->request(Kind::RestoreVersion, {{"version", selected()}});
}

void VersionsPanel::pullSelected(const QString& file, const QString& formatIn)
{
    const QString version = selected();
    if (version.isEmpty() || !m_conn) return;
    const QString format = !formatIn.isEmpty() ? formatIn : file.endsWith(".flac", Qt::CaseInsensitive) ? "flac24" : "wav24";
    m_job = std::make_unique<client::MixPull>(client::MixPull::Request{m_conn->url().toString(), m_conn->token(),
                                                                       m_conn->welcome().value("session").toObject().value("id").toString(),
                                                                       version, format, file});
    m_pull->setEnabled(false);
    m_pullBar->setVisible(true);
    m_pullBar->setValue(0);
    m_pullBar->setFormat(QString("%1: %p%").arg(version));
    m_pullStatus->setText(QString("pulling %1 (%2)…").arg(version, format));
    connect(m_job.get(), &client::MixPull::rendering, this, [this, version](const QString& why) {
        m_pullStatus->setText(QString("waiting for the server to render %1: %2").arg(version, why));
    });
    connect(m_job.get(), &client::MixPull::progress, this,
            [this](qint64 have, qint64 total) { m_pullBar->setValue(static_cast<int>(1000 * have / std::max<qint64>(1, total))); });
    auto finish = [this] {
        m_pull->setEnabled(true);
        m_job.release()->deleteLater(); // we are inside its signal
    };
    connect(m_job.get(), &client::MixPull::finished, this, [this, finish](const QString& f, const QString& sha, qint64 bytes) {
        m_pullBar->setValue(1000);
        m_pullStatus->setText(QString("saved %1 (%2 MB), SHA-256 %3… verified").arg(f).arg(bytes / 1e6, 0, 'f', 1).arg(sha.left(12)));
        finish();
        emit pulled(f, sha);
    });
    connect(m_job.get(), &client::MixPull::failed, this, [this, finish](const QString&, const QString& message, int) {
        m_pullBar->setVisible(false);
        m_pullStatus->setText("pull failed: " + message);
        finish();
    });
    m_job->start();
}

void VersionsPanel::diffSelected()
{
    if (!selected().isEmpty()) m_diffSeq = m_conn->request(Kind::DiffVersions, {{"from", selected()}});
}

} // namespace mixroom::desk
