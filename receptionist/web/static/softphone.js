// The browser softphone: microphone → 16 kHz 16-bit PCM over a WebSocket; PCM back → Web Audio.
// Protocol: see receptionist/telephony/softphone.py. No external scripts.
"use strict";

(() => {
  const RATE = 16000;
  const FRAME = 320; // 20 ms at 16 kHz
  const $ = (id) => document.getElementById(id);
  const els = { business: $("business"), call: $("call"), zero: $("zero"), status: $("status"), transcript: $("transcript") };

  // Box-filter decimator from the context's rate to 16 kHz: averaging each window is a crude low-pass,
  // enough for speech. Shared by the AudioWorklet (its source is copied into the worklet) and the fallback.
  class Downsampler {
    constructor(inRate, outRate, frame) {
      this.ratio = inRate / outRate; this.frame = frame;
      this.pos = 0; this.acc = 0; this.n = 0; this.out = [];
    }
    push(samples) { // Float32Array in [-1, 1]; returns complete Int16Array frames
      const frames = [];
      for (let i = 0; i < samples.length; i++) {
        this.acc += samples[i]; this.n += 1; this.pos += 1;
        if (this.pos >= this.ratio) {
          this.pos -= this.ratio;
          this.out.push(this.acc / this.n); this.acc = 0; this.n = 0;
          if (this.out.length === this.frame) {
            const pcm = new Int16Array(this.frame);
            for (let j = 0; j < this.frame; j++) pcm[j] = Math.max(-1, Math.min(1, this.out[j])) * 0x7fff;
            frames.push(pcm); this.out = [];
          }
        }
      }
      return frames;
    }
  }

  const WORKLET = `${Downsampler.toString()}
class Capture extends AudioWorkletProcessor {
  constructor() { super(); this.down = new Downsampler(sampleRate, ${RATE}, ${FRAME}); }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch) for (const pcm of this.down.push(ch)) this.port.postMessage(pcm.buffer, [pcm.buffer]);
    return true;
  }
}
registerProcessor("capture", Capture);`;

  let ws = null, ctx = null, mic = null, capture = null, playAt = 0;
  const sources = new Set();

  function status(text) { els.status.textContent = text; }

  function say(role, text) {
    const li = document.createElement("li");
    li.className = role;
    li.textContent = (role === "caller" ? "You: " : "Receptionist: ") + text;
    els.transcript.appendChild(li);
    li.scrollIntoView({ block: "nearest" });
  }

  function inCall(active) {
    els.call.classList.toggle("active", active);
    els.call.textContent = active ? "Hang up" : "Call";
    els.call.setAttribute("aria-label", active ? "Hang up" : "Call");
    els.zero.disabled = !active;
    els.business.disabled = active;
  }

  async function loadBusinesses() {
    try {
      const response = await fetch("softphone/businesses");
      const list = await response.json();
      els.business.innerHTML = "";
      for (const b of list) {
        const option = document.createElement("option");
        option.value = b.tenant_id;
        option.textContent = b.numbers.length ? `${b.name} (${b.numbers[0]})` : b.name;
        els.business.appendChild(option);
      }
      els.call.disabled = list.length === 0;
      status(list.length ? "Choose a business and press Call." : "No businesses to call.");
    } catch (err) {
      status("Could not load the list of businesses.");
    }
  }

  function play(buffer) {
    const pcm = new Int16Array(buffer);
    if (!ctx || pcm.length === 0) return;
    const audio = ctx.createBuffer(1, pcm.length, RATE);
    const data = audio.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
    const source = ctx.createBufferSource();
    source.buffer = audio;
    source.connect(ctx.destination);
    playAt = Math.max(playAt, ctx.currentTime + 0.05);
    source.start(playAt);
    playAt += audio.duration;
    sources.add(source);
    source.onended = () => sources.delete(source);
  }

  function stopPlayback() { // barge-in: drop everything scheduled
    for (const source of sources) { try { source.stop(); } catch (e) { /* already stopped */ } }
    sources.clear();
    playAt = 0;
  }

  function send(data) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(data); }

  async function startMic() {
    mic = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    const input = ctx.createMediaStreamSource(mic);
    if (ctx.audioWorklet) {
      const url = URL.createObjectURL(new Blob([WORKLET], { type: "application/javascript" }));
      await ctx.audioWorklet.addModule(url);
      capture = new AudioWorkletNode(ctx, "capture");
      capture.port.onmessage = (event) => send(event.data);
    } else { // older browsers: ScriptProcessor on the main thread
      const down = new Downsampler(ctx.sampleRate, RATE, FRAME);
      capture = ctx.createScriptProcessor(2048, 1, 1);
      capture.onaudioprocess = (event) => {
        for (const pcm of down.push(event.inputBuffer.getChannelData(0))) send(pcm.buffer);
      };
    }
    const mute = ctx.createGain();
    mute.gain.value = 0; // keep the graph pulling audio without playing the microphone back
    input.connect(capture);
    capture.connect(mute);
    mute.connect(ctx.destination);
  }

  function stopMic() {
    if (mic) mic.getTracks().forEach((t) => t.stop());
    if (capture) capture.disconnect();
    mic = null; capture = null;
  }

  function onMessage(event) {
    if (typeof event.data !== "string") { play(event.data); return; }
    let msg;
    try { msg = JSON.parse(event.data); } catch (e) { return; }
    if (msg.type === "started") status(`Connected to ${msg.business}. Speak when you are ready.`);
    else if (msg.type === "clear") stopPlayback();
    else if (msg.type === "transcript") say(msg.role, msg.text);
    else if (msg.type === "busy") status(msg.message);
    else if (msg.type === "error") console.warn("softphone:", msg.message);
    else if (msg.type === "ended") status(`Call ended (${(msg.outcome || "ended").replace("_", " ")}).`);
  }

  async function call() {
    els.call.disabled = true;
    status("Calling…");
    try {
      const response = await fetch("softphone/token", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ tenant_id: els.business.value }),
      });
      const body = await response.json();
      if (!response.ok) { status(body.message || "The call could not be placed."); return; }
      ctx = new (window.AudioContext || window.webkitAudioContext)();
      await ctx.resume();
      await startMic();
      ws = new WebSocket(body.ws_url);
      ws.binaryType = "arraybuffer";
      ws.onmessage = onMessage;
      ws.onopen = () => { inCall(true); status(`Ringing ${body.name}…`); };
      ws.onclose = (event) => {
        stopMic();
        inCall(false);
        if (event.code !== 1000 && event.reason) status(`Call ended: ${event.reason}.`);
        ws = null;
      };
    } catch (err) {
      stopMic();
      inCall(false);
      status(err && err.name === "NotAllowedError" ? "Microphone access was refused." : "The call failed.");
    } finally {
      els.call.disabled = false;
    }
  }

  els.call.addEventListener("click", () => {
    if (ws) { send(JSON.stringify({ type: "hangup" })); status("Hanging up…"); } else call();
  });
  els.zero.addEventListener("click", () => send(JSON.stringify({ type: "dtmf", digit: "0" })));
  loadBusinesses();
})();
