// The test signal's timecode stripe (OnAir's specs/testsignal.md, §1),
// read from the pictures the page shows: glass-to-glass latency is when a
// picture is presented minus the capture time in its stripe.
"use strict";

function crc8(bytes) {
  let c = 0;
  for (const b of bytes) {
    c ^= b;
    for (let i = 0; i < 8; i++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 255 : (c << 1) & 255;
  }
  return c;
}

// decodeStripe reads the 64 cells of an RGBA band (width w, height h) and
// returns the timestamp in Unix ms, or null when the markers or the CRC do
// not match (undecodable: counted, not guessed).
function decodeStripe(rgba, w, h) {
  const cw = Math.floor(w / 64);
  if (cw < 2) return null;
  const x0 = Math.floor(cw / 4), x1 = Math.max(x0 + 1, Math.floor(cw * 3 / 4));
  const y0 = Math.floor(h / 4), y1 = Math.max(y0 + 1, Math.floor(h * 3 / 4));
  const bits = new Array(64);
  for (let cell = 0; cell < 64; cell++) {
    let sum = 0, n = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = cell * cw + x0; x < cell * cw + x1; x++) {
        const i = (y * w + x) * 4;
        // Back to video luma (limited range), as the spec's threshold is.
        sum += 16 + (219 * (0.299 * rgba[i] + 0.587 * rgba[i + 1] + 0.114 * rgba[i + 2])) / 255;
        n++;
      }
    }
    bits[cell] = sum / n >= 128 ? 1 : 0;
  }
  if (bits[0] !== 1 || bits[1] !== 0 || bits[62] !== 0 || bits[63] !== 1) return null;
  for (let i = 58; i < 62; i++) if (bits[i] !== 0) return null;
  const bytes = [];
  for (let k = 0; k < 6; k++) {
    let v = 0;
    for (let i = 0; i < 8; i++) v = v * 2 + bits[2 + k * 8 + i];
    bytes.push(v);
  }
  let crc = 0;
  for (let i = 0; i < 8; i++) crc = crc * 2 + bits[50 + i];
  if (crc8(bytes) !== crc) return null;
  let ms = 0;
  for (const b of bytes) ms = ms * 256 + b;
  return ms;
}

// StripeReader calls onFrame(latencyMs, ok) for each picture presented:
// ok false for a picture without a readable stripe. median() is the median
// latency of the last 30 readable pictures.
class StripeReader {
  constructor(video, onFrame) {
    this.video = video;
    this.onFrame = onFrame;
    this.recent = [];
    this.canvas = document.createElement("canvas");
    this.ctx = this.canvas.getContext("2d", { willReadFrequently: true });
    if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) {
      const each = (now, meta) => {
        this.read(performance.timeOrigin + meta.expectedDisplayTime);
        video.requestVideoFrameCallback(each);
      };
      video.requestVideoFrameCallback(each);
    } else {
      let last = -1;
      setInterval(() => {
        if (video.currentTime !== last) { last = video.currentTime; this.read(Date.now()); }
      }, 15);
    }
  }

  read(shownAt) {
    const v = this.video, w = v.videoWidth, h = v.videoHeight;
    if (!w || !h) return;
    const band = Math.max(8, Math.floor(h / 24));
    if (this.canvas.width !== w || this.canvas.height !== band) {
      this.canvas.width = w;
      this.canvas.height = band;
    }
    this.ctx.drawImage(v, 0, 0, w, band, 0, 0, w, band);
    const ms = decodeStripe(this.ctx.getImageData(0, 0, w, band).data, w, band);
    if (ms === null) { this.onFrame(null, false); return; }
    const latency = shownAt - ms;
    this.recent.push(latency);
    if (this.recent.length > 30) this.recent.shift();
    this.onFrame(latency, true);
  }

  median() {
    if (this.recent.length === 0) return NaN;
    const s = [...this.recent].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  }
}
