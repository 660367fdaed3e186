// SPDX-License-Identifier: MIT
// Audio on the page: an AudioContext at 48 kHz with the playout worklet, and the decoder worker
// connected to it by a MessagePort (PCM never passes through the page's main thread). Needs a
// user gesture to start (browsers' autoplay rule): start() is called from the Listen button.

const JITTER_MS = 120; // within the 100-150 ms the page promises

export class Player {
  constructor() {
    this.ctx = null;
    this.worker = null;
    this.node = null;
    this.playout = { bufferedMs: 0, underruns: 0, overflows: 0, playing: false, position: -1 };
    this.decoder = { frames: 0, decoded: 0, errors: 0, gaps: 0, late: 0 };
    this.waiting = new Map();
    this.nextId = 1;
    this.preSkip = 0;
  }

  static supported() {
    return typeof AudioDecoder !== 'undefined' && typeof AudioWorkletNode !== 'undefined' && window.isSecureContext;
  }

  async start() {
    if (this.ctx) {
      if (this.ctx.state !== 'running') await this.ctx.resume();
      return;
    }
    this.ctx = new AudioContext({ sampleRate: 48000, latencyHint: 'playback' });
    await this.ctx.audioWorklet.addModule('/web/playout-worklet.js');
    this.node = new AudioWorkletNode(this.ctx, 'mixroom-playout', {
      numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [2], processorOptions: { targetMs: JITTER_MS },
    });
    this.node.connect(this.ctx.destination);
    this.node.port.onmessage = (e) => { if (e.data.type === 'stats') this.playout = e.data; };
    this.worker = new Worker('/web/decoder-worker.js');
    this.worker.onmessage = (e) => {
      const m = e.data;
      if (m.type === 'stats') this.decoder = m.stats;
      const w = this.waiting.get(m.id);
      if (w) { this.waiting.delete(m.id); w(m); }
    };
    const channel = new MessageChannel();
    this.worker.postMessage({ type: 'port', port: channel.port1 }, [channel.port1]);
    this.node.port.postMessage({ type: 'port', port: channel.port2 }, [channel.port2]);
    if (this.pendingCapture) this.worker.postMessage({ type: 'capture', seconds: this.pendingCapture });
    this.statsTimer = setInterval(() => this.ask('stats'), 250);
    if (this.ctx.state !== 'running') await this.ctx.resume();
  }

  // A `listening` answer: frames of this stream id are decoded from now on.
  stream(listening) {
    this.preSkip = listening.preSkip || 0;
    this.worker.postMessage({ type: 'stream', stream: listening.stream });
  }
  stop() { if (this.worker) this.worker.postMessage({ type: 'stop' }); this.expect(false); }
  // Whether frames should keep coming (the transport plays): only then is running dry an underrun.
  expect(playing) { if (this.node) this.node.port.postMessage({ type: 'expect', playing }); }
  frame(buffer) { if (this.worker) this.worker.postMessage({ type: 'frame', buffer }, [buffer]); }

  // Song position (ms) of what is heard now, or null when nothing plays. Opus's decoder output
  // lags the frame header's position by the encoder's delay (preSkip).
  heardMs() {
    const p = this.playout;
    if (!p.playing || p.position < 0) return null;
    const outputLatency = this.ctx ? (this.ctx.outputLatency || this.ctx.baseLatency || 0) : 0;
    return Math.max(0, (p.position - this.preSkip) / 48 - outputLatency * 1000);
  }

  ask(type, extra = {}) {
    if (!this.worker) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.worker.postMessage({ type, id, ...extra });
    });
  }
  // Keeps the next `seconds` of decoded audio (asked before Listen: from the start).
  capture(seconds) {
    this.pendingCapture = this.worker ? 0 : seconds;
    if (this.worker) this.worker.postMessage({ type: 'capture', seconds });
  }
  captured() { return this.ask('captured'); }
}
