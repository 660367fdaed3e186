// SPDX-License-Identifier: MIT
// The review page: listen to the live mix (own transport or with the room), see its waveform,
// pin and answer notes, A/B and approve versions, see loudness and who is here.
import { Connection } from './connection.js';
import { Player } from './player.js';
import { Waveform, formatTime } from './waveform.js';

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e[k] = v;
  }
  for (const c of children) if (c != null) e.append(c); // text is always text, never markup
  return e;
};

// --- The token: from the share link's fragment into session storage, out of the address bar. ---
function takeToken() {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromLink = params.get('t');
  if (fromLink) {
    sessionStorage.setItem('mixroom-token', fromLink);
    history.replaceState(null, '', location.pathname + location.search); // the fragment leaves the address bar and history
  }
  return sessionStorage.getItem('mixroom-token');
}

function notice(title, text, hint = '') {
  $('app').hidden = true;
  $('notice').hidden = false;
  $('notice-title').textContent = title;
  $('notice-text').textContent = text;
  $('notice-hint').textContent = hint;
  document.title = title + ' · Mixroom';
  state.noticeShown = true;
}

function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 5000);
}

const state = {
  welcome: null, permissions: {}, member: null, notes: [], versions: [], presence: new Map(),
  mode: 'own', listening: null, transport: null, transportAt: 0, source: 'live', noteFilter: 'open',
  selection: null, noticeShown: false, listenWanted: false, lengthMs: 0, peaksFor: '', reconnectDelay: 500,
};
const player = new Player();
const wave = new Waveform($('wave'));
let conn = null;

// --- Connection ---
function connect(token) {
  conn = new Connection(token);
  conn.onAudio = (buf) => player.frame(buf);
  conn.addEventListener('welcome', (e) => onWelcome(e.detail));
  conn.addEventListener('refused', (e) => onRefused(e.detail));
  conn.addEventListener('closed', (e) => onClosed(e.detail));
  conn.addEventListener('presence', (e) => onPresence(e.detail));
  conn.addEventListener('note', () => refreshNotes());
  conn.addEventListener('version', () => refreshVersions());
  conn.addEventListener('approval', () => refreshVersions());
  conn.addEventListener('edit', () => onEdit());
  conn.addEventListener('snapshot', () => onEdit());
  conn.addEventListener('transport_state', (e) => onTransport(e.detail));
  conn.addEventListener('meters', (e) => onMeters(e.detail));
  conn.addEventListener('error-message', (e) => toast(e.detail.message));
  conn.open();
}

function onRefused(m) {
  const reasons = {
    token_expired: ['This link has expired', m.message + '.', 'Ask the person who sent it for a new link.'],
    token_revoked: ['This link was revoked', 'The session\'s owner withdrew this invitation.', 'Ask them for a new link if you still need access.'],
    bad_token: ['This link does not work', 'The invitation is not valid: it may be mistyped, or its session was deleted.', 'Ask the person who sent it for a new link.'],
    banned: ['Too many attempts', m.message, ''],
  };
  const [title, text, hint] = reasons[m.code] || ['Cannot join the session', m.message, ''];
  sessionStorage.removeItem('mixroom-token');
  notice(title, text, hint);
}

function onClosed({ code, reason }) {
  if (state.noticeShown) return;
  setLink('bad', 'disconnected');
  if (!state.welcome || code === 1008) {
    if (reason.startsWith('banned: ')) notice('Too many attempts', reason.slice(8));
    else if (reason === 'this invitation expired') notice('This link has expired', 'Your invitation ran out while you were listening.', 'Ask the person who sent it for a new link.');
    else if (reason === 'your membership was revoked') notice('This link was revoked', 'The session\'s owner withdrew this invitation.', '');
    else if (code === 1008) notice('Disconnected', reason || 'The server closed the connection.', 'Reload the page to try again.');
    else if (!state.welcome) notice('Cannot reach the server', 'The Mixroom server did not answer.', 'Check your connection and reload the page.');
    return;
  }
  if (code === 1000 && reason) { notice('Session closed', reason); return; }
  // Reconnect with backoff; the server replays what was missed.
  state.listening = null;
  player.stop();
  setTimeout(() => conn.open(), state.reconnectDelay);
  state.reconnectDelay = Math.min(state.reconnectDelay * 2, 10000);
}

