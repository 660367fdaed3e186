// SPDX-License-Identifier: MIT
// AudioWorklet: plays the decoded PCM from a ring buffer with a jitter buffer. Playback starts
// (and restarts after an underrun) once `targetMs` of audio is buffered; an underrun is counted
// each time the buffer runs dry while playing. No allocation in process(): the ring is made once.

const CAPACITY = 48000 * 2; // 2 s per channel

class Playout extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.target = Math.round((options.processorOptions.targetMs || 120) * sampleRate / 1000);
    this.left = new Float32Array(CAPACITY);
    this.right = new Float32Array(CAPACITY);
    this.read = 0;
    this.write = 0;      // read/write as running counts; index = count % CAPACITY
    this.playing = false;
    this.underruns = 0;
    this.overflows = 0;
    this.position = -1;  // stream position of the next sample to play
    this.writePosition = -1;
    this.lastReport = 0;
    this.expecting = true; // the transport plays: running dry is an underrun (not after a pause)
    this.port.onmessage = (e) => {
      if (e.data.type === 'port') e.data.port.onmessage = (m) => this.onData(m.data);
      else this.onData(e.data);
    };
  }

  onData(m) {
    if (m.type === 'expect') { this.expecting = m.playing; return; }
    if (m.type === 'flush' || (m.type === 'pcm' && m.discontinuity)) {
      this.read = this.write;
      this.playing = false;
      this.position = -1;
      this.writePosition = -1;
    }
    if (m.type !== 'pcm') return;
    const n = m.left.length;
    if (this.write - this.read + n > CAPACITY) { // too far ahead: drop the oldest
      this.read = this.write + n - CAPACITY;
      ++this.overflows;
    }
    if (this.write === this.read) this.position = m.position;
    for (let i = 0; i < n; ++i) {
      const k = (this.write + i) % CAPACITY;
      this.left[k] = m.left[i];
      this.right[k] = m.right[i];
    }
    this.write += n;
    this.writePosition = m.position + n;
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const l = out[0], r = out[1] || out[0];
    const n = l.length;
    let available = this.write - this.read;
    if (!this.playing && available >= this.target) this.playing = true;
    if (this.playing) {
      const take = Math.min(n, available);
      for (let i = 0; i < take; ++i) {
        const k = (this.read + i) % CAPACITY;
        l[i] = this.left[k];
        r[i] = this.right[k];
      }
      for (let i = take; i < n; ++i) { l[i] = 0; r[i] = 0; }
      this.read += take;
      if (this.position >= 0) this.position += take;
      if (take < n) {
        if (this.expecting) ++this.underruns;
        this.playing = false;
      }
      available -= take;
    } else {
      l.fill(0);
      if (r !== l) r.fill(0);
    }
    if (currentTime - this.lastReport >= 0.1) {
      this.lastReport = currentTime;
      this.port.postMessage({ type: 'stats', bufferedMs: available * 1000 / sampleRate, underruns: this.underruns,
        overflows: this.overflows, playing: this.playing, position: this.playing ? this.position : -1 });
    }
    return true;
  }
}

registerProcessor('mixroom-playout', Playout);
