// OnAir's Low-Latency HLS player: blocking playlist reloads (_HLS_msn,
// _HLS_part) tell it when the next part is there; it fetches the parts
// (CMAF) and feeds Media Source Extensions, one SourceBuffer for both
// tracks. Uses flv.js's Track, concat and holdLive.
"use strict";

// llCodecs reads the codecs of a CMAF initialization section: avc1 from
// the avcC box, mp4a from the esds box's AudioSpecificConfig.
function llCodecs(init) {
  const find = (type, from) => {
    for (let i = from || 0; i + 4 <= init.length; i++) {
      if (init[i] === type.charCodeAt(0) && init[i + 1] === type.charCodeAt(1) && init[i + 2] === type.charCodeAt(2) && init[i + 3] === type.charCodeAt(3)) return i + 4;
    }
    return -1;
  };
  const out = [];
  const avcC = find("avcC");
  if (avcC < 0 || avcC + 4 > init.length) throw new Error("the LL-HLS stream has no H.264 configuration");
  const hex = (n) => n.toString(16).padStart(2, "0");
  out.push("avc1." + hex(init[avcC + 1]) + hex(init[avcC + 2]) + hex(init[avcC + 3]));
  let p = find("esds");
  if (p >= 0) {
    p += 4; // version and flags
    // Descriptors: a tag, then a length in 7-bit groups.
    const descr = () => {
      const tag = init[p++];
      let len = 0;
      for (let i = 0; i < 4; i++) { const b = init[p++]; len = (len << 7) | (b & 127); if (!(b & 128)) break; }
      return { tag, len };
    };
    let d = descr();
    if (d.tag === 3) {
      const flags = init[p + 2];
      p += 3 + (flags & 0x80 ? 2 : 0) + (flags & 0x40 ? 1 + init[p + 3] : 0) + (flags & 0x20 ? 2 : 0);
      d = descr();
      if (d.tag === 4) {
        p += 13;
        d = descr();
        if (d.tag === 5 && p < init.length) out.push("mp4a.40." + (init[p] >> 3));
      }
    }
  }
  return out;
}

// llParse reads a media playlist: its parts by segment and which segments
// are complete.
function llParse(text) {
  const pl = { parts: new Map(), complete: new Set(), partTarget: 0.2, ended: false };
  let pendingInf = false;
  for (const line of text.split("\n")) {
    const l = line.trim();
    if (l.startsWith("#EXT-X-PART:")) {
      const uri = /URI="([^"]+)"/.exec(l);
      const m = uri && /^s(\d+)\.(\d+)\.m4s$/.exec(uri[1]);
      if (m) {
        const msn = Number(m[1]);
        if (!pl.parts.has(msn)) pl.parts.set(msn, []);
        pl.parts.get(msn)[Number(m[2])] = { uri: uri[1], independent: l.includes("INDEPENDENT=YES") };
      }
    } else if (l.startsWith("#EXT-X-PART-INF:")) {
      const m = /PART-TARGET=([\d.]+)/.exec(l);
      if (m) pl.partTarget = Number(m[1]);
    } else if (l.startsWith("#EXTINF:")) {
      pendingInf = true;
    } else if (l === "#EXT-X-ENDLIST") {
      pl.ended = true;
    } else if (pendingInf && l && !l.startsWith("#")) {
      const m = /^s(\d+)\.m4s$/.exec(l);
      if (m) pl.complete.add(Number(m[1]));
      pendingInf = false;
    }
  }
  return pl;
}

class LLHLSPlayer {
  constructor(video, base, onError) {
    this.video = video;
    this.base = base; // ends with "/"
    this.onError = onError;
    this.abort = new AbortController();
    this.ms = new MediaSource();
    this.video.src = URL.createObjectURL(this.ms);
    this.track = null;
    const opened = new Promise((resolve) => this.ms.addEventListener("sourceopen", resolve, { once: true }));
    this.run(opened).catch((e) => this.fail(e));
  }

  async get(path) {
    let resp;
    try {
      resp = await fetch(this.base + path, { signal: this.abort.signal, cache: "no-store" });
    } catch (e) {
      if (this.abort.signal.aborted) throw e;
      throw new Error("cannot reach the server: " + e.message);
    }
    if (!resp.ok) {
      const e = new Error((await resp.text()).trim() || "HTTP " + resp.status);
      e.status = resp.status;
      throw e;
    }
    return resp;
  }

  async run(opened) {
    const init = new Uint8Array(await (await this.get("init.mp4")).arrayBuffer());
    const mime = 'video/mp4; codecs="' + llCodecs(init).join(",") + '"';
    if (!MediaSource.isTypeSupported(mime)) throw new Error("this browser cannot play " + mime);
    await opened;
    this.track = new Track(this.ms, mime, init, (e) => this.fail(e));
    // Start at the newest part a decoder can start from.
    let pl = llParse(await (await this.get("index.m3u8")).text());
    let msn = -1, part = 0;
    for (const [m, parts] of pl.parts) {
      parts.forEach((p, i) => { if (p && p.independent && (m > msn || (m === msn && i > part))) { msn = m; part = i; } });
    }
    if (msn < 0) throw new Error("the LL-HLS playlist lists no part to start from");
    while (!this.abort.signal.aborted) {
      // Wait for the part (a blocking reload), then fetch it.
      pl = llParse(await (await this.get("index.m3u8?_HLS_msn=" + msn + "&_HLS_part=" + part)).text());
      const parts = pl.parts.get(msn);
      if (parts && parts[part]) {
        const data = new Uint8Array(await (await this.get(parts[part].uri)).arrayBuffer());
        this.track.push(data);
        part++;
      } else if (pl.complete.has(msn) || (pl.parts.has(msn + 1))) {
        msn++;
        part = 0;
      } else if (pl.ended) {
        throw new Error("the stream ended");
      } else if (!pl.parts.has(msn) && !pl.complete.has(msn)) {
        throw new Error("fell behind the playlist: starting again");
      }
    }
  }

  fail(e) {
    if (this.abort.signal.aborted) return;
    this.close();
    this.onError(e);
  }

  close() {
    this.abort.abort();
    try { if (this.ms.readyState === "open") this.ms.endOfStream(); } catch (e) { /* closing anyway */ }
    URL.revokeObjectURL(this.video.src);
  }

  liveEdge() {
    const b = this.video.buffered;
    return b.length ? b.end(b.length - 1) : NaN;
  }

  keepLive(target, maxBehind) { holdLive(this.video, [this.track], target, maxBehind); }
}
