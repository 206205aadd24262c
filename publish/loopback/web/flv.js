// OnAir's HTTP-FLV player for the browser: reads the server's FLV stream
// with fetch, turns each tag into a fragmented-MP4 (CMAF) fragment and
// feeds Media Source Extensions, one SourceBuffer per track. H.264 and AAC
// (what browsers decode through MSE); other codecs are reported, not
// guessed.
"use strict";

// --- MP4 boxes ---------------------------------------------------------

function u32(n) { return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]; }
function u16(n) { return [(n >>> 8) & 255, n & 255]; }
function u64(n) { const hi = Math.floor(n / 4294967296); return u32(hi).concat(u32(n >>> 0)); }
function str(s) { return Array.from(s, (c) => c.charCodeAt(0)); }

// box makes an MP4 box of type t from parts (arrays of bytes or Uint8Arrays).
function box(t, ...parts) {
  let len = 8;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  out.set(u32(len), 0);
  out.set(str(t), 4);
  let o = 8;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
function fullBox(t, version, flags, ...parts) {
  return box(t, [version, (flags >> 16) & 255, (flags >> 8) & 255, flags & 255], ...parts);
}

const identity = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0];

// initSegment is ftyp + moov for one track (track ID 1).
function initSegment(kind, timescale, sampleEntry, width, height) {
  const ftyp = box("ftyp", str("isom"), u32(512), str("isom"), str("iso6"), str("mp41"));
  const mvhd = fullBox("mvhd", 0, 0, u32(0), u32(0), u32(1000), u32(0), u32(0x00010000), u16(0x0100), new Array(10).fill(0), identity, new Array(24).fill(0), u32(2));
  const tkhd = fullBox("tkhd", 0, 3, u32(0), u32(0), u32(1), u32(0), u32(0), new Array(8).fill(0), u16(0), u16(0),
    u16(kind === "audio" ? 0x0100 : 0), u16(0), identity, u16(width), u16(0), u16(height), u16(0));
  const mdhd = fullBox("mdhd", 0, 0, u32(0), u32(0), u32(timescale), u32(0), u16(0x55c4), u16(0));
  const hdlr = fullBox("hdlr", 0, 0, u32(0), str(kind === "audio" ? "soun" : "vide"), new Array(12).fill(0), str("OnAir\0"));
  const header = kind === "audio" ? fullBox("smhd", 0, 0, u32(0)) : fullBox("vmhd", 0, 1, new Array(8).fill(0));
  const dinf = box("dinf", fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 1)));
  const stbl = box("stbl", fullBox("stsd", 0, 0, u32(1), sampleEntry),
    fullBox("stts", 0, 0, u32(0)), fullBox("stsc", 0, 0, u32(0)), fullBox("stsz", 0, 0, u32(0), u32(0)), fullBox("stco", 0, 0, u32(0)));
  const minf = box("minf", header, dinf, stbl);
  const trak = box("trak", tkhd, box("mdia", mdhd, hdlr, minf));
  const trex = fullBox("trex", 0, 0, u32(1), u32(1), u32(0), u32(0), u32(0));
  return concat([ftyp, box("moov", mvhd, trak, box("mvex", trex))]);
}

function avc1(avcC, width, height) {
  return box("avc1", new Array(6).fill(0), u16(1), new Array(16).fill(0), u16(width), u16(height),
    u32(0x00480000), u32(0x00480000), u32(0), u16(1), new Array(32).fill(0), u16(0x18), u16(0xffff), box("avcC", avcC));
}

function mp4a(asc, channels, rate) {
  const descr = (tag, ...parts) => {
    let len = 0;
    for (const p of parts) len += p.length;
    return [tag, len].concat(...parts.map((p) => Array.from(p)));
  };
  const dsi = descr(0x05, asc);
  const dcd = descr(0x04, [0x40, 0x15, 0, 0, 0], u32(0), u32(0), dsi);
  const esd = descr(0x03, u16(1), [0], dcd, descr(0x06, [0x02]));
  return box("mp4a", new Array(6).fill(0), u16(1), new Array(8).fill(0), u16(channels), u16(16), u16(0), u16(0),
    u32(rate << 16 >>> 0), fullBox("esds", 0, 0, esd));
}

