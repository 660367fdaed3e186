// SPDX-License-Identifier: MIT
// The mix's waveform on a canvas: peak and RMS per bin (from get_peaks), a time ruler, note
// markers with labels, the selection and the playhead. A click seeks, a drag selects a range
// (mouse, pen or touch); arrow keys nudge the playhead when the canvas has focus.

export function formatTime(ms, tenths = true) {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const total = ms / 1000;
  const m = Math.floor(total / 60);
  const s = total - m * 60;
  return tenths ? `${m}:${s.toFixed(1).padStart(4, '0')}` : `${m}:${String(Math.floor(s)).padStart(2, '0')}`;
}

const RULER = 18; // px for the time ruler
const LABELS = 16; // px for note labels

export class Waveform extends EventTarget {
  constructor(canvas) {
    super();
    this.canvas = canvas;
    this.peaks = null; // {peak: [], rms: [], lengthMs}
    this.lengthMs = 0;
    this.notes = [];
    this.playheadMs = null;
    this.selection = null; // {from, to} in ms
    this.drag = null;
    new ResizeObserver(() => this.draw()).observe(canvas);
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', () => { this.drag = null; });
    canvas.addEventListener('keydown', (e) => this.key(e));
  }

  setPeaks(p) { this.peaks = p; if (p) this.lengthMs = p.lengthMs; this.draw(); }
  setLength(ms) { if (!this.peaks) this.lengthMs = ms; this.draw(); }
  setNotes(notes) { this.notes = notes; this.draw(); }
  setPlayhead(ms) { this.playheadMs = ms; this.draw(); }
  setSelection(sel) {
    this.selection = sel;
    this.draw();
    this.dispatchEvent(new CustomEvent('select', { detail: sel }));
  }

  msAt(clientX) {
    const r = this.canvas.getBoundingClientRect();
    const x = Math.min(Math.max(clientX - r.left, 0), r.width);
    return r.width > 0 ? (x / r.width) * this.lengthMs : 0;
  }

  down(e) {
    if (!this.lengthMs) return;
    this.canvas.setPointerCapture(e.pointerId);
    this.drag = { startX: e.clientX, startMs: this.msAt(e.clientX), moved: false };
  }
  move(e) {
    if (!this.drag) return;
    if (Math.abs(e.clientX - this.drag.startX) > 4) this.drag.moved = true;
    if (this.drag.moved) {
      const ms = this.msAt(e.clientX);
      this.selection = { from: Math.min(ms, this.drag.startMs), to: Math.max(ms, this.drag.startMs) };
      this.draw();
    }
  }
  up(e) {
    if (!this.drag) return;
    const d = this.drag;
    this.drag = null;
    if (d.moved) this.setSelection(this.selection);
    else this.dispatchEvent(new CustomEvent('seek', { detail: d.startMs }));
  }
  key(e) {
    const step = e.shiftKey ? 10000 : 1000;
    const at = this.playheadMs || 0;
    if (e.key === 'ArrowRight') this.dispatchEvent(new CustomEvent('seek', { detail: Math.min(this.lengthMs, at + step) }));
    else if (e.key === 'ArrowLeft') this.dispatchEvent(new CustomEvent('seek', { detail: Math.max(0, at - step) }));
    else if (e.key === 'Home') this.dispatchEvent(new CustomEvent('seek', { detail: 0 }));
    else return;
    e.preventDefault();
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr));
    const h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const W = c.clientWidth, H = c.clientHeight;
    const css = getComputedStyle(document.documentElement);
    g.fillStyle = '#12141a';
    g.fillRect(0, 0, W, H);
    const top = RULER + LABELS, mid = top + (H - top) / 2, half = (H - top) / 2 - 2;
    const xOf = (ms) => (this.lengthMs > 0 ? (ms / this.lengthMs) * W : 0);

    // Selection under everything.
    if (this.selection) {
      g.fillStyle = 'rgba(79,179,255,0.16)';
      g.fillRect(xOf(this.selection.from), top, Math.max(1, xOf(this.selection.to) - xOf(this.selection.from)), H - top);
    }
    // Waveform: peak envelope, RMS inside it.
    if (this.peaks && this.peaks.peak.length) {
      const n = this.peaks.peak.length;
      for (const [values, colour] of [[this.peaks.peak, css.getPropertyValue('--wave')], [this.peaks.rms, css.getPropertyValue('--wave-rms')]]) {
        g.fillStyle = colour.trim() || '#4fb3ff';
        for (let x = 0; x < W; ++x) {
          const a = Math.floor((x / W) * n), b = Math.max(a + 1, Math.floor(((x + 1) / W) * n));
          let v = 0;
          for (let i = a; i < b && i < n; ++i) v = Math.max(v, values[i]);
          const y = Math.min(1, v) * half;
          g.fillRect(x, mid - y, 1, Math.max(1, 2 * y));
        }
      }
    } else {
      g.fillStyle = '#2c3038';
      g.fillRect(0, mid, W, 1);
    }
    // Ruler: a tick step that leaves room for its labels.
    g.fillStyle = '#1a1d23';
    g.fillRect(0, 0, W, RULER);
    if (this.lengthMs > 0) {
      const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600].map((s) => s * 1000);
      const step = steps.find((s) => (s / this.lengthMs) * W >= 56) || 600000;
      g.fillStyle = '#9aa1ac';
      g.strokeStyle = '#3a404a';
      g.font = '11px system-ui, sans-serif';
      g.textBaseline = 'middle';
      for (let t = 0; t <= this.lengthMs; t += step) {
        const x = Math.round(xOf(t)) + 0.5;
        g.beginPath(); g.moveTo(x, RULER - 6); g.lineTo(x, RULER); g.stroke();
        if (x + 30 < W) g.fillText(formatTime(t, false), x + 3, RULER / 2);
      }
    }
    // Note markers with labels (ranges as a bar).
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'middle';
    let lastLabelEnd = -1;
    for (const n of this.notes) {
      const x = xOf(n.at);
      g.fillStyle = n.resolved ? '#6b7280' : '#ffb14f';
      if (n.to != null) g.fillRect(x, RULER + LABELS - 4, Math.max(2, xOf(n.to) - x), 3);
      g.fillRect(Math.round(x), RULER, 2, H - RULER);
      const label = (n.authorName || '') + ': ' + n.text.split('\n')[0];
      const text = label.length > 24 ? label.slice(0, 23) + '…' : label;
      const tw = g.measureText(text).width;
      if (x > lastLabelEnd) {
        g.fillText(text, Math.min(x + 4, W - tw - 2), RULER + LABELS / 2 - 1);
        lastLabelEnd = x + tw + 8;
      }
    }
    // Playhead.
    if (this.playheadMs != null && this.lengthMs > 0) {
      g.fillStyle = '#ffffff';
      g.fillRect(Math.round(xOf(this.playheadMs)), RULER, 2, H - RULER);
    }
  }
}
