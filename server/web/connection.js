// SPDX-License-Identifier: MIT
// The page's side of the Mixroom protocol (protocol/PROTOCOL.md): one WebSocket to the server that
// served the page, hello with the member token, requests matched to their answers by clientSeq,
// everything else delivered as events. Binary frames (Opus audio) go to onAudio untouched.

const PROTOCOL_MAJOR = 1;

export class Connection extends EventTarget {
  constructor(token) {
    super();
    this.token = token;
    this.pending = new Map(); // clientSeq -> {resolve, reject}
    this.nextSeq = Date.now() * 1000; // never reused for this client id
    this.welcome = null;
    this.onAudio = null;
    this.clientId = Connection.clientId();
  }

  // A stable id for this browser (idempotent retries are keyed by it).
  static clientId() {
    let id = localStorage.getItem('mixroom-client-id');
    if (!id) {
      const bytes = crypto.getRandomValues(new Uint8Array(12));
      id = 'web-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
      localStorage.setItem('mixroom-client-id', id);
    }
    return id;
  }

  open() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      const hello = { type: 'hello', major: PROTOCOL_MAJOR, token: this.token, clientId: this.clientId, features: [] };
      if (this.welcome) hello.lastSeq = this.welcome.seq;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') {
        if (this.onAudio) this.onAudio(e.data);
        return;
      }
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      this.dispatch(m);
    };
    ws.onclose = (e) => {
      for (const p of this.pending.values()) p.reject(new Error('the connection closed'));
      this.pending.clear();
      this.dispatchEvent(new CustomEvent('closed', { detail: { code: e.code, reason: e.reason } }));
    };
  }

  close() { if (this.ws) this.ws.close(1000); }

  dispatch(m) {
    if (m.type === 'welcome') {
      this.welcome = m;
      this.dispatchEvent(new CustomEvent('welcome', { detail: m }));
      return;
    }
    if (m.type === 'error' && !this.welcome) { // refused before welcome: a bad, revoked or expired link
      this.dispatchEvent(new CustomEvent('refused', { detail: m }));
      return;
    }
    const seq = m.clientSeq;
    if (seq !== undefined && this.pending.has(seq)) {
      const p = this.pending.get(seq);
      this.pending.delete(seq);
      if (m.type === 'error') p.reject(Object.assign(new Error(m.message), { code: m.code })); else p.resolve(m);
    }
    if (m.type === 'error') {
      if (seq === undefined) this.dispatchEvent(new CustomEvent('error-message', { detail: m }));
      return;
    }
    this.dispatchEvent(new CustomEvent(m.type, { detail: m }));
  }

  // Sends a request and resolves with its answer (the reply, the ack or the requester's copy of
  // an event); rejects with the server's error (err.code, err.message).
  request(type, fields = {}) {
    const clientSeq = ++this.nextSeq;
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject(new Error('not connected'));
        return;
      }
      this.pending.set(clientSeq, { resolve, reject });
      this.ws.send(JSON.stringify({ type, clientSeq, ...fields }));
    });
  }
}