// fragment is moof + mdat for one sample.
function fragment(seq, baseTime, duration, data, key, cto) {
  // trun flags: data offset, duration, size, flags, composition offset.
  const flags = key ? 0x02000000 : 0x01010000;
  const trun = fullBox("trun", 1, 0x000f01, u32(1), u32(0), u32(duration), u32(data.length), u32(flags), u32(cto | 0));
  const traf = box("traf", fullBox("tfhd", 0, 0x020000, u32(1)), fullBox("tfdt", 1, 0, u64(baseTime)), trun);
  const moof = box("moof", fullBox("mfhd", 0, 0, u32(seq)), traf);
  // The data offset (from the start of moof) is where mdat's payload starts.
  const off = moof.length + 8;
  const at = moof.length - trun.length + 16; // trun: header 12, sample count 4
  moof.set(u32(off), at);
  return concat([moof, box("mdat", data)]);
}

function concat(parts) {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

// spsSize reads the picture size from the first SPS of an
// AVCDecoderConfigurationRecord (MSE wants it in the sample entry).
function spsSize(avcC) {
  if (avcC.length < 8 || (avcC[5] & 31) === 0) throw new Error("the H.264 configuration has no SPS");
  const n = (avcC[6] << 8) | avcC[7];
  const raw = avcC.subarray(8, 8 + n);
  const b = [];
  for (let i = 0; i < raw.length; i++) { // without emulation prevention bytes
    if (i >= 2 && raw[i] === 3 && raw[i - 1] === 0 && raw[i - 2] === 0) continue;
    b.push(raw[i]);
  }
  let pos = 8; // after the NAL header
  const bit = () => {
    if (pos >= b.length * 8) throw new Error("the H.264 SPS is cut short");
    const v = (b[pos >> 3] >> (7 - (pos & 7))) & 1;
    pos++;
    return v;
  };
  const bits = (k) => { let v = 0; for (let i = 0; i < k; i++) v = v * 2 + bit(); return v; };
  const ue = () => { let z = 0; while (bit() === 0) { if (++z > 31) throw new Error("bad H.264 SPS"); } return (2 ** z) - 1 + bits(z); };
  const se = () => { const k = ue(); return k & 1 ? (k + 1) / 2 : -k / 2; };
  const profile = bits(8);
  bits(16);
  ue();
  let chroma = 1;
  if ([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].includes(profile)) {
    chroma = ue();
    if (chroma === 3) bit();
    ue(); ue(); bit();
    if (bit()) {
      for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) {
        if (!bit()) continue;
        let last = 8, next = 8;
        for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
          if (next !== 0) next = (last + se() + 256) % 256;
          if (next !== 0) last = next;
        }
      }
    }
  }
  ue();
  const poc = ue();
  if (poc === 0) ue();
  else if (poc === 1) { bit(); se(); se(); const k = ue(); for (let i = 0; i < k; i++) se(); }
  ue(); bit();
  const wmbs = ue() + 1, hmaps = ue() + 1;
  const frameMbsOnly = bit();
  if (!frameMbsOnly) bit();
  bit();
  let l = 0, r = 0, t = 0, bo = 0;
  if (bit()) { l = ue(); r = ue(); t = ue(); bo = ue(); }
  const cx = chroma === 0 || chroma === 3 ? 1 : 2;
  const cy = (chroma === 1 ? 2 : 1) * (2 - frameMbsOnly);
  return { width: wmbs * 16 - (l + r) * cx, height: (2 - frameMbsOnly) * hmaps * 16 - (t + bo) * cy };
}

const aacRates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

// --- a track fed to one SourceBuffer --------------------------------------

class Track {
  constructor(ms, mime, init, onError) {
    this.sb = ms.addSourceBuffer(mime);
    this.sb.mode = "segments";
    this.queue = [init];
    this.seq = 1;
    this.onError = onError;
    this.sb.addEventListener("updateend", () => this.pump());
    this.sb.addEventListener("error", () => onError(new Error("the browser refused the " + mime + " data")));
  }
  push(frag) { this.queue.push(frag); this.pump(); }
  pump() {
    if (this.sb.updating || this.queue.length === 0) return;
    const data = this.queue.length === 1 ? this.queue[0] : concat(this.queue);
    this.queue = [];
    try {
      this.sb.appendBuffer(data);
    } catch (e) {
      if (e.name === "QuotaExceededError") this.trim();
      else this.onError(e);
    }
  }
  // trim drops what is more than 30 s behind, so a long watch does not fill
  // the browser's buffer quota.
  trim(now) {
    if (this.sb.updating || this.sb.buffered.length === 0) return;
    const start = this.sb.buffered.start(0);
    if (now - start > 30) this.sb.remove(start, now - 10);
  }
}

