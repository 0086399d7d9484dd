"""The release queue's Lua scripts, each atomic on the stock's Redis (keys: keys.py).

Every script takes ARGV[1] the stock's key prefix and ARGV[2] the session id, and is told
the time (`now`, Unix seconds) rather than reading the server's clock, so one process's
answer never depends on another's clock, and the simulation can run the same scripts on a
clock of its own.

- PREPARE: write the plan unless the places were drawn already (then only the slot list).
- JOIN: one place per account and per person; before the release into the lobby, after
  it at the end (in arrival order).
- DRAW: the lobby in the order the caller drew (appointments.release_queue.schedule.fair_order),
  then whoever came after the release; once.
- STATUS: first admit what is due (lapse passes past their window; then, with the token
  bucket refilled at `rate` up to `burst`, give passes to the next places while the
  session's free seats exceed the live passes), then answer the queue's facts (with the
  plan's times, the stock's session state and gate, and who this call admitted, as
  "member:profile:until", for their notices) and the caller's place.
- LEAVE: give the place up (the person may join again, at the end).
- USED: a pass booked through the database path (the stock's TAKE does this itself).
"""

from appointments.stock.client import stock_client

_NAMES = """
local P, sid = ARGV[1], ARGV[2]
local META, LOBBY, LATE = P .. 'qm' .. sid, P .. 'ql' .. sid, P .. 'qw' .. sid
local ORDER, JOINED, PERSONS = P .. 'qo' .. sid, P .. 'qj' .. sid, P .. 'qh' .. sid
local PASSES, LIVE, DONE = P .. 'q' .. sid, P .. 'qz' .. sid, P .. 'qd' .. sid
local function field(s, i)
  local from = 1
  for _ = 2, i do from = string.find(s, '|', from, true) + 1 end
  local to = string.find(s, '|', from, true)
  return string.sub(s, from, to and to - 1 or -1)
end
local function keep(key, exp)
  if exp then redis.call('EXPIREAT', key, math.floor(tonumber(exp))) end
end
"""

# ARGV[3..10]: rel, opens, closes, rate, burst, window, slot ids (comma-separated), expire.
PREPARE = (
    _NAMES
    + """
if redis.call('HGET', META, 'drawn') == '1' then
  redis.call('HSET', META, 'slots', ARGV[9])
  return 0
end
redis.call('HSET', META, 'rel', ARGV[3], 'opens', ARGV[4], 'closes', ARGV[5],
           'rate', ARGV[6], 'burst', ARGV[7], 'win', ARGV[8], 'slots', ARGV[9],
           'exp', ARGV[10])
redis.call('HSETNX', META, 'drawn', '0')
redis.call('HSETNX', META, 'n', '0')
redis.call('HSETNX', META, 'adm', '0')
keep(META, ARGV[10])
return 1
"""
)

# ARGV[3..6]: member, person, profile, now.
JOIN = (
    _NAMES
    + """
local m = redis.call('HMGET', META, 'rel', 'opens', 'closes', 'drawn', 'exp')
if not m[1] then return {'unprepared'} end
local member, person, now = ARGV[3], ARGV[4], tonumber(ARGV[6])
if now < tonumber(m[2]) then return {'not_open'} end
if now >= tonumber(m[3]) then return {'closed'} end
local mine = redis.call('HGET', JOINED, member)
if mine then return {'exists', field(mine, 1)} end
local owner = redis.call('HGET', PERSONS, person)
if owner and owner ~= member then return {'person_taken'} end
redis.call('HSET', JOINED, member, ARGV[5] .. '|' .. person .. '|' .. ARGV[6])
redis.call('HSET', PERSONS, person, member)
redis.call('PFADD', P .. 'd' .. sid, member)
keep(JOINED, m[5]); keep(PERSONS, m[5]); keep(P .. 'd' .. sid, m[5])
if m[4] == '1' then
  local n = redis.call('HINCRBY', META, 'n', 1)
  redis.call('ZADD', ORDER, n, member)
  keep(ORDER, m[5])
elseif now < tonumber(m[1]) then
  redis.call('SADD', LOBBY, member)
  keep(LOBBY, m[5])
else
  redis.call('RPUSH', LATE, member)
  keep(LATE, m[5])
end
return {'joined'}
"""
)

# ARGV[3]: now; ARGV[4..]: the lobby in the order drawn.
DRAW = (
    _NAMES
    + """
local m = redis.call('HMGET', META, 'rel', 'drawn', 'burst', 'exp')
if not m[1] then return {'unprepared'} end
if m[2] == '1' then return {'drawn'} end
local now = tonumber(ARGV[3])
if now < tonumber(m[1]) then return {'early'} end
local n = 0
local function place(x)
  if redis.call('HEXISTS', JOINED, x) == 1 and not redis.call('ZSCORE', ORDER, x) then
    n = n + 1
    redis.call('ZADD', ORDER, n, x)
  end
end
for i = 4, #ARGV do
  if redis.call('SISMEMBER', LOBBY, ARGV[i]) == 1 then place(ARGV[i]) end
end
for _, x in ipairs(redis.call('SMEMBERS', LOBBY)) do place(x) end
for _, x in ipairs(redis.call('LRANGE', LATE, 0, -1)) do place(x) end
redis.call('DEL', LOBBY, LATE)
redis.call('HSET', META, 'drawn', '1', 'n', n, 'adm', '0', 'tok', m[3], 'ts', ARGV[3])
keep(ORDER, m[4])
return {'drawn', tostring(n)}
"""
)

