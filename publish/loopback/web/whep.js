// OnAir's WHEP player (RFC 9725): the browser's own RTCPeerConnection
// receives the stream over WebRTC, the lowest-latency way a page has.
"use strict";

class WHEPPlayer {
  // onError(e) is called once; e.status is the server's HTTP status when
  // it refused.
  constructor(video, url, onError) {
    this.video = video;
    this.url = url;
    this.onError = onError;
    this.closed = false;
    this.location = "";
    this.pc = new RTCPeerConnection();
    this.start().catch((e) => this.fail(e));
  }

  async start() {
    const pc = this.pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.ontrack = (e) => {
      stream.addTrack(e.track);
      if (this.video.srcObject !== stream) this.video.srcObject = stream;
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed") this.fail(new Error("the WebRTC connection failed (no route between this browser and the server over UDP?)"));
      if (pc.connectionState === "disconnected") this.fail(new Error("the WebRTC connection was lost"));
    };
    await pc.setLocalDescription(await pc.createOffer());
    // The server takes no trickled candidates: send them all with the offer.
    await new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      const t = setTimeout(resolve, 2000);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") { clearTimeout(t); resolve(); }
      });
    });
    if (this.closed) return;
    const resp = await fetch(this.url, { method: "POST", headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp });
    const text = await resp.text();
    if (resp.status !== 201) {
      const e = new Error(text.trim() || "HTTP " + resp.status);
      e.status = resp.status;
      throw e;
    }
    this.location = new URL(resp.headers.get("Location"), location.href).href;
    if (this.closed) return this.hangUp();
    await pc.setRemoteDescription({ type: "answer", sdp: text });
  }

  hangUp() {
    // keepalive: the DELETE still goes when the page is being closed.
    if (this.location) fetch(this.location, { method: "DELETE", keepalive: true }).catch(() => {});
    this.location = "";
  }

  fail(e) {
    if (this.closed) return;
    this.close();
    this.onError(e);
  }

  close() {
    this.closed = true;
    this.pc.close();
    this.hangUp();
    this.video.srcObject = null;
  }

  keepLive() {} // WebRTC plays at the live edge by itself
  liveEdge() { return NaN; }
}