function setLink(kind, text) {
  const s = $('link-state');
  s.className = 'link-state ' + kind;
  s.textContent = text;
}

async function onWelcome(w) {
  const first = !state.welcome;
  state.welcome = w;
  state.reconnectDelay = 500;
  state.permissions = w.permissions || {};
  state.member = w.member;
  state.lengthMs = w.lengthMs || 0;
  $('app').hidden = false;
  $('notice').hidden = true;
  $('session-name').textContent = w.session ? w.session.name : 'Mixroom';
  document.title = (w.session ? w.session.name : 'Mixroom') + ' · Mixroom review';
  $('who').textContent = w.member ? `${w.member.name} · ${w.member.role}` : '';
  setLink('ok', 'connected');
  state.presence = new Map((w.presence || []).map((m) => [m.id, m]));
  renderPresence();
  wave.setLength(state.lengthMs);
  $('length').textContent = formatTime(state.lengthMs, false);
  if (first) {
    $('match').disabled = false;
  }
  await Promise.all([refreshNotes(), refreshVersions(), refreshPeaks(true)]);
  if (state.listenWanted) startListening(); // after a reconnect
}

// --- Presence ---
function onPresence(p) {
  for (const m of p.members || []) state.presence.set(m.id, m);
  for (const id of p.left || []) state.presence.delete(id);
  renderPresence();
}
function renderPresence() {
  const ul = $('presence');
  ul.replaceChildren(...[...state.presence.values()].map((m) =>
    el('li', {}, el('span', {}, m.name + (state.member && m.id === state.member.id ? ' (you)' : '')), el('span', { class: 'role' }, m.role))));
}

// --- Waveform peaks: re-read after edits settle (the server renders them per mix document) ---
let peaksTimer = null;
function onEdit() {
  clearTimeout(peaksTimer);
  peaksTimer = setTimeout(() => refreshPeaks(false), 4000);
}
async function refreshPeaks(announce) {
  if (announce) $('wave-state').textContent = 'drawing the waveform…';
  try {
    const p = await conn.request('get_peaks', { source: state.source, bins: 1200 });
    wave.setPeaks(p);
    state.lengthMs = p.lengthMs;
    $('length').textContent = formatTime(p.lengthMs, false);
    $('wave-state').textContent = state.source === 'live' ? '' : `waveform of ${state.source}`;
  } catch (e) {
    $('wave-state').textContent = 'no waveform: ' + e.message;
  }
}

// --- Listening ---
async function startListening() {
  if (!Player.supported()) {
    toast(window.isSecureContext ? 'This browser cannot decode Opus with WebCodecs; try a current Chrome, Edge, Firefox or Safari.'
      : 'Audio needs a secure page: open the link with https://');
    return;
  }
  state.listenWanted = true;
  await player.start();
  const l = await conn.request('listen', { mode: state.mode });
  state.listening = l;
  player.stream(l);
  onTransport(l.transport);
  if (state.mode === 'own') {
    if (state.source !== 'live') await conn.request('ab', { source: state.source, match: $('match').checked });
    if (state.pendingSeek != null) { // clicked on the waveform before listening: start there
      await conn.request('transport', { target: 'own', action: 'seek', at: Math.round(state.pendingSeek) });
      state.pendingSeek = null;
    }
    await conn.request('transport', { target: 'own', action: 'play' });
  }
}

async function togglePlay() {
  try {
    if (!state.listening) { await startListening(); return; }
    if (state.mode === 'follow') {
      if (!state.permissions.edit_strip) { // a listener of the room can only leave or rejoin
        await conn.request('stop_listening');
        state.listening = null;
        state.listenWanted = false;
        player.stop();
        renderTransport();
        return;
      }
      const action = state.transport && state.transport.playing ? 'pause' : 'play';
      await conn.request('transport', { target: 'follow', action });
      return;
    }
    const action = state.transport && state.transport.playing ? 'pause' : 'play';
    await conn.request('transport', { target: 'own', action });
  } catch (e) { toast(e.message); }
}