# ARGV[3]: now; ARGV[4]: member ('' for none).
STATUS = (
    _NAMES
    + """
local m = redis.call('HMGET', META, 'rel', 'opens', 'closes', 'rate', 'burst', 'win',
                     'slots', 'drawn', 'n', 'adm', 'tok', 'ts', 'exp')
if not m[1] then return {'unprepared'} end
local now = tonumber(ARGV[3])
local free = 0
for id in string.gmatch(m[7] or '', '[^,]+') do
  free = free + (tonumber(redis.call('HGET', P .. 't' .. id, 'free')) or 0)
end
if free < 0 then free = 0 end
local n, adm, live = tonumber(m[9]) or 0, tonumber(m[10]) or 0, 0
local admitted = {}
if m[8] == '1' then
  redis.call('ZREMRANGEBYSCORE', LIVE, '-inf', now)
  live = redis.call('ZCARD', LIVE)
  local rate, burst, win = tonumber(m[4]), tonumber(m[5]), tonumber(m[6])
  local EPS = 1e-6
  local tok = math.min(burst, (tonumber(m[11]) or 0) + math.max(0, now - tonumber(m[12])) * rate)
  local room = free - live
  -- EPS: times near 1.9e9 s leave a refill of 0.9999... of a token; it counts as one
  while adm < n and tok + EPS >= 1 and room > 0 do
    local k = math.min(math.floor(tok + EPS), room, n - adm)
    local batch = redis.call('ZRANGEBYSCORE', ORDER, adm + 1, adm + k)
    for _, x in ipairs(batch) do
      local j = redis.call('HGET', JOINED, x)
      if j then
        redis.call('HSET', PASSES, x, ARGV[3] .. '|' .. tostring(now + win) .. '|' .. field(j, 1))
        redis.call('ZADD', LIVE, now + win, x)
        table.insert(admitted, x .. ':' .. field(j, 1) .. ':' .. tostring(now + win))
        tok, room, live = tok - 1, room - 1, live + 1
      end
    end
    adm = adm + k
  end
  redis.call('HSET', META, 'adm', adm, 'tok', tostring(tok), 'ts', ARGV[3])
  keep(PASSES, m[13]); keep(LIVE, m[13])
end
local sess = redis.call('HMGET', P .. 's' .. sid, 'st', 'q')
local facts = {'ok', m[8], tostring(n), tostring(adm), tostring(free), tostring(live),
               tostring(redis.call('SCARD', LOBBY) + redis.call('LLEN', LATE)),
               m[1], m[2], m[3], m[4], sess[1] or '', sess[2] or '',
               table.concat(admitted, ',')}
if ARGV[4] == '' then return facts end
local member = ARGV[4]
table.insert(facts, redis.call('HGET', JOINED, member) or '')
local pos = redis.call('ZSCORE', ORDER, member)
table.insert(facts, pos and tostring(pos) or '')
table.insert(facts, redis.call('HGET', PASSES, member) or '')
table.insert(facts, tostring(redis.call('SISMEMBER', DONE, member)))
return facts
"""
)

# ARGV[3]: member.
LEAVE = (
    _NAMES
    + """
local member = ARGV[3]
local j = redis.call('HGET', JOINED, member)
if not j then return 0 end
local person = field(j, 2)
if redis.call('HGET', PERSONS, person) == member then redis.call('HDEL', PERSONS, person) end
redis.call('HDEL', JOINED, member)
redis.call('SREM', LOBBY, member)
redis.call('LREM', LATE, 0, member)
redis.call('ZREM', ORDER, member)
redis.call('ZREM', LIVE, member)
if redis.call('SISMEMBER', DONE, member) == 0 then redis.call('HDEL', PASSES, member) end
return 1
"""
)

# ARGV[3]: member.
USED = (
    _NAMES
    + """
redis.call('ZREM', LIVE, ARGV[3])
redis.call('SADD', DONE, ARGV[3])
local exp = redis.call('HGET', META, 'exp')
keep(DONE, exp)
return 1
"""
)


class QueueScripts:
    """The scripts registered on the stock's client (EVALSHA; loaded again after a
    flush or restart by redis-py on NOSCRIPT)."""

    def __init__(self) -> None:
        client = stock_client()
        self.prepare = client.register_script(PREPARE)
        self.join = client.register_script(JOIN)
        self.draw = client.register_script(DRAW)
        self.status = client.register_script(STATUS)
        self.leave = client.register_script(LEAVE)
        self.used = client.register_script(USED)


_scripts: dict[int, QueueScripts] = {}


def queue_scripts() -> QueueScripts:
    client = stock_client()
    found = _scripts.get(id(client))
    if found is None:
        found = _scripts[id(client)] = QueueScripts()
    return found
