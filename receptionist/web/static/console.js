// The agent console. Everything live arrives by push on /api/agent/ws (the session cookie signs it in):
// hello, state, queue, offer, offer_ended, connected, call_ended, caller_said, error. Actions are POSTs to
// the agent API with the X-CSRF-Token header; the call's audio is 16 kHz PCM on
// /api/agent/calls/{call_id}/audio (binary both ways; {"type": "agent_said"} with the agent's own words as
// transcribed, and {"type": "ended"}, from the server).
import { MICROPHONE, PcmPlayer, microphoneProblem, newAudioContext, startCapture } from "/static/pcm-audio.js";

const $ = (id) => document.getElementById(id);
const root = $("console");
const tenantNames = JSON.parse(root.dataset.tenants || "{}");
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const wsBase = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;

const STATES = {
  logged_out: "logged out of the queues", available: "ready for calls", offered: "being offered a call",
  on_call: "on a call", wrap_up: "wrapping up", paused: "paused",
};
const OFFER_ENDS = {
  no_answer: "The call was not answered in time and went to the next agent.",
  declined: "You declined the call.", answered_elsewhere: "Another agent took the call.",
  caller_left: "The caller hung up.", abandoned: "The caller hung up.",
};

let socket = null, retryMs = 1000, pingTimer = null;
let agent = null, offer = null, callId = null, notesCallId = null, countdownTimer = null;
const queues = new Map();
const audio = { ctx: null, player: null, stopCapture: null, socket: null, muted: false };

// -- helpers ----------------------------------------------------------------------------------------

function announce(text) { $("announcer").textContent = text; }
function statusError(text) { $("status-error").textContent = text || ""; }
function words(value) { return String(value || "").replaceAll("_", " "); }
function tenantName(id) { return tenantNames[id] || id; }

