// SPDX-License-Identifier: MIT
// Dedicated worker: parses Mixroom audio frames (24-byte header + one Opus packet, see
// PROTOCOL.md "Live preview"), decodes them with WebCodecs' AudioDecoder and hands the PCM to the
// playout worklet over a MessagePort, so neither decoding nor the page's drawing can starve the
// other. Counts frames, decoded frames, decode errors and sequence gaps; optionally captures the
// decoded audio with its stream positions (the page's test hook).

let port = null;         // to the AudioWorklet
let stream = -1;         // stream id of the current `listening`
let lastSeq = -1;
let decoder = null;
const stats = { frames: 0, decoded: 0, errors: 0, gaps: 0, late: 0, discontinuities: 0, lastError: '' };
let capture = null;      // {limit, positions: [], chunks: []}
// Stream positions of the packets being decoded, oldest first: one output per Opus packet, in
// order. The position comes from here rather than from AudioData.timestamp, which WebCodecs lets
// a decoder adjust.
const inFlight = [];

function makeDecoder() {
  decoder = new AudioDecoder({
    output: (data) => {
      const n = data.numberOfFrames;
      const left = new Float32Array(n);
      const right = new Float32Array(n);
      data.copyTo(left, { planeIndex: 0, format: 'f32-planar' });
      data.copyTo(right, { planeIndex: data.numberOfChannels > 1 ? 1 : 0, format: 'f32-planar' });
      const packet = inFlight.length ? inFlight.shift() : { position: Math.round(data.timestamp * 48000 / 1e6), discontinuity: false };
      const position = packet.position;
      data.close();
      ++stats.decoded;
      if (capture && capture.frames < capture.limit) {
        capture.positions.push(position);
        capture.chunks.push(left.slice(), right.slice());
        capture.frames += n;
      }
      // A discontinuity travels with the first audio after it, so audio of packets decoded before
      // it (still in the decoder when it arrived) is not taken for audio after it.
      if (port) port.postMessage({ type: 'pcm', position, left, right, discontinuity: packet.discontinuity }, [left.buffer, right.buffer]);
    },
    error: (e) => {
      ++stats.errors;
      stats.lastError = String(e && e.message || e);
      inFlight.length = 0;
      makeDecoder(); // a closed decoder cannot be used again
    },
  });
  decoder.configure({ codec: 'opus', sampleRate: 48000, numberOfChannels: 2 });
}

function onFrame(buffer) {
  if (buffer.byteLength < 25) { ++stats.errors; return; }
  const v = new DataView(buffer);
  if (v.getUint32(0, false) !== 0x4d584131) { ++stats.errors; return; } // "MXA1"
  if (v.getUint32(4, true) !== stream) return; // an earlier stream's frame
  ++stats.frames;
  const seq = v.getUint32(8, true);
  const position = Number(v.getBigUint64(12, true));
  const flags = v.getUint8(20);
  if (lastSeq >= 0 && seq <= lastSeq) { ++stats.late; return; } // older than one already decoded
  if (lastSeq >= 0 && seq > lastSeq + 1) stats.gaps += seq - lastSeq - 1;
  lastSeq = seq;
  const discontinuity = (flags & 1) !== 0; // seek, loop wrap or A/B switch: what is buffered is no longer what comes next
  if (discontinuity) ++stats.discontinuities;
  try {
    decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: position * 1e6 / 48000, data: new Uint8Array(buffer, 24) }));
    inFlight.push({ position, discontinuity });
  } catch (e) {
    ++stats.errors;
    stats.lastError = String(e && e.message || e);
  }
}

self.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
  case 'port': port = m.port; break;
  case 'stream':
    stream = m.stream;
    lastSeq = -1;
    if (!decoder || decoder.state === 'closed') makeDecoder();
    if (port) port.postMessage({ type: 'flush' });
    break;
  case 'frame': onFrame(m.buffer); break;
  case 'stop': stream = -1; if (port) port.postMessage({ type: 'flush' }); break;
  case 'capture': capture = { limit: Math.round(m.seconds * 48000), frames: 0, positions: [], chunks: [] }; break;
  case 'captured': {
    const c = capture || { positions: [], chunks: [] };
    self.postMessage({ type: 'captured', id: m.id, positions: c.positions, chunks: c.chunks });
    break;
  }
  case 'stats': self.postMessage({ type: 'stats', id: m.id, stats: { ...stats } }); break;
  }
};
