"""The Lua scripts that change the stock, each atomic on the Redis server.

`TAKE` decides a booking request from the stock alone, in the order the database path
refuses: the slot and session must be loaded (else "miss": the caller takes the database
path), the session open, the slot not started nor past its cutoff, the release come (or a
member's window: "early", which the database path serves, as it counts the members'
share), a seat free, the profile the caller's, the profile not holding or queued for a seat
in the session. A sold-out or not-yet-released slot is refused before anything about the
caller is read. Only then is a seat taken and the profile marked: "won". With ARGV[4]
"peek" it only answers: "open" where it would have taken the seat.

Two additions for the release queue (排队放号, appointments.release_queue): every request
after the release adds the caller (ARGV[5], the user id) to the session's demand count (a
HyperLogLog, `d<session>`), and while a session's queue gate is up (its field `q`, the gate's
end) the caller needs a live pass of their own for that profile (the queue's hash
`q<session>`: "admitted|until|profile"); winning uses the pass up (`qz` loses it, `qd`
gets the caller), so the queue counts the seat as taken in the same step.
"""

from appointments.stock import keys
from appointments.stock.client import stock_client

TAKE_SCRIPT = """
local slot = redis.call('HMGET', KEYS[1], 'sid', 'free', 'start', 'cut')
if not slot[1] then return {'miss'} end
local sid = slot[1]
local sess = redis.call('HMGET', ARGV[1] .. 's' .. sid, 'st', 'rel', 'early', 'q')
if not sess[1] then return {'miss'} end
local now = tonumber(ARGV[2])
if sess[1] == 'stopped' then return {'stopped'} end
if sess[1] ~= 'open' then return {'unavailable'} end
if now >= tonumber(slot[3]) then return {'past'} end
if now >= tonumber(slot[4]) then return {'closed'} end
if now < tonumber(sess[3]) then return {'unreleased'} end
local rel = tonumber(sess[2])
if now >= rel then redis.call('PFADD', ARGV[1] .. 'd' .. sid, ARGV[5]) end
if tonumber(slot[2]) <= 0 then return {'full'} end
if redis.call('EXISTS', KEYS[2]) == 0 then return {'need_user'} end
local user = redis.call('HMGET', KEYS[2], 'ph', 'p' .. ARGV[3])
if not user[2] then return {'no_profile'} end
if now < rel then
  local ph = tonumber(user[1]) or 0
  if ph <= 0 or now < rel - ph * 3600 then return {'unreleased'} end
  return {'early'}
end
local gated = sess[4] and now < tonumber(sess[4])
if gated then
  local pass = redis.call('HGET', ARGV[1] .. 'q' .. sid, ARGV[5])
  if not pass then
    if redis.call('HEXISTS', ARGV[1] .. 'qj' .. sid, ARGV[5]) == 1 then
      return {'queue_waiting'}
    end
    return {'queue_required'}
  end
  if redis.call('SISMEMBER', ARGV[1] .. 'qd' .. sid, ARGV[5]) == 1 then
    return {'booked'}
  end
  local until_, prof = string.match(pass, '^[^|]*|([^|]*)|(.*)$')
  if now >= tonumber(until_) then return {'queue_lapsed'} end
  if prof ~= ARGV[3] then return {'queue_other_profile'} end
end
local pkey = ARGV[1] .. 'p' .. sid
if redis.call('SISMEMBER', pkey, ARGV[3]) == 1 then return {'booked'} end
if ARGV[4] == 'peek' then return {'open'} end
redis.call('HINCRBY', KEYS[1], 'free', -1)
redis.call('SADD', pkey, ARGV[3])
if gated then
  redis.call('ZREM', ARGV[1] .. 'qz' .. sid, ARGV[5])
  redis.call('SADD', ARGV[1] .. 'qd' .. sid, ARGV[5])
end
return {'won', sid}
"""

