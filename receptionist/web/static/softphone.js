// The browser softphone: microphone → 16 kHz 16-bit PCM over a WebSocket; PCM back → the speaker.
// Protocol: see receptionist/telephony/softphone.py. Audio: pcm-audio.js. No external scripts.
import { MICROPHONE, PcmPlayer, microphoneProblem, newAudioContext, startCapture } from "/static/pcm-audio.js";

const $ = (id) => document.getElementById(id);
const els = { business: $("business"), call: $("call"), zero: $("zero"), status: $("status"), transcript: $("transcript") };

let ws = null, ctx = null, player = null, stopCapture = null;

function status(text) { els.status.textContent = text; }

function say(role, text) {
  const li = document.createElement("li");
  const kind = role === "caller" || role === "agent" ? role : "receptionist";
  li.className = `turn ${kind}`;
  const who = document.createElement("span");
  who.className = "speaker";
  who.textContent = { caller: "You", agent: "Agent" }[kind] || "Receptionist";
  const p = document.createElement("p");
  p.textContent = text;
  li.append(who, p);
  els.transcript.appendChild(li);
  li.scrollIntoView({ block: "nearest" });
}

function inCall(active) {
  els.call.classList.toggle("danger", active);
  els.call.classList.toggle("success", !active);
  els.call.textContent = active ? "Hang up" : "Call";
  els.zero.disabled = !active;
  els.business.disabled = active;
}

async function loadBusinesses() {
  try {
    const response = await fetch("softphone/businesses");
    const list = await response.json();
    els.business.replaceChildren();
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

function send(data) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(data); }

function stopAudio() {
  if (stopCapture) stopCapture();
  if (player) player.clear();
  if (ctx) ctx.close();
  stopCapture = null; player = null; ctx = null;
}

function onMessage(event) {
  if (typeof event.data !== "string") { if (player) player.play(event.data); return; }
  let msg;
  try { msg = JSON.parse(event.data); } catch (e) { return; }
  if (msg.type === "started") status(`Connected to ${msg.business}. Speak when you are ready.`);
  else if (msg.type === "clear") { if (player) player.clear(); }
  else if (msg.type === "transcript") say(msg.role, msg.text);
  else if (msg.type === "busy") status(msg.message);
  else if (msg.type === "error") console.warn("softphone:", msg.message);
  else if (msg.type === "ended") status(`Call ended (${(msg.outcome || "ended").replaceAll("_", " ")}).`);
}

async function call() {
  els.call.disabled = true;
  status("Calling…");
  ctx = newAudioContext(); // in the click: browsers start audio only after a gesture
  player = new PcmPlayer(ctx);
  let stage = "token";
  try {
    const response = await fetch("softphone/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ tenant_id: els.business.value }),
    });
    const body = await response.json();
    if (!response.ok) {
      stopAudio();
      status((body.error && body.error.message) || body.message || "The call could not be placed.");
      return;
    }
    stage = "microphone";
    const mic = await navigator.mediaDevices.getUserMedia(MICROPHONE);
    stopCapture = await startCapture(ctx, mic, send);
    stage = "call";
    ws = new WebSocket(body.ws_url);
    ws.binaryType = "arraybuffer";
    ws.onmessage = onMessage;
    ws.onopen = () => { inCall(true); status(`Ringing ${body.name}…`); };
    ws.onclose = (event) => {
      stopAudio();
      inCall(false);
      if (event.code !== 1000 && event.reason) status(`Call ended: ${event.reason}.`);
      ws = null;
    };
  } catch (err) {
    stopAudio();
    inCall(false);
    status(stage === "microphone" ? microphoneProblem(err) : "The call failed.");
  } finally {
    els.call.disabled = false;
  }
}

els.call.addEventListener("click", () => {
  if (ws) { send(JSON.stringify({ type: "hangup" })); status("Hanging up…"); } else call();
});
els.zero.addEventListener("click", () => send(JSON.stringify({ type: "dtmf", digit: "0" })));
loadBusinesses();