async function seek(ms) {
  if (!state.listening) { wave.setPlayhead(ms); state.pendingSeek = ms; updateNoteWhere(); return; }
  const target = state.mode;
  if (target === 'follow' && !state.permissions.edit_strip) { toast('Only editors move the room\'s playhead; switch to "My own playback" to jump around.'); return; }
  try { await conn.request('transport', { target, action: 'seek', at: Math.round(ms) }); } catch (e) { toast(e.message); }
}

async function setMode(mode) {
  if (mode === state.mode) return;
  state.mode = mode;
  if (state.listening) {
    try {
      await conn.request('stop_listening');
      player.stop();
      state.listening = null;
      await startListening();
    } catch (e) { toast(e.message); }
  }
  $('source').disabled = mode !== 'own';
  $('match').disabled = mode !== 'own';
}

function onTransport(t) {
  if (!t || (state.listening && t.stream !== state.listening.stream)) return;
  state.transport = t;
  state.transportAt = performance.now();
  player.expect(!!t.playing);
  if (t.lengthMs) state.lengthMs = t.lengthMs;
  renderTransport();
}

function renderTransport() {
  const playing = !!(state.listening && state.transport && state.transport.playing);
  const b = $('play');
  b.classList.toggle('playing', playing);
  let label = 'Listen';
  if (state.listening) label = playing ? 'Pause' : 'Play';
  if (state.listening && state.mode === 'follow' && !state.permissions.edit_strip) label = 'Stop';
  $('play-label').textContent = label;
  b.setAttribute('aria-label', label);
}

// Playhead: what is heard (the worklet's position) while playing, else the transport's position.
function playheadMs() {
  const heard = player.heardMs();
  if (heard != null && state.listening) return heard;
  const t = state.transport;
  if (!t) return state.pendingSeek ?? null;
  return t.playing ? t.position + (performance.now() - state.transportAt) : t.position;
}

function animate() {
  const ms = playheadMs();
  if (ms != null) {
    wave.setPlayhead(ms);
    $('position').textContent = formatTime(ms);
  }
  updateNoteWhere();
  const d = player.decoder, p = player.playout;
  $('s-buffer').textContent = state.listening ? `${Math.round(p.bufferedMs)} ms` : '–';
  $('s-underruns').textContent = p.underruns;
  $('s-gaps').textContent = d.gaps;
  $('s-errors').textContent = d.errors;
  requestAnimationFrame(animate);
}

function onMeters(m) {
  const fmt = (v, unit) => (Number.isFinite(v) && v > -70 ? `${v.toFixed(1)} ${unit}` : '–');
  $('m-momentary').textContent = fmt(m.master.momentaryLufs, 'LUFS');
  $('m-short').textContent = fmt(m.master.shortTermLufs, 'LUFS');
  $('m-integrated').textContent = fmt(m.master.integratedLufs, 'LUFS');
  $('m-truepeak').textContent = fmt(m.master.truePeakDbtp, 'dBTP');
}

// --- Notes ---
// Runs `load` once a burst of events has passed (50 ms); the promise settles when it has run.
function debounced(load) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    return new Promise((resolve) => {
      timer = setTimeout(async () => {
        try { await load(); } catch (e) { toast(e.message); }
        resolve();
      }, 50);
    });
  };
}

const refreshNotes = debounced(async () => {
  state.notes = (await conn.request('list_notes', {})).notes;
  renderNotes();
});

function renderNotes() {
  const f = state.noteFilter;
  const shown = state.notes.filter((n) => f === 'all' || (f === 'open' ? !n.resolved : n.resolved));
  $('notes-count').textContent = String(state.notes.filter((n) => !n.resolved).length);
  wave.setNotes(state.notes.filter((n) => !n.version || n.version === state.source));
  $('notes').replaceChildren(...shown.map((n) => noteItem(n, true)));
  if (!shown.length) $('notes').append(el('p', { class: 'muted empty' }, f === 'resolved' ? 'No resolved notes.' : 'No notes yet: add one at the playhead, or drag across the waveform to comment on a range.'));
}

function canModerate(n) {
  return state.member && (n.author === state.member.id || state.member.role === 'mix');
}