# A seat back to a loaded slot (a refused ticket, a cancel) and the profile unmarked.
# KEYS: slot, session profiles. ARGV: profile id ('' for none), seats.
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'free', tonumber(ARGV[2]))
end
if ARGV[1] ~= '' then redis.call('SREM', KEYS[2], ARGV[1]) end
return 1
"""

# A seat the database path took (a fallback or early booking, a waitlist promotion, a
# walk-in, a reschedule's target). KEYS: slot, session, session profiles. ARGV: profile id.
_TAKEN = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'free', -1)
end
if redis.call('EXISTS', KEYS[2]) == 1 and ARGV[1] ~= '' then
  redis.call('SADD', KEYS[3], ARGV[1])
end
return 1
"""

# The release queue's gate end (`q`, Unix seconds) or none. KEYS[1]: session. ARGV[6]: q.
_GATE = """
local function gate(key, q)
  if q == '' then redis.call('HDEL', key, 'q') else redis.call('HSET', key, 'q', q) end
end
"""

# Load a session when absent. KEYS: session, profiles, loaded set, slot keys...
# ARGV: session id, st, rel, early, seconds to keep, q, profile count, profiles..., then
# per slot free, start, cut.
_LOAD = (
    _GATE
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local sid = ARGV[1]
local ttl = tonumber(ARGV[5])
local n = tonumber(ARGV[7])
redis.call('DEL', KEYS[2])
for i = 1, n do redis.call('SADD', KEYS[2], ARGV[7 + i]) end
if n > 0 then redis.call('EXPIRE', KEYS[2], ttl) end
local a = 8 + n
for k = 4, #KEYS do
  redis.call('DEL', KEYS[k])
  redis.call('HSET', KEYS[k], 'sid', sid, 'free', ARGV[a], 'start', ARGV[a + 1],
             'cut', ARGV[a + 2])
  redis.call('EXPIRE', KEYS[k], ttl)
  a = a + 3
end
redis.call('HSET', KEYS[1], 'st', ARGV[2], 'rel', ARGV[3], 'early', ARGV[4])
gate(KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('SADD', KEYS[3], sid)
return 1
"""
)

# A loaded session's state, release and slot times written again; a slot new since the
# load (a slot added to the session) is added with its seats. Free seats of known slots are
# left alone: they change by deltas only. KEYS: session, slot keys... ARGV: session id,
# st, rel, early, seconds to keep, q, then per slot free, start, cut.
_REFRESH = (
    _GATE
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ttl = tonumber(ARGV[5])
redis.call('HSET', KEYS[1], 'st', ARGV[2], 'rel', ARGV[3], 'early', ARGV[4])
gate(KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[1], ttl)
local a = 7
for k = 2, #KEYS do
  if redis.call('EXISTS', KEYS[k]) == 0 then
    redis.call('HSET', KEYS[k], 'sid', ARGV[1], 'free', ARGV[a])
  end
  redis.call('HSET', KEYS[k], 'start', ARGV[a + 1], 'cut', ARGV[a + 2])
  redis.call('EXPIRE', KEYS[k], ttl)
  a = a + 3
end
return 1
"""
)


def take_call(
    *, slot_id: int, user_id: int, profile_id: int, now: float, peek: bool = False
) -> tuple[list[str], list]:
    """TAKE's KEYS and ARGV, in the one layout every caller uses (the booking path,
    appointments.services.stock_booking, and the release queue's simulation)."""
    return (
        [keys.slot_key(slot_id), keys.user_key(user_id)],
        [keys.prefix(), repr(now), profile_id, "peek" if peek else "take", user_id],
    )


def take_answer(raw: list) -> list[str]:
    """TAKE's answer as text: the word ("won", "full", ...), then the session id."""
    return [part.decode() if isinstance(part, bytes) else str(part) for part in raw]


class Scripts:
    """The scripts registered on the stock's client (EVALSHA, loaded again after a flush
    or restart by redis-py on NOSCRIPT)."""

    def __init__(self) -> None:
        client = stock_client()
        self.take = client.register_script(TAKE_SCRIPT)
        self.give_back = client.register_script(_GIVE_BACK)
        self.taken = client.register_script(_TAKEN)
        self.load = client.register_script(_LOAD)
        self.refresh = client.register_script(_REFRESH)


_scripts: dict[int, Scripts] = {}


def scripts() -> Scripts:
    client = stock_client()
    found = _scripts.get(id(client))
    if found is None:
        found = _scripts[id(client)] = Scripts()
    return found
