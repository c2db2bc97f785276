"""Lua, part 2: calls in queues, routing, and the call operations. Mirrors :mod:`receptionist.acd.memory.calls`."""

CALLS = r"""
local function position_of(c) return redis.call('ZRANK', key('qc', c.queue), c.member) + 1 end

local function label(ov) if ov.a == 'queue' then return 'queue:' .. ov.q end return ov.a end

local exit_queue

local function enter(c, q, ms, source)
  local seq = redis.call('INCR', SEQ)
  c.queue = q.id
  c.seq = seq
  c.member = string.format('%015d|%s', seq, c.id)
  local arrival = math.max(ms, tonumber(redis.call('HGET', key('q', q.id), 'last') or 0))
  redis.call('HSET', key('q', q.id), 'last', arrival)
  c.score = arrival - c.prio * q.age
  c.entered = ms
  c.state = 'waiting'
  c.result = nil
  c.timedout = 0
  c.offer = nil
  c.ringing = {}
  c.agent = nil
  CALLS[c.id] = c
  redis.call('ZADD', key('qc', q.id), c.score, c.member)
  local position = position_of(c)
  c.opos = position
  local data = {position = position, priority = c.prio, kind = c.kind}
  if source then data['from'] = source end
  if c.parent then data.callback_for = c.parent end
  emit(ms, q, K.ENTER, c.id, nil, data)
  if c.kind == 'call' and q.on_empty and qcount(q, 'logged') == 0 then
    exit_queue(c, q, ms, K.EXIT_EMPTY, q.on_empty)
    return
  end
  redis.call('ZADD', key('qw', q.id), c.score, c.member)
  if c.kind == 'call' and q.maxwait >= 0 then set_timer('m|' .. c.id, ms + q.maxwait) end
  refresh(q.id)
end

local function leave_queue(c, q)
  redis.call('ZREM', key('qw', q.id), c.member)
  redis.call('ZREM', key('qc', q.id), c.member)
  clear_timer('r|' .. c.id)
  clear_timer('m|' .. c.id)
  refresh(q.id)
end

local function end_call(c, result)
  c.state = 'ended'
  c.result = result
end

local function live(call_id)
  local state = redis.call('HGET', key('c', call_id), 'state')
  return state and state ~= 'ended'
end

local function overflow(c, q, ms, ov)
  if ov.a == 'queue' then
    local target = qconf(c.tenant .. '/' .. ov.q)
    if target and c.hops < MAX_OVERFLOW_HOPS then
      emit(ms, q, K.OVERFLOW, c.id, nil, {to = label(ov)})
      c.hops = c.hops + 1
      enter(c, target, ms, q.name)
      return
    end
    ov = {a = 'message', d = 0}
  end
  if ov.a == 'message' then
    emit(ms, q, K.OVERFLOW, c.id, nil, {to = label(ov)})
    end_call(c, 'message')
    return
  end
  local task_id = c.id .. '-cb'
  if live(task_id) then task_id = task_id .. redis.call('GET', SEQ) end
  emit(ms, q, K.OVERFLOW, c.id, nil, {to = label(ov), task = task_id})
  end_call(c, 'callback')
  local target = qconf(c.tenant .. '/' .. (ov.q or q.cbq or q.name)) or q
  redis.call('DEL', key('c', task_id))
  local task = {id = task_id, tenant = c.tenant, kind = 'callback', prio = c.prio, attrs = c.attrs,
    origin = q.name, parent = c.id, hops = 0, ringing = {}}
  if ov.d > 0 then
    task.state = 'scheduled'
    task.queue = target.id
    task.entered = ms + ov.d
    CALLS[task_id] = task
    set_timer('s|' .. task_id, ms + ov.d)
  else
    enter(task, target, ms, q.name)
  end
end

exit_queue = function(c, q, ms, kind, ov)
  local position = position_of(c)
  leave_queue(c, q)
  emit(ms, q, kind, c.id, nil, {position = position, wait_s = (ms - c.entered) / 1000, overflow = label(ov)})
  overflow(c, q, ms, ov)
end

local function empty_out(q, ms)
  if not q.on_empty or qcount(q, 'logged') > 0 then return end
  for _, member in ipairs(redis.call('ZRANGE', key('qc', q.id), 0, -1)) do
    local c = load_call(string.sub(member, 17))
    if c.kind == 'call' and c.state == 'waiting' then exit_queue(c, q, ms, K.EXIT_EMPTY, q.on_empty) end
  end
end

local function withdraw(c, q, ms, reason, keep)
  for _, agent_id in ipairs(c.ringing) do
    if agent_id ~= keep then
      local a = load_agent(agent_id)
      emit(ms, q, K.WITHDRAW, c.id, agent_id, {offer_id = c.offer, reason = reason})
      move(a, 'withdraw', ms)
      a.call = nil
      a.offer = nil
      make_available(a, ms, 0)
    end
  end
  c.ringing = {}
end

local function offer_failed(c, q, ms)
  c.offer = nil
  clear_timer('r|' .. c.id)
  if c.timedout == 1 then
    exit_queue(c, q, ms, K.EXIT_TIMEOUT, q.on_timeout)
    return
  end
  c.state = 'waiting'
  redis.call('ZADD', key('qw', q.id), c.score, c.member)
  refresh(q.id)
end

-- routing
local function choose(q)
  local qa = key('qa', q.id)
  if q.strategy == 'ring-all' then return redis.call('ZRANGE', qa, 0, -1) end
  if q.strategy == 'rrmemory' then
    local last = redis.call('HGET', key('q', q.id), 'rr') or '0'
    local pick = redis.call('ZRANGEBYSCORE', qa, '(' .. last, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
    if not pick[1] then pick = redis.call('ZRANGE', qa, 0, 0, 'WITHSCORES') end
    redis.call('HSET', key('q', q.id), 'rr', pick[2])
    return {pick[1]}
  end
  return redis.call('ZRANGE', qa, 0, 0)
end

local function route(ms, qid)
  if qid == '' then
    while true do
      local top = redis.call('ZRANGE', ROUTABLE, 0, 0)
      if not top[1] then return nil end
      qid = top[1]
      if redis.call('ZCARD', key('qa', qid)) > 0 then break end
      redis.call('ZREM', ROUTABLE, qid)  -- its last available member left since
    end
  else
    need_queue(qid)
    if redis.call('ZCARD', key('qw', qid)) == 0 or redis.call('ZCARD', key('qa', qid)) == 0 then return nil end
  end
  local q = qconf(qid)
  local head = redis.call('ZRANGE', key('qw', qid), 0, 0)[1]
  local c = load_call(string.sub(head, 17))
  local agents = choose(q)
  local offer = 'o' .. redis.call('INCR', SEQ)
  redis.call('ZREM', key('qw', qid), c.member)
  c.state = 'offered'
  c.offer = offer
  c.offered = ms
  c.expires = ms + q.ring
  c.ringing = agents
  for _, agent_id in ipairs(agents) do
    local a = load_agent(agent_id)
    move(a, 'offer', ms)
    a.call = c.id
    a.offer = offer
    unindex_agent(a)
    emit(ms, q, K.OFFER, c.id, agent_id, {offer_id = offer})
  end
  set_timer('r|' .. c.id, c.expires)
  refresh(qid)
  return {id = offer, call = c.id, queue = qid, kind = c.kind, prio = c.prio, agents = agents, at = ms,
    exp = c.expires}
end

-- offers
local function open_offer(a, offer_id, ms)
  if a.state ~= 'offered' or a.offer ~= offer_id or not a.call then fail('StaleOffer', a.id, offer_id, 'not open') end
  local c = load_call(a.call)
  if ms >= c.expires then fail('StaleOffer', a.id, offer_id, 'expired') end
  return c, qconf(c.queue)
end

local function accept(a, offer_id, ms)
  local c, q = open_offer(a, offer_id, ms)
  move(a, 'accept', ms)
  a.noans = 0
  a.offer = nil
  redis.call('HINCRBY', key('qn', q.id), a.id, 1)
  leave_queue(c, q)
  c.state = 'connected'
  c.result = 'connected'
  c.agent = a.id
  c.connected = ms
  emit(ms, q, K.CONNECT, c.id, a.id,
    {wait_s = (ms - c.entered) / 1000, ring_s = (ms - c.offered) / 1000, offer_id = offer_id})
  withdraw(c, q, ms, 'answered_elsewhere', a.id)
  c.offer = nil
end

local function decline(a, offer_id, ms)
  local c, q = open_offer(a, offer_id, ms)
  emit(ms, q, K.DECLINE, c.id, a.id, {offer_id = offer_id, ring_s = (ms - c.offered) / 1000})
  move(a, 'decline', ms)
  a.call = nil
  a.offer = nil
  local rest = {}
  for _, agent_id in ipairs(c.ringing) do if agent_id ~= a.id then rest[#rest + 1] = agent_id end end
  c.ringing = rest
  make_available(a, ms, a.rd)
  if #rest == 0 then offer_failed(c, q, ms) end
end

-- call operations
local function abandon(c, ms)
  if c.state == 'connected' then fail('IllegalCallState', c.id, c.state, 'abandon') end
  local q = qconf(c.queue)
  local data
  if c.state == 'scheduled' then
    clear_timer('s|' .. c.id)
    data = {position = 0, original_position = 0, wait_s = 0}
  else
    local position = position_of(c)
    leave_queue(c, q)
    withdraw(c, q, ms, 'abandoned')
    data = {position = position, original_position = c.opos, wait_s = (ms - c.entered) / 1000}
  end
  emit(ms, q, K.ABANDON, c.id, nil, data)
  end_call(c, 'abandoned')
end

local function leave(c, choice, ms)
  if c.kind ~= 'call' or (c.state ~= 'waiting' and c.state ~= 'offered') then
    fail('IllegalCallState', c.id, c.state, 'leave for a ' .. choice)
  end
  local q = qconf(c.queue)
  local position = position_of(c)
  leave_queue(c, q)
  withdraw(c, q, ms, 'caller_left')
  emit(ms, q, K.EXIT_CALLER, c.id, nil, {choice = choice, position = position, wait_s = (ms - c.entered) / 1000})
  if choice == 'message' then overflow(c, q, ms, {a = 'message', d = 0})
  else overflow(c, q, ms, {a = 'callback', q = q.cbq, d = 0}) end
end

local function connected(c, action)
  if c.state ~= 'connected' or not c.agent then fail('IllegalCallState', c.id, c.state, action) end
  return qconf(c.queue), load_agent(c.agent)
end

local function complete(c, by, ms)
  local q, a = connected(c, 'complete')
  local kind = by == 'caller' and K.COMPLETE_CALLER or K.COMPLETE_AGENT
  local talk = ms - c.connected
  emit(ms, q, kind, c.id, a.id, {wait_s = (c.connected - c.entered) / 1000, talk_s = talk / 1000})
  end_call(c, 'connected')
  finish_agent(a, q, ms, talk)
end

local function transfer(c, to, ms)
  local q, a = connected(c, 'transfer')
  local target = need_queue(c.tenant .. '/' .. to)
  local talk = ms - c.connected
  emit(ms, q, K.TRANSFER, c.id, a.id, {to = to, wait_s = (c.connected - c.entered) / 1000, talk_s = talk / 1000})
  finish_agent(a, q, ms, talk)
  enter(c, target, ms, q.name)
end
"""
