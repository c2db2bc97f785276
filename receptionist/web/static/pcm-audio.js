// Microphone → 16 kHz 16-bit little-endian mono PCM frames, and PCM frames → the speaker.
// Shared by the softphone (caller side) and the agent console (agent side).
import { Downsampler, FRAME, RATE } from "./pcm-worklet.js";

export { FRAME, RATE };

export const MICROPHONE = {
  audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
};

// Create (and resume) the audio context inside a click handler: browsers only start audio after a gesture.
export function newAudioContext() {
  const ctx = new (window.AudioContext || window.webkitAudioContext)();
  ctx.resume();
  return ctx;
}

// Turns a microphone stream into PCM frames, each an ArrayBuffer of FRAME samples, passed to onFrame.
// Returns a stop() function. Uses an AudioWorklet, or a ScriptProcessor in browsers without one.
export async function startCapture(ctx, stream, onFrame) {
  const input = ctx.createMediaStreamSource(stream);
  let node;
  if (ctx.audioWorklet) {
    await ctx.audioWorklet.addModule(new URL("./pcm-worklet.js", import.meta.url));
    node = new AudioWorkletNode(ctx, "pcm-capture");
    node.port.onmessage = (event) => onFrame(event.data);
  } else {
    const down = new Downsampler(ctx.sampleRate, RATE, FRAME);
    node = ctx.createScriptProcessor(2048, 1, 1);
    node.onaudioprocess = (event) => {
      for (const pcm of down.push(event.inputBuffer.getChannelData(0))) onFrame(pcm.buffer);
    };
  }
  const mute = ctx.createGain();
  mute.gain.value = 0; // keep the graph pulling audio without playing the microphone back
  input.connect(node);
  node.connect(mute);
  mute.connect(ctx.destination);
  return () => {
    stream.getTracks().forEach((t) => t.stop());
    input.disconnect();
    node.disconnect();
    mute.disconnect();
  };
}

// Plays PCM frames back to back (a small lead absorbs network jitter); clear() drops what is scheduled.
export class PcmPlayer {
  constructor(ctx) { this.ctx = ctx; this.playAt = 0; this.sources = new Set(); }

  play(buffer) {
    const pcm = new Int16Array(buffer);
    if (pcm.length === 0) return;
    const audio = this.ctx.createBuffer(1, pcm.length, RATE);
    const data = audio.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
    const source = this.ctx.createBufferSource();
    source.buffer = audio;
    source.connect(this.ctx.destination);
    this.playAt = Math.max(this.playAt, this.ctx.currentTime + 0.05);
    source.start(this.playAt);
    this.playAt += audio.duration;
    this.sources.add(source);
    source.onended = () => this.sources.delete(source);
  }

  clear() {
    for (const source of this.sources) { try { source.stop(); } catch (e) { /* already stopped */ } }
    this.sources.clear();
    this.playAt = 0;
  }
}

export function microphoneProblem(err) {
  if (err && err.name === "NotAllowedError") return "Microphone access was refused.";
  if (err && err.name === "NotFoundError") return "No microphone was found.";
  return "The microphone could not be started.";
}
