// 16 kHz 16-bit PCM capture. Loaded twice: as the AudioWorklet module (the processor registers itself)
// and by pcm-audio.js for the Downsampler, which the ScriptProcessor fallback runs on the main thread.

export const RATE = 16000;
export const FRAME = 320; // 20 ms at 16 kHz

// Box-filter decimator from the context's rate to 16 kHz: averaging each window is a crude low-pass,
// enough for speech.
export class Downsampler {
  constructor(inRate, outRate = RATE, frame = FRAME) {
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

if (typeof AudioWorkletProcessor !== "undefined" && typeof registerProcessor === "function") {
  class Capture extends AudioWorkletProcessor {
    constructor() { super(); this.down = new Downsampler(sampleRate); } // eslint-disable-line no-undef
    process(inputs) {
      const ch = inputs[0] && inputs[0][0];
      if (ch) for (const pcm of this.down.push(ch)) this.port.postMessage(pcm.buffer, [pcm.buffer]);
      return true;
    }
  }
  registerProcessor("pcm-capture", Capture);
}
