// SPDX-License-Identifier: MIT
#include "client/desk/VersionsPanel.h"

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
    auto* row = new QHBoxLayout;
    m_save = new QPushButton("Save…", this);
    m_approve = new QPushButton("Approve", this);
    m_unapprove = new QPushButton("Take back", this);
    m_restore = new QPushButton("Restore", this);
    m_diffButton = new QPushButton("Diff vs live", this);
    for (QPushButton* b : {m_save, m_approve, m_unapprove, m_restore, m_diffButton})
        row->addWidget(b);
    m_diff = new QLabel(this);
    m_diff->setWordWrap(true);
    m_diff->setTextInteractionFlags(Qt::TextSelectableByMouse);
    col->addWidget(m_list, 1);
    col->addLayout(row);
    col->addWidget(m_diff);
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
    connect(conn, &client::Connection::reply, this, [this](qint64 seq, const QJsonObject& m) {
        const QString type = m.value("type").toString();
        if (seq == m_listSeq && type == "version_list") {
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
            }
            for (int c = 0; c < 4; ++c)
                m_list->resizeColumnToContents(c);
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

void VersionsPanel::diffSelected()
{
    if (!selected().isEmpty()) m_diffSeq = m_conn->request(Kind::DiffVersions, {{"from", selected()}});
}

} // namespace mixroom::desk