function noteItem(n, top) {
  const where = formatTime(n.at) + (n.to != null ? '–' + formatTime(n.to) : '');
  const li = el('li', { class: 'note' + (n.resolved ? ' resolved' : '') });
  li.dataset.id = n.id;
  const meta = el('div', { class: 'meta' });
  if (top) meta.append(el('button', { class: 'time', type: 'button', title: 'Play from here', onclick: () => seek(n.at) }, where));
  meta.append(el('span', { class: 'author' }, n.authorName), el('span', {}, n.role),
    el('span', {}, new Date(n.created).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })));
  if (n.version) meta.append(el('span', {}, 'on ' + n.version));
  if (n.resolved) meta.append(el('span', {}, 'resolved'));
  li.append(meta, el('p', { class: 'text' }, n.text));
  if (top) {
    const actions = el('div', { class: 'actions' });
    actions.append(el('button', { type: 'button', onclick: () => openReply(li, n) }, 'Reply'));
    if (canModerate(n))
      actions.append(el('button', { type: 'button', onclick: () => resolve(n, !n.resolved) }, n.resolved ? 'Reopen' : 'Resolve'));
    li.append(actions);
    if (n.replies && n.replies.length) li.append(el('ol', { class: 'replies' }, ...n.replies.map((r) => noteItem(r, false))));
  }
  return li;
}

function openReply(li, n) {
  if (li.querySelector('.reply-form')) return;
  const text = el('textarea', { rows: 1, maxLength: 4000, placeholder: 'Reply…', required: true });
  const form = el('form', { class: 'reply-form' }, text, el('button', { type: 'submit' }, 'Send'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await conn.request('add_note', { parent: n.id, text: text.value });
      form.remove();
    } catch (err) { toast(err.message); }
  });
  li.querySelector('.actions').after(form);
  text.focus();
}

async function resolve(n, resolved) {
  try { await conn.request('resolve_note', { id: n.id, resolved }); } catch (e) { toast(e.message); }
}

function updateNoteWhere() {
  const sel = state.selection;
  const at = playheadMs();
  $('note-where').textContent = sel ? `on ${formatTime(sel.from)}–${formatTime(sel.to)}` : `at ${formatTime(at ?? 0)}`;
}

async function addNote(e) {
  e.preventDefault();
  const text = $('note-text').value.trim();
  if (!text) return;
  const sel = state.selection;
  const fields = { text, at: Math.round(sel ? sel.from : (playheadMs() ?? 0)) };
  if (sel && sel.to > sel.from) fields.to = Math.round(sel.to);
  if (state.source !== 'live') fields.version = state.source;
  try {
    await conn.request('add_note', fields);
    $('note-text').value = '';
  } catch (err) { toast(err.message); }
}

// --- Versions, A/B, approvals ---
const refreshVersions = debounced(async () => {
  state.versions = (await conn.request('list_versions', {})).versions;
  renderVersions();
});