async function api(path, body) {
  const response = await fetch(`/api/agent${path}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body || {}),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (data.error && data.error.message) || `request failed (${response.status})`;
    throw Object.assign(new Error(message), { status: response.status, code: data.error && data.error.code });
  }
  return data;
}

function turn(list, role, text, label) {
  const li = document.createElement("li");
  li.className = `turn ${role}`;
  const who = document.createElement("span");
  who.className = "speaker";
  who.textContent = label;
  const p = document.createElement("p");
  p.textContent = text;
  li.append(who, p);
  list.appendChild(li);
  li.scrollIntoView({ block: "nearest" });
}

// -- the agent's state ------------------------------------------------------------------------------

function setAgent(next) {
  agent = next;
  $("agent-state").textContent = STATES[next.state] + (next.state === "paused" && next.pause_reason ? ` (${next.pause_reason})` : "");
  root.dataset.state = next.state;
  $("ready").disabled = next.state === "available" || next.state === "offered" || next.state === "on_call";
  $("queue-logout").disabled = next.state === "logged_out" || next.state === "offered" || next.state === "on_call";
  document.querySelector('#pause-form button').disabled = next.state === "offered" || next.state === "on_call";
  if (next.offer && (!offer || offer.offer_id !== next.offer.offer_id)) showOffer(next.offer);
  else if (!next.offer && offer && next.state !== "offered") hideOffer();
  if (next.state === "on_call" && next.call_id && callId !== next.call_id) showCall(next.call_id);
}

async function act(path, body) {
  statusError("");
  try { setAgent(await api(path, body)); } catch (err) { statusError(err.message); }
}

// -- queues -----------------------------------------------------------------------------------------

function setQueue(q) {
  queues.set(`${q.tenant_id}/${q.queue}`, q);
  const rows = [...queues.values()].sort((a, b) => `${a.tenant_id}/${a.queue}`.localeCompare(`${b.tenant_id}/${b.queue}`));
  const body = $("queue-rows");
  body.replaceChildren(...rows.map((row) => {
    const tr = document.createElement("tr");
    tr.dataset.testid = "queue-row";
    tr.dataset.queue = `${row.tenant_id}/${row.queue}`;
    for (const [label, value] of [["Business", tenantName(row.tenant_id)], ["Queue", words(row.queue)],
      ["Waiting", row.waiting], ["Available", row.available], ["Logged in", row.logged_in]]) {
      const td = document.createElement("td");
      td.dataset.label = label;
      td.textContent = value;
      tr.appendChild(td);
    }
    if (row.waiting > 0) tr.classList.add("busy");
    return tr;
  }));
  $("queues-empty").hidden = rows.length > 0;
}

// -- offers -----------------------------------------------------------------------------------------

function showOffer(next) {
  offer = next;
  const b = next.briefing || {};
  $("briefing-business").textContent = b.tenant_name || tenantName(next.tenant_id);
  $("briefing-caller").textContent = [b.caller_name, b.caller_number].filter(Boolean).join(", ") || "unknown";
  $("briefing-concern").textContent = words(b.concern) || words(next.queue);
  $("briefing-reason").textContent = b.reason || next.reason || "–";
  $("briefing-summary").textContent = b.summary || "No summary.";
  const list = $("briefing-transcript");
  list.replaceChildren();
  for (const t of b.transcript || []) turn(list, t.role, t.text, t.role === "caller" ? "Caller" : "Receptionist");
  $("offer-accept").disabled = false;
  $("offer-decline").disabled = false;
  $("offer-panel").hidden = false;
  startCountdown(next.expires_at);
  announce(`Incoming call for ${$("briefing-business").textContent}: ${$("briefing-concern").textContent}.`);
  $("offer-accept").focus();
}

function hideOffer(reason) {
  offer = null;
  clearInterval(countdownTimer);
  $("offer-panel").hidden = true;
  if (reason) announce(reason);
}

function startCountdown(expiresAt) {
  clearInterval(countdownTimer);
  const el = $("offer-countdown");
  const end = expiresAt ? Date.parse(expiresAt) : NaN;
  if (Number.isNaN(end)) { el.textContent = "–"; return; }
  const tick = () => {
    const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    el.textContent = `${left} s`;
    if (left === 0) clearInterval(countdownTimer);
  };
  tick();
  countdownTimer = setInterval(tick, 250);
}

async function accept() {
  if (!offer) return;
  const taking = offer;
  $("offer-accept").disabled = true;
  $("offer-decline").disabled = true;
  prepareAudio(); // in the click: browsers start audio only after a gesture
  try {
    const next = await api(`/offers/${encodeURIComponent(taking.offer_id)}/accept`);
    hideOffer();
    showCall(taking.call_id, $("briefing-business").textContent);
    setAgent(next);
    startAudio(taking.call_id);
  } catch (err) {
    stopAudio();
    hideOffer(err.status === 409 || err.status === 404 ? "The call is no longer offered to you." : "");
    statusError(err.message);
  }
}

async function decline() {
  if (!offer) return;
  const id = offer.offer_id;
  $("offer-accept").disabled = true;
  $("offer-decline").disabled = true;
  try { setAgent(await api(`/offers/${encodeURIComponent(id)}/decline`)); hideOffer("Declined."); }
  catch (err) { hideOffer(); statusError(err.message); }
}

// -- the call ---------------------------------------------------------------------------------------

function showCall(id, business) {
  if (business) $("call-with").textContent = `for ${business}`;
  if (callId === id) return;
  if (!business) $("call-with").textContent = "";
  callId = id;
  notesCallId = id;
  $("transcript").replaceChildren();
  $("saved-notes").replaceChildren();
  $("wrapup-status").textContent = "";
  $("call-panel").hidden = false;
  $("wrapup-panel").hidden = false;
  $("hangup").disabled = false;
  $("say-text").disabled = false;
  if (!audio.socket) {
    $("audio-status").textContent = "Audio is off.";
    $("mic-toggle").textContent = "Start audio";
  }
  announce("You are connected to the caller.");
}

function endCall(by) {
  if (!callId) return;
  stopAudio();
  callId = null;
  $("hangup").disabled = true;
  $("say-text").disabled = true;
  $("call-panel").hidden = true;
  $("audio-status").textContent = "Audio is off.";
  announce(by === "caller" ? "The caller hung up. Add your notes." : "The call has ended. Add your notes.");
  $("wrapup-notes").focus();
}

async function hangUp() {
  if (!callId) return;
  $("hangup").disabled = true;
  try { setAgent(await api(`/calls/${encodeURIComponent(callId)}/complete`)); endCall("agent"); }
  catch (err) { $("hangup").disabled = false; statusError(err.message); }
}

function sayText(event) {
  event.preventDefault();
  const input = $("say-text");
  const text = input.value.trim();
  if (!text || !callId || !socket || socket.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ type: "say", call_id: callId, text }));
  turn($("transcript"), "agent", text, "You");
  input.value = "";
}

async function saveNotes(event) {
  event.preventDefault();
  const text = $("wrapup-notes").value.trim();
  if (!text || !notesCallId) { $("wrapup-status").textContent = "Write a note first."; return; }
  const button = document.querySelector('[data-testid="wrapup-save"]');
  button.disabled = true;
  try {
    await api(`/calls/${encodeURIComponent(notesCallId)}/notes`, { text });
    const li = document.createElement("li");
    li.textContent = text;
    $("saved-notes").appendChild(li);
    $("wrapup-notes").value = "";
    $("wrapup-status").textContent = "Notes saved.";
  } catch (err) {
    $("wrapup-status").textContent = `Not saved: ${err.message}`;
  } finally {
    button.disabled = false;
  }
}

async function readyForNext() {
  await act("/ready");
  if (!callId) { $("wrapup-panel").hidden = true; notesCallId = null; }
}

// -- audio ------------------------------------------------------------------------------------------

function prepareAudio() {
  if (!audio.ctx) { audio.ctx = newAudioContext(); audio.player = new PcmPlayer(audio.ctx); }
}

async function startAudio(id) {
  prepareAudio();
  const status = $("audio-status");
  status.textContent = "Connecting audio…";
  const ws = new WebSocket(`${wsBase}/api/agent/calls/${encodeURIComponent(id)}/audio`);
  ws.binaryType = "arraybuffer";
  audio.socket = ws;
  ws.onmessage = (event) => {
    if (typeof event.data !== "string") { if (audio.player) audio.player.play(event.data); return; }
    let msg;
    try { msg = JSON.parse(event.data); } catch (e) { return; }
    if (msg.type === "ended") stopAudio("The caller's audio has ended.");
    if (msg.type === "agent_said" && callId === id) turn($("transcript"), "agent", msg.text, "You");
  };
  ws.onclose = () => { if (audio.socket === ws) stopAudio(callId ? "Audio disconnected. Type to the caller instead." : ""); };
  ws.onopen = async () => {
    status.textContent = "Audio connected: you hear the caller.";
    $("mic-toggle").textContent = "Mute microphone";
    try {
      const mic = await navigator.mediaDevices.getUserMedia(MICROPHONE);
      if (audio.socket !== ws) { mic.getTracks().forEach((t) => t.stop()); return; }
      audio.stopCapture = await startCapture(audio.ctx, mic, (frame) => {
        if (!audio.muted && ws.readyState === WebSocket.OPEN) ws.send(frame);
      });
      status.textContent = "Audio connected: the caller hears you.";
    } catch (err) {
      status.textContent = `${microphoneProblem(err)} You hear the caller; type to answer.`;
    }
  };
}

function stopAudio(message) {
  const ws = audio.socket;
  audio.socket = null;
  if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
  if (audio.stopCapture) audio.stopCapture();
  if (audio.player) audio.player.clear();
  if (audio.ctx) audio.ctx.close();
  Object.assign(audio, { ctx: null, player: null, stopCapture: null, muted: false });
  $("mic-toggle").setAttribute("aria-pressed", "false");
  $("mic-toggle").textContent = callId ? "Start audio" : "Mute microphone";
  if (message !== undefined) $("audio-status").textContent = message || "Audio is off.";
}

function toggleMic() {
  if (!audio.socket) { if (callId) startAudio(callId); return; }
  audio.muted = !audio.muted;
  $("mic-toggle").setAttribute("aria-pressed", String(audio.muted));
  $("audio-status").textContent = audio.muted ? "Your microphone is muted." : "Audio connected: the caller hears you.";
}

// -- the push socket --------------------------------------------------------------------------------

function onPush(msg) {
  switch (msg.type) {
    case "hello":
      queues.clear();
      for (const q of msg.queues || []) setQueue(q);
      setAgent(msg.agent);
      break;
    case "state": setAgent(msg.agent); break;
    case "queue": setQueue(msg.queue); break;
    case "offer": showOffer(msg.offer); break;
    case "offer_ended":
      if (offer && offer.offer_id === msg.offer_id) hideOffer(OFFER_ENDS[msg.reason] || "The offer has ended.");
      break;
    case "connected":
      showCall(msg.call_id, offer && offer.call_id === msg.call_id ? $("briefing-business").textContent : "");
      break;
    case "call_ended": if (callId === msg.call_id) endCall(msg.by); break;
    case "caller_said": if (callId === msg.call_id) turn($("transcript"), "caller", msg.text, "Caller"); break;
    case "error": statusError(msg.error && msg.error.message); break;
    default: break;
  }
}

function connect() {
  const ws = new WebSocket(`${wsBase}/api/agent/ws`);
  socket = ws;
  ws.onopen = () => {
    retryMs = 1000;
    $("connection").textContent = "Connected: calls arrive here as they are offered.";
    clearInterval(pingTimer);
    pingTimer = setInterval(() => { if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}'); }, 25000);
  };
  ws.onmessage = (event) => {
    let msg;
    try { msg = JSON.parse(event.data); } catch (e) { return; }
    onPush(msg);
  };
  ws.onclose = (event) => {
    clearInterval(pingTimer);
    if (event.code === 1008) {
      $("connection").textContent = "Your session has ended. Sign in again to take calls.";
      return;
    }
    $("connection").textContent = `Disconnected; reconnecting in ${Math.round(retryMs / 1000)} s…`;
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 30000);
  };
}

$("ready").addEventListener("click", () => act("/ready"));
$("queue-logout").addEventListener("click", () => act("/logout"));
$("pause-form").addEventListener("submit", (event) => { event.preventDefault(); act("/pause", { reason: $("pause-reason").value }); });
$("offer-accept").addEventListener("click", accept);
$("offer-decline").addEventListener("click", decline);
$("hangup").addEventListener("click", hangUp);
$("mic-toggle").addEventListener("click", toggleMic);
$("say-form").addEventListener("submit", sayText);
$("wrapup-form").addEventListener("submit", saveNotes);
$("wrapup-ready").addEventListener("click", readyForNext);
connect();
