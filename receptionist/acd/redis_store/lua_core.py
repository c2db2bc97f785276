"""Lua, part 1: records, events, timers and the agent steps. Mirrors :mod:`receptionist.acd.memory.state`.

Agents and calls touched by a script are loaded once into Lua tables, changed like the Python records, and
written back by ``flush()`` at the end; sorted sets and counters are changed in place. Every operation
checks before it changes anything, so a refused operation writes nothing.
"""

CORE = r"""
-- per-call state, reset by main() at the start of every call
local P, OP, NOW, OUT, QC, AGENTS, CALLS
local TIMERS, ROUTABLE, SEQ, EVENTS
local function key(kind, id) return P .. ':' .. kind .. ':' .. id end

-- (not {err = ...}: Redis turns such tables into plain error strings, even inside pcall)
local function fail(kind, a, b, c) error({acd_error = kind, a = a, b = b, c = c}) end

local NUMERIC = {since = true, idle = true, ready = true, delayed = true, noans = true, login = true,
  rd = true, nd = true, mna = true, prio = true, seq = true, score = true, entered = true, opos = true,
  hops = true, offered = true, expires = true, connected = true, timedout = true}

local function to_table(flat)
  local t = {}
  for i = 1, #flat, 2 do
    local f, v = flat[i], flat[i + 1]
    if v == '' then v = nil elseif NUMERIC[f] then v = tonumber(v) end
    t[f] = v
  end
  return t
end

local function split(s)
  local out = {}
  if s then for part in string.gmatch(s, '[^,]+') do out[#out + 1] = part end end
  return out
end

-- queues: configuration cached per call; counters always read and written in place
local function qconf(id)
  local c = QC[id]
  if c then return c end
  local v = redis.call('HMGET', key('q', id), 'tenant', 'name', 'strategy', 'ring', 'wrap', 'maxwait', 'age',
    'to_a', 'to_q', 'to_d', 'em_a', 'em_q', 'em_d', 'cbq', 'dh')
  if not v[1] then return nil end
  c = {id = id, tenant = v[1], name = v[2], strategy = v[3], ring = tonumber(v[4]), wrap = tonumber(v[5]),
    maxwait = tonumber(v[6]), age = tonumber(v[7]),
    on_timeout = {a = v[8], q = v[9] ~= '' and v[9] or nil, d = tonumber(v[10])},
    on_empty = v[11] ~= '' and {a = v[11], q = v[12] ~= '' and v[12] or nil, d = tonumber(v[13])} or nil,
    cbq = v[14] ~= '' and v[14] or nil, dh = tonumber(v[15])}
  QC[id] = c
  return c
end
local function need_queue(id)
  local q = qconf(id)
  if not q then fail('UnknownQueue', id) end
  return q
end
local function qcount(q, field) return tonumber(redis.call('HGET', key('q', q.id), field) or 0) end
local function qincr(q, field, by) return redis.call('HINCRBY', key('q', q.id), field, by) end

-- agents and calls: loaded once per call, written back by flush()
local function load_agent(id)
  local a = AGENTS[id]
  if a then return a end
  local flat = redis.call('HGETALL', key('a', id))
  if #flat == 0 then return nil end
  a = to_table(flat)
  a.id = id
  AGENTS[id] = a
  return a
end
local function need_agent(id)
  local a = load_agent(id)
  if not a then fail('UnknownAgent', id) end
  return a
end
local function agent_queues(a)
  if not a.qs then
    local flat = redis.call('HGETALL', key('aq', a.id))
    a.qs, a.qorder = {}, {}
    for i = 1, #flat, 2 do
      a.qs[flat[i]] = tonumber(flat[i + 1])
      a.qorder[#a.qorder + 1] = flat[i]
    end
    table.sort(a.qorder)
  end
  return a.qorder
end
local function load_call(id)
  local c = CALLS[id]
  if c then return c end
  local flat = redis.call('HGETALL', key('c', id))
  if #flat == 0 then return nil end
  c = to_table(flat)
  if c.state == 'ended' then return nil end
  c.id = id
  c.ringing = split(c.ringing)
  CALLS[id] = c
  return c
end
local function need_call(id)
  local c = load_call(id)
  if not c then fail('UnknownCall', id) end
  return c
end

local function flush()
  for id, a in pairs(AGENTS) do
    redis.call('HSET', key('a', id), 'state', a.state, 'since', a.since, 'reason', a.reason or '',
      'idle', a.idle or 0, 'ready', a.ready or 0, 'delayed', a.delayed or 0, 'noans', a.noans or 0,
      'call', a.call or '', 'offer', a.offer or '', 'login', a.login or 0, 'wrapq', a.wrapq or '')
  end
  for id, c in pairs(CALLS) do
    local k = key('c', id)
    redis.call('HSET', k, 'tenant', c.tenant, 'queue', c.queue or '', 'kind', c.kind, 'prio', c.prio,
      'attrs', c.attrs or '{}', 'seq', c.seq or 0, 'member', c.member or '', 'score', c.score or 0,
      'entered', c.entered or 0, 'opos', c.opos or 0, 'hops', c.hops or 0, 'state', c.state,
      'result', c.result or '', 'offer', c.offer or '', 'offered', c.offered or 0, 'expires', c.expires or 0,
      'ringing', table.concat(c.ringing, ','), 'agent', c.agent or '', 'connected', c.connected or 0,
      'timedout', c.timedout or 0, 'origin', c.origin or '', 'parent', c.parent or '')
    if c.state == 'ended' then redis.call('EXPIRE', k, ENDED_TTL) end
  end
end

-- events and timers
local function emit(ms, q, kind, call, agent, data)
  OUT[#OUT + 1] = {t = ms, tn = q.tenant, q = q.name, k = kind, c = call, a = agent, d = data or {}}
end
local function agent_event(ms, a, kind, data)
  for _, tenant in ipairs(split(a.tenants)) do
    OUT[#OUT + 1] = {t = ms, tn = tenant, k = kind, a = a.id, d = data}
  end
end
local function set_timer(member, due) redis.call('ZADD', TIMERS, due, member) end
local function clear_timer(member) redis.call('ZREM', TIMERS, member) end

-- agents
local function move(a, action, ms)
  local after = TRANSITIONS[a.state .. '|' .. action]
  if not after then fail('IllegalTransition', a.id, a.state, action) end
  a.state = after
  a.since = ms
end
local function check(a, action)
  if not TRANSITIONS[a.state .. '|' .. action] then fail('IllegalTransition', a.id, a.state, action) end
end

local function score(strategy, qid, agent_id, penalty, idle)
  if strategy == 'skills' then return penalty * PENALTY_WEIGHT + idle end
  if strategy == 'fewest-calls' then return tonumber(redis.call('HGET', key('qn', qid), agent_id) or 0) end
  if strategy == 'rrmemory' then return tonumber(redis.call('HGET', key('qp', qid), agent_id)) end
  return idle
end
local function strategy_of(qid)
  local q = QC[qid]
  if q then return q.strategy end
  return redis.call('HGET', key('q', qid), 'strategy')
end

local function refresh(qid)
  local head = redis.call('ZRANGE', key('qw', qid), 0, 0, 'WITHSCORES')
  if head[1] and redis.call('ZCARD', key('qa', qid)) > 0 then
    redis.call('ZADD', ROUTABLE, head[2], qid)
  else
    redis.call('ZREM', ROUTABLE, qid)
  end
end

-- ROUTABLE: queues with a waiting call (and, unless stale, an available member), by their head call's
-- score; kept exact when calls come and go, cleaned lazily by route() when a queue's last member leaves
local function index_agent(a)
  for _, qid in ipairs(agent_queues(a)) do
    local qa = key('qa', qid)
    redis.call('ZADD', qa, score(strategy_of(qid), qid, a.id, a.qs[qid], a.idle), a.id)
    if redis.call('ZCARD', qa) == 1 then refresh(qid) end  -- the queue may have become routable
  end
end
local function unindex_agent(a)
  for _, qid in ipairs(agent_queues(a)) do redis.call('ZREM', key('qa', qid), a.id) end
end

local function make_available(a, ms, delay)
  if delay > 0 then
    a.delayed = 1
    a.ready = ms + delay
    set_timer('d|' .. a.id, a.ready)
  else
    a.delayed = 0
    a.ready = 0
    index_agent(a)
  end
end

local function wrap_end(a, ms)
  local q = a.wrapq and qconf(a.wrapq)
  if q then emit(ms, q, K.WRAPUP_END, a.call, a.id, {wrap_s = (ms - a.since) / 1000}) end
  clear_timer('w|' .. a.id)
  move(a, 'ready', ms)
  a.call = nil
  a.wrapq = nil
  a.idle = ms
  make_available(a, ms, 0)
end

local function pause_agent(a, ms, reason)
  if a.state == 'wrap_up' then wrap_end(a, ms) end
  if a.state ~= 'paused' then
    for _, qid in ipairs(agent_queues(a)) do qincr(qconf(qid), 'staffed', -1) end
  end
  unindex_agent(a)
  clear_timer('d|' .. a.id)
  a.delayed = 0
  move(a, 'pause', ms)
  a.reason = reason
  agent_event(ms, a, K.PAUSE, {reason = reason})
end

local function finish_agent(a, q, ms, talk)
  local handles = key('qh', q.id)
  redis.call('LPUSH', handles, talk + q.wrap)
  redis.call('LTRIM', handles, 0, RECENT_HANDLES - 1)
  move(a, 'complete', ms)
  a.wrapq = q.id
  if q.wrap > 0 then set_timer('w|' .. a.id, ms + q.wrap) else wrap_end(a, ms) end
end

-- memberships
local function set_member(a, q, pen)
  local old = redis.call('HGET', key('qm', q.id), a.id)
  if old and tonumber(old) == pen then return end
  redis.call('HSET', key('qm', q.id), a.id, pen)
  redis.call('HSET', key('aq', a.id), q.id, pen)
  a.qs = nil
  if not old then
    redis.call('HSET', key('qp', q.id), a.id, qincr(q, 'pos', 1))
    if a.state ~= 'logged_out' then
      qincr(q, 'logged', 1)
      if a.state ~= 'paused' then qincr(q, 'staffed', 1) end
    end
  end
  if a.state == 'available' and a.delayed == 0 then
    redis.call('ZADD', key('qa', q.id), score(q.strategy, q.id, a.id, pen, a.idle), a.id)
    refresh(q.id)
  end
end

local function drop_member(a, q)
  redis.call('HDEL', key('qm', q.id), a.id)
  redis.call('HDEL', key('aq', a.id), q.id)
  redis.call('HDEL', key('qp', q.id), a.id)
  a.qs = nil
  if a.state ~= 'logged_out' then
    qincr(q, 'logged', -1)
    if a.state ~= 'paused' then qincr(q, 'staffed', -1) end
  end
  if redis.call('ZREM', key('qa', q.id), a.id) == 1 then refresh(q.id) end
end
"""