function renderVersions() {
  const list = [...state.versions].reverse(); // newest first
  $('versions').replaceChildren(...list.map((v) => {
    const li = el('li', { class: 'version' });
    li.dataset.name = v.name;
    const mine = state.member && (v.approvals || []).some((a) => a.id === state.member.id);
    li.append(el('div', { class: 'meta' }, el('span', { class: 'name' }, v.name), el('span', { class: 'status ' + v.status }, v.status),
      el('span', {}, v.authorName), el('span', {}, new Date(v.time).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' }))));
    if (v.message) li.append(el('p', { class: 'text' }, v.message));
    const approvedBy = (v.approvals || []).map((a) => a.name).join(', ');
    li.append(el('p', { class: 'waiting' }, (approvedBy ? `Approved by ${approvedBy}. ` : '') +
      (v.waiting && v.waiting.length ? `Waiting for ${v.waiting.join(', ')}.` : v.status === 'approved' ? '' : 'No approvals needed from anyone else.')));
    const actions = el('div', { class: 'actions' });
    actions.append(el('button', { type: 'button', onclick: () => chooseSource(v.name) }, state.source === v.name ? 'Listening' : 'Listen (A/B)'));
    if (state.permissions.approve && v.status !== 'superseded')
      actions.append(el('button', { type: 'button', class: 'approve', onclick: () => approve(v.name, !mine) }, mine ? 'Take approval back' : 'Approve'));
    li.append(actions);
    return li;
  }));
  if (!list.length) $('versions').append(el('p', { class: 'muted empty' }, 'No versions saved yet.'));
  const sel = $('source');
  const keep = state.source;
  sel.replaceChildren(el('option', { value: 'live' }, 'Live mix'), ...state.versions.map((v) => el('option', { value: v.name }, v.name)));
  sel.value = keep;
}

async function approve(name, approved) {
  try { await conn.request('approve', { version: name, approved }); } catch (e) { toast(e.message); }
}

async function chooseSource(source) {
  if (state.mode !== 'own') { state.mode = 'own'; document.querySelector('input[name=mode][value=own]').checked = true; }
  state.source = source;
  $('source').value = source;
  renderVersions();
  renderNotes();
  refreshPeaks(true);
  if (!state.listening) return;
  try { await conn.request('ab', { source, match: $('match').checked }); } catch (e) { toast(e.message); }
}

// --- Test hook: what the page decoded and heard (used by the browser test; harmless otherwise) ---
window.mixroomTest = {
  stats: async () => ({ decoder: (await player.ask('stats'))?.stats || player.decoder, playout: player.playout,
    listening: state.listening, transport: state.transport, heardMs: player.heardMs(), notes: state.notes.length, connected: !!state.welcome }),
  capture: (seconds) => player.capture(seconds),
  captured: async () => {
    const c = await player.captured();
    if (!c) return null;
    // Interleaved float32 as base64, with the stream position of each decoded packet.
    const total = c.chunks.reduce((n, x, i) => n + (i % 2 === 0 ? x.length : 0), 0);
    const pcm = new Float32Array(total * 2);
    const lengths = [];
    let o = 0;
    for (let i = 0; i < c.chunks.length; i += 2) {
      const l = c.chunks[i], r = c.chunks[i + 1];
      lengths.push(l.length);
      for (let k = 0; k < l.length; ++k) { pcm[o++] = l[k]; pcm[o++] = r[k]; }
    }
    const bytes = new Uint8Array(pcm.buffer);
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return { positions: c.positions, lengths, pcm: btoa(bin), preSkip: player.preSkip };
  },
};

// --- Wiring ---
$('play').addEventListener('click', togglePlay);
document.querySelectorAll('input[name=mode]').forEach((r) => r.addEventListener('change', () => setMode(r.value)));
document.querySelectorAll('input[name=nf]').forEach((r) => r.addEventListener('change', () => { state.noteFilter = r.value; renderNotes(); }));
$('source').addEventListener('change', () => chooseSource($('source').value));
$('match').addEventListener('change', () => { if (state.listening && state.mode === 'own') conn.request('ab', { source: state.source, match: $('match').checked }).catch((e) => toast(e.message)); });
$('note-form').addEventListener('submit', addNote);
$('note-text').addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) addNote(e); });
wave.addEventListener('seek', (e) => { state.selection = null; wave.selection = null; showSelection(); seek(e.detail); });
wave.addEventListener('select', (e) => { state.selection = e.detail; showSelection(); });
$('clear-selection').addEventListener('click', () => { state.selection = null; wave.setSelection(null); showSelection(); });
$('loop').addEventListener('click', async () => {
  const s = state.selection;
  if (!s || !state.listening) return;
  try { await conn.request('transport', { target: state.mode, action: 'loop', from: Math.round(s.from), to: Math.round(s.to) }); } catch (e) { toast(e.message); }
});
function showSelection() {
  const s = state.selection;
  $('selection-text').textContent = s ? `Selected ${formatTime(s.from)}–${formatTime(s.to)} · notes go on this range` : 'Click to seek · drag to select a range';
  $('loop').hidden = !s;
  $('clear-selection').hidden = !s;
  $('note-text').placeholder = s ? 'Note on the selected range…' : 'Note at the playhead…';
}

const token = takeToken();
if (!token) {
  notice('Open your invitation link', 'This page plays a Mixroom session, but it needs the link you were sent (it ends in #t=…).',
    'Ask the mix engineer for a review link: mixroom invite --role client --name "Your name" --link');
} else {
  connect(token);
  requestAnimationFrame(animate);
}
