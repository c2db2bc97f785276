"""Lua, part 3: agent operations, timers, configuration, reads, and the dispatcher.

Mirrors :mod:`receptionist.acd.memory.agents` and :mod:`receptionist.acd.memory.timers`.
"""

OPS = r"""
-- agents
local function login(a, ms)
  move(a, 'login', ms)
  a.login = ms
  a.idle = ms
  a.noans = 0
  a.reason = nil
  for _, qid in ipairs(agent_queues(a)) do
    local q = qconf(qid)
    qincr(q, 'logged', 1)
    qincr(q, 'staffed', 1)
  end
  agent_event(ms, a, K.LOGIN, {})
  make_available(a, ms, 0)
end

local function logoff(a, ms)
  check(a, 'logoff')
  if a.state == 'wrap_up' then wrap_end(a, ms) end
  local staffed = a.state ~= 'paused'
  unindex_agent(a)
  clear_timer('d|' .. a.id)
  a.delayed = 0
  for _, qid in ipairs(agent_queues(a)) do
    local q = qconf(qid)
    qincr(q, 'logged', -1)
    if staffed then qincr(q, 'staffed', -1) end
  end
  move(a, 'logoff', ms)
  a.reason = nil
  agent_event(ms, a, K.LOGOFF, {logged_in_s = (ms - a.login) / 1000})
  for _, qid in ipairs(agent_queues(a)) do empty_out(qconf(qid), ms) end
end

local function unpause(a, ms)
  move(a, 'unpause', ms)
  a.reason = nil
  a.noans = 0
  for _, qid in ipairs(agent_queues(a)) do qincr(qconf(qid), 'staffed', 1) end
  agent_event(ms, a, K.UNPAUSE, {})
  make_available(a, ms, 0)
end

-- timers
local function ring_timeout(call_id, due)
  local c = load_call(call_id)
  if not c or c.state ~= 'offered' then return end
  local q = qconf(c.queue)
  local ring_s = (due - c.offered) / 1000
  for _, agent_id in ipairs(c.ringing) do
    local a = load_agent(agent_id)
    emit(due, q, K.RING_NO_ANSWER, call_id, agent_id, {offer_id = c.offer, ring_s = ring_s})
    move(a, 'no_answer', due)
    a.call = nil
    a.offer = nil
    a.noans = (a.noans or 0) + 1
    if a.mna > 0 and a.noans >= a.mna then pause_agent(a, due, AUTO_PAUSE_REASON)
    else make_available(a, due, a.nd) end
  end
  c.ringing = {}
  offer_failed(c, q, due)
end

local function fire(member, due)
  local kind, id = string.sub(member, 1, 1), string.sub(member, 3)
  if kind == 'r' then
    ring_timeout(id, due)
  elseif kind == 'w' then
    local a = load_agent(id)
    if a and a.state == 'wrap_up' then wrap_end(a, due) end
  elseif kind == 'd' then
    local a = load_agent(id)
    if a and a.state == 'available' and a.delayed == 1 then
      a.delayed = 0
      a.ready = 0
      index_agent(a)
    end
  elseif kind == 'm' then
    local c = load_call(id)
    if c and c.state == 'waiting' then
      local q = qconf(c.queue)
      exit_queue(c, q, due, K.EXIT_TIMEOUT, q.on_timeout)
    elseif c and c.state == 'offered' then
      c.timedout = 1
    end
  elseif kind == 's' then
    local c = load_call(id)
    if c and c.state == 'scheduled' then enter(c, qconf(c.queue), due, c.origin) end
  end
end

local function tick(ms, limit)
  for _ = 1, limit do
    local top = redis.call('ZRANGE', TIMERS, 0, 0, 'WITHSCORES')
    if not top[1] or tonumber(top[2]) > ms then return false end
    redis.call('ZREM', TIMERS, top[1])
    fire(top[1], tonumber(top[2]))
  end
  return true
end

-- configuration: memberships are worked out here, from what is stored, so configuring is atomic
-- (the same rule as receptionist.acd.config.penalty)
local function penalty(tenants, skills, q_tenant, q_skills, max_penalty)
  if not tenants[q_tenant] then return nil end
  local total = 0
  for _, skill in ipairs(q_skills) do
    local level = skills[skill]
    if not level then return nil end
    total = total + MAX_LEVEL - level
  end
  if max_penalty >= 0 and total > max_penalty then return nil end
  return total
end

local function set_of(list)
  local out = {}
  for _, x in ipairs(list) do out[x] = true end
  return out
end

local function sorted_members(k)
  local out = redis.call('SMEMBERS', k)
  table.sort(out)
  return out
end

local function configure_queue(id, fields)
  local k = key('q', id)
  local old = redis.call('HGET', k, 'strategy')
  redis.call('HSET', k, unpack(fields))
  if not old then redis.call('HSET', k, 'rr', 0, 'pos', 0, 'logged', 0, 'staffed', 0) end
  QC[id] = nil
  local q = qconf(id)
  redis.call('SADD', key('tq', q.tenant), id)
  if old and old ~= q.strategy then
    local penalties = redis.call('HGETALL', key('qm', id))
    local pen = {}
    for i = 1, #penalties, 2 do pen[penalties[i]] = tonumber(penalties[i + 1]) end
    for _, agent_id in ipairs(redis.call('ZRANGE', key('qa', id), 0, -1)) do
      redis.call('ZADD', key('qa', id), score(q.strategy, id, agent_id, pen[agent_id], need_agent(agent_id).idle), agent_id)
    end
    refresh(id)
  end
  local v = redis.call('HMGET', k, 'skills', 'maxpen')
  local q_skills, max_penalty = split(v[1]), tonumber(v[2])
  local wanted, order = {}, {}
  for _, agent_id in ipairs(sorted_members(key('ta', q.tenant))) do
    local a = redis.call('HMGET', key('a', agent_id), 'tenants', 'skills')
    local pen = penalty(set_of(split(a[1])), cjson.decode(a[2]), q.tenant, q_skills, max_penalty)
    if pen then
      wanted[agent_id] = pen
      order[#order + 1] = agent_id
    end
  end
  for _, agent_id in ipairs(redis.call('HKEYS', key('qm', id))) do
    if not wanted[agent_id] then drop_member(need_agent(agent_id), q) end
  end
  for _, agent_id in ipairs(order) do set_member(need_agent(agent_id), q, wanted[agent_id]) end
end

local function configure_agent(id, fields)
  local k = key('a', id)
  local old = redis.call('HGET', k, 'tenants')
  if old then
    for _, tenant in ipairs(split(old)) do redis.call('SREM', key('ta', tenant), id) end
  else
    redis.call('HSET', k, 'state', 'logged_out', 'since', 0, 'idle', 0, 'ready', 0, 'delayed', 0, 'noans', 0, 'login', 0)
  end
  redis.call('HSET', k, unpack(fields))
  AGENTS[id] = nil
  local a = need_agent(id)
  local tenants, skills = split(a.tenants), cjson.decode(a.skills)
  local served = set_of(tenants)
  local wanted, order = {}, {}
  for _, tenant in ipairs(tenants) do
    redis.call('SADD', key('ta', tenant), id)
    for _, qid in ipairs(sorted_members(key('tq', tenant))) do
      local v = redis.call('HMGET', key('q', qid), 'tenant', 'skills', 'maxpen')
      local pen = penalty(served, skills, v[1], split(v[2]), tonumber(v[3]))
      if pen then
        wanted[qid] = pen
        order[#order + 1] = qid
      end
    end
  end
  for _, qid in ipairs(redis.call('HKEYS', key('aq', id))) do
    if not wanted[qid] then drop_member(a, qconf(qid)) end
  end
  for _, qid in ipairs(order) do set_member(a, qconf(qid), wanted[qid]) end
end

local function position(call_id)
  local c = load_call(call_id)
  if not c or (c.state ~= 'waiting' and c.state ~= 'offered') then return nil end
  local q = qconf(c.queue)
  local waiting = 0
  if c.state == 'waiting' then waiting = redis.call('ZRANK', key('qw', c.queue), c.member) + 1 end
  return {queue = c.queue, position = position_of(c), waiting = waiting, available = redis.call('ZCARD', key('qa', c.queue)),
    staffed = qcount(q, 'staffed'), handles = redis.call('LRANGE', key('qh', c.queue), 0, -1), dh = q.dh}
end

-- dispatch
local function dispatch(A)
  if OP == 'route' then return route(NOW, A[4]) end
  if OP == 'tick' then return tick(NOW, tonumber(A[4])) end
  if OP == 'enqueue' then
    local q = need_queue(A[5] .. '/' .. A[6])
    if live(A[4]) then fail('DuplicateCall', A[4]) end
    redis.call('DEL', key('c', A[4]))
    enter({id = A[4], tenant = A[5], kind = A[8], prio = tonumber(A[7]), attrs = A[9], hops = 0, ringing = {}}, q, NOW, nil)
    return true
  end
  if OP == 'agent' then
    local a, cmd = need_agent(A[4]), A[5]
    if cmd == 'accept' then accept(a, A[6], NOW)
    elseif cmd == 'decline' then decline(a, A[6], NOW)
    elseif cmd == 'login' then login(a, NOW)
    elseif cmd == 'logoff' then logoff(a, NOW)
    elseif cmd == 'pause' then check(a, 'pause'); pause_agent(a, NOW, A[6])
    elseif cmd == 'unpause' then unpause(a, NOW)
    elseif cmd == 'ready' then check(a, 'ready'); wrap_end(a, NOW) end
    return true
  end
  if OP == 'call' then
    local c, cmd = need_call(A[4]), A[5]
    if cmd == 'abandon' then abandon(c, NOW)
    elseif cmd == 'leave' then leave(c, A[6], NOW)
    elseif cmd == 'complete' then complete(c, A[6], NOW)
    elseif cmd == 'transfer' then transfer(c, A[6], NOW) end
    return true
  end
  if OP == 'position' then return position(A[4]) end
  local fields = {}
  for i = 5, #A do fields[#fields + 1] = A[i] end
  if OP == 'configure_queue' then configure_queue(A[4], fields); return true end
  if OP == 'configure_agent' then configure_agent(A[4], fields); return true end
  fail('Unsupported', OP)
end

-- one call: ARGV = prefix, operation, now (ms), arguments...; returns JSON {ev = events, r = result}
local function main(A)
  P, OP, NOW = A[1], A[2], tonumber(A[3])
  OUT, QC, AGENTS, CALLS = {}, {}, {}, {}
  TIMERS, ROUTABLE, SEQ, EVENTS = P .. ':timers', P .. ':routable', P .. ':seq', P .. ':events'
  local ok, result = pcall(dispatch, A)
  if not ok then
    if type(result) == 'table' and result.acd_error then return cjson.encode(result) end
    error(result)
  end
  if OP ~= 'position' then flush() end
  local events = '[]'
  if #OUT > 0 then
    events = cjson.encode(OUT)
    redis.call('XADD', EVENTS, 'MAXLEN', '~', EVENTS_MAXLEN, '*', 'e', events)
  end
  return '{"ev":' .. events .. ',"r":' .. cjson.encode(result or false) .. '}'
end
"""