// --- the FLV reader -------------------------------------------------------

// FLVPlayer plays url in video. onError is called once with what went
// wrong.
class FLVPlayer {
  constructor(video, url, onError) {
    this.video = video;
    this.url = url;
    this.onError = onError;
    this.abort = new AbortController();
    this.ms = new MediaSource();
    this.video.src = URL.createObjectURL(this.ms);
    this.vtrack = null;
    this.atrack = null;
    this.avcC = null;
    this.aac = null;
    this.expectAudio = true;
    this.pendingVideo = null;
    this.videoStep = 33;
    this.audioTime = -1;
    this.pendingAudio = null;
    this.bytes = 0;
    this.buf = new Uint8Array(0);
    this.headerDone = false;
    this.codecs = [];
    // opened settles when the MediaSource can take tracks; without a url
    // the player reads nothing itself, and feed gives it the bytes.
    this.opened = new Promise((resolve) => this.ms.addEventListener("sourceopen", resolve, { once: true }));
    if (url) this.opened.then(() => this.read());
  }

  close() {
    this.abort.abort();
    try { if (this.ms.readyState === "open") this.ms.endOfStream(); } catch (e) { /* closing anyway */ }
    URL.revokeObjectURL(this.video.src);
  }

  fail(e) {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.onError(e);
  }

  async read() {
    let resp;
    try {
      resp = await fetch(this.url, { signal: this.abort.signal, cache: "no-store" });
    } catch (e) {
      return this.fail(new Error("cannot reach the server: " + e.message));
    }
    if (!resp.ok) {
      const e = new Error((await resp.text()).trim() || "HTTP " + resp.status);
      e.status = resp.status;
      return this.fail(e);
    }
    const reader = resp.body.getReader();
    for (;;) {
      let r;
      try {
        r = await reader.read();
      } catch (e) {
        return this.fail(new Error("the stream broke off: " + e.message));
      }
      if (r.done) return this.fail(new Error("the stream ended"));
      if (!this.feed(r.value)) return;
    }
  }

  // feed parses the next bytes of the FLV stream and hands its tags on; it
  // returns false once the stream failed (onError has been called).
  feed(chunk) {
    if (this.abort.signal.aborted) return false;
    this.bytes += chunk.length;
    let buf = this.buf.length ? concat([this.buf, chunk]) : chunk;
    let o = 0;
    if (!this.headerDone) {
      if (buf.length < 13) { this.buf = buf; return true; }
      if (buf[0] !== 0x46 || buf[1] !== 0x4c || buf[2] !== 0x56) { this.fail(new Error("not an FLV stream")); return false; }
      this.expectAudio = (buf[4] & 4) !== 0;
      o = 13;
      this.headerDone = true;
    }
    while (buf.length - o >= 11) {
      const type = buf[o], size = (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3];
      if (buf.length - o < 11 + size + 4) break;
      const ts = ((buf[o + 7] << 24) | (buf[o + 4] << 16) | (buf[o + 5] << 8) | buf[o + 6]) >>> 0;
      const body = buf.subarray(o + 11, o + 11 + size);
      try {
        if (type === 9) this.videoTag(ts, body);
        else if (type === 8) this.audioTag(ts, body);
      } catch (e) {
        this.fail(e);
        return false;
      }
      o += 11 + size + 4;
    }
    this.buf = buf.slice(o);
    return true;
  }

  videoTag(ts, b) {
    if (b.length < 5) return;
    if (b[0] & 0x80) throw new Error("the stream's video is Enhanced RTMP (HEVC or AV1): this mode plays H.264");
    if ((b[0] & 15) !== 7) throw new Error("the stream's video codec " + (b[0] & 15) + " is not H.264");
    const key = (b[0] >> 4) === 1;
    if (b[1] === 0) { // AVCDecoderConfigurationRecord
      if (this.vtrack) return; // the same stream goes on
      this.avcC = b.slice(5);
      const hex = (n) => n.toString(16).padStart(2, "0");
      const codec = "avc1." + hex(this.avcC[1]) + hex(this.avcC[2]) + hex(this.avcC[3]);
      this.codecs.push(codec);
      const { width, height } = spsSize(this.avcC);
      this.size = width + "×" + height;
      this.vtrack = new Track(this.ms, 'video/mp4; codecs="' + codec + '"',
        initSegment("video", 1000, avc1(this.avcC, width, height), width, height), (e) => this.fail(e));
      return;
    }
    if (b[1] !== 1 || !this.vtrack) return;
    let cto = (b[2] << 16) | (b[3] << 8) | b[4];
    if (cto & 0x800000) cto -= 0x1000000;
    // A picture is appended when the next one comes, lasting exactly until
    // it. Guessing its duration from the one before (one frame sooner)
    // made pictures overlap whenever the stream's frame times wobbled, and
    // Chromium then dropped the rest of the group of pictures: the picture
    // froze until the next keyframe.
    const p = this.pendingVideo;
    if (p) {
      if (ts > p.ts) this.videoStep = Math.min(ts - p.ts, 1000);
      this.vtrack.push(fragment(this.vtrack.seq++, p.ts, this.videoStep, p.data, p.key, p.cto));
    }
    this.pendingVideo = { ts, data: b.slice(5), key, cto };
  }

  audioTag(ts, b) {
    if (b.length < 2) return;
    if ((b[0] >> 4) !== 10) throw new Error("the stream's audio is not AAC: this mode plays AAC");
    if (b[1] === 0) {
      if (this.atrack) return;
      const asc = b.slice(2);
      const ot = asc[0] >> 3, fi = ((asc[0] & 7) << 1) | (asc[1] >> 7), ch = (asc[1] >> 3) & 15;
      const rate = aacRates[fi] || 48000;
      this.aac = { rate, ch };
      const codec = "mp4a.40." + ot;
      this.codecs.push(codec);
      this.atrack = new Track(this.ms, 'audio/mp4; codecs="' + codec + '"',
        initSegment("audio", rate, mp4a(asc, ch || 2, rate), 0, 0), (e) => this.fail(e));
      return;
    }
    if (!this.atrack) return;
    // Sample-exact times from the first frame on; back to the tag's time
    // when they drift apart by more than a frame (a gap in the stream).
    // Like pictures, a frame is appended when the next one comes and lasts
    // until it, so a gap in the sound (a source that fell behind and
    // skipped) does not split the buffer, where the browser would stall.
    const t = Math.round(ts * this.aac.rate / 1000);
    const at = this.audioTime < 0 || Math.abs(t - this.audioTime) > 1024 ? t : this.audioTime;
    const p = this.pendingAudio;
    if (p) {
      const d = at - p.at;
      this.atrack.push(fragment(this.atrack.seq++, p.at, d > 0 && d <= this.aac.rate ? d : 1024, p.data, true, 0));
    }
    this.pendingAudio = { at, data: b.slice(2) };
    this.audioTime = at + 1024;
  }

  // liveEdge is the end of what is buffered (seconds), or NaN.
  liveEdge() {
    const b = this.video.buffered;
    return b.length ? b.end(b.length - 1) : NaN;
  }

  keepLive(target, maxBehind) { holdLive(this.video, [this.vtrack, this.atrack], target, maxBehind); }
}

// holdLive holds the picture near the live edge: a little more than target
// seconds buffered ahead of it plays faster (up to 10 %, unheard in speech)
// until it is back; more than maxBehind (a stall, a background tab) jumps
// there. It also trims old data from tracks.
function holdLive(v, tracks, target, maxBehind) {
  const b = v.buffered;
  if (b.length === 0) return;
  const edge = b.end(b.length - 1), now = v.currentTime, ahead = edge - now;
  // A hole in what is buffered (pictures the server dropped for a slow
  // connection, a gap in the source) stalls the element at its edge: jump
  // over it, as hls.js does.
  if (v.readyState < HTMLMediaElement.HAVE_FUTURE_DATA) {
    for (let i = 0; i + 1 < b.length; i++) {
      if (now >= b.end(i) - 0.1 && now < b.start(i + 1) && b.start(i + 1) - now < maxBehind) {
        v.currentTime = b.start(i + 1) + 0.01;
        return;
      }
    }
  }
  if (ahead > maxBehind || now < b.start(0)) {
    v.currentTime = Math.max(edge - target, 0);
    v.playbackRate = 1;
  } else if (ahead > target * 1.5) {
    v.playbackRate = 1.1;
  } else if (ahead <= target) {
    v.playbackRate = 1;
  }
  for (const t of tracks) if (t) t.trim(now);
}
