/**
 * The one Lua script behind the Redis store (docs/spec.md §6). It runs atomically inside Redis, so
 * the budget of a vhost has a single clock (Redis `TIME`) and a single writer at a time.
 *
 * State lives in one hash per vhost, `{<prefix><vhost>}:lease`. The hash tag keeps a vhost on
 * one cluster slot. Fields:
 * - `_t`: Redis time of the last refill, µs.
 * - `_p`: Redis time at which the last pause of more than four leases ended, µs.
 * - `<process id>`: `"<weight> <tokens> <expiresAt µs>"` for each live process, where weight is
 *   the process's active sessions and tokens its banked bytes (may be negative: a lease is
 *   handed out whole and paid back by later refills, so a grant never has to be split).
 *
 * Each call refills every live process from the time elapsed, at the vhost cap, in proportion
 * to weight, by water-filling: a process whose bucket is full (it is idle, or needs less than
 * its share) passes its overflow to the others, so the allocation is work-conserving. A
 * bucket holds at most `leaseMs` of the process's share (it makes up for calls that come a
 * little late), and a process that comes back after two leases without a call starts again
 * at zero, so idleness banks nothing.
 *
 * ARGV: process id, cap (bytes/s), ask (bytes; < 0 = deregister), weight, leaseMs, ttlMs.
 * Returns `{ granted, effectiveRate, processes, waitMs, redisTimeUs }`. Lua turns numbers into
 * integers on the way out, so the fractional values (and the time) come back as strings. The
 * time is for logs and tests: it dates a grant by the one clock all processes share.
 */
export const LEASE_SCRIPT = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local key = KEYS[1]
local id = ARGV[1]
local cap = tonumber(ARGV[2])
local ask = tonumber(ARGV[3])
local weight = tonumber(ARGV[4])
local leaseUs = tonumber(ARGV[5]) * 1000
local ttlUs = tonumber(ARGV[6]) * 1000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local raw = redis.call('HGETALL', key)
local last = now
local pausedAt = 0
local procs = {}
local me = nil
for i = 1, #raw, 2 do
  local f, v = raw[i], raw[i + 1]
  if f == '_t' then
    last = tonumber(v) or now
  elseif f == '_p' then
    pausedAt = tonumber(v) or 0
  else
    local w, tk, exp = string.match(v, '^(%S+) (%S+) (%S+)$')
    w, tk, exp = tonumber(w), tonumber(tk), tonumber(exp)
    if w and tk and exp and exp > now then
      local p = { id = f, w = w, tk = tk, exp = exp }
      procs[#procs + 1] = p
      if f == id then me = p end
    else
      redis.call('HDEL', key, f)
    end
  end
end

if ask < 0 then
  if me then redis.call('HDEL', key, id) end
  return { 0, '0', #procs - (me and 1 or 0), '0' }
end

-- Refill for the time since the last call, with the weights that held during it.
local dt = now - last
if dt < 0 then dt = 0 end
-- A pause of several leases (Redis frozen or restarted): see the rate below.
if dt > 4 * leaseUs then pausedAt = now end
local total = 0
for _, p in ipairs(procs) do total = total + p.w end
local open = {}
for _, p in ipairs(procs) do
  p.room = cap * p.w / total * leaseUs / 1000000
  if p.tk < p.room then open[#open + 1] = p end
end
local budget = cap * dt / 1000000
while budget > 0 and #open > 0 do
  local wopen = 0
  for _, p in ipairs(open) do wopen = wopen + p.w end
  local left = 0
  local still = {}
  for _, p in ipairs(open) do
    local add = budget * p.w / wopen
    if p.tk + add >= p.room then
      left = left + p.tk + add - p.room
      p.tk = p.room
    else
      p.tk = p.tk + add
      still[#still + 1] = p
    end
  end
  budget = left
  open = still
end

-- A process back after two leases without a call was idle: it banks nothing, like a new one.
-- Both get one lease at once and then only what they earn, so the window that starts with
-- their return carries no more than the cap (docs/redis.md, "Burst").
if me and me.tk > 0 and now - (me.exp - ttlUs) > 2 * leaseUs then me.tk = 0 end
if not me then
  me = { id = id, w = weight, tk = 0 }
  procs[#procs + 1] = me
end
me.w = weight
me.exp = now + ttlUs

-- Hand out the whole ask while the bucket is not in debt; the debt is repaid by refills.
local maxAsk = math.floor(cap * leaseUs / 1000000)
if maxAsk < 1 then maxAsk = 1 end
if ask > maxAsk then ask = maxAsk end
ask = math.floor(ask)
local granted = 0
if me.tk >= 0 and ask > 0 then
  granted = ask
  me.tk = me.tk - ask
end

-- The rate this process is refilled at right now: its weight's part of the cap among the
-- processes that are not full (a full one gives its share away).
local total2, count = 0, 0
for _, p in ipairs(procs) do total2 = total2 + p.w; count = count + 1 end
-- A full bucket means idle only if its process has stopped asking: one that leased within
-- the last two leases is just between calls. And for 8 leases after a pause (Redis frozen or
-- restarted: every bucket is full, and processes come back one by one), a full bucket says
-- nothing about who is idle. Counting such a process as idle would put its share into this
-- lease too, and this process would then starve while it paid that debt back.
local settling = now - pausedAt < 8 * leaseUs
local wdemand = 0
for _, p in ipairs(procs) do
  local room = cap * p.w / total2 * leaseUs / 1000000
  local recent = now - (p.exp - ttlUs) < 2 * leaseUs
  if p == me or p.tk < room or recent or settling then wdemand = wdemand + p.w end
end
local rate = cap * me.w / wdemand
local waitMs = 0
if me.tk < 0 then waitMs = -me.tk / rate * 1000 end

local fields = { '_t', string.format('%.17g', now), '_p', string.format('%.17g', pausedAt) }
for _, p in ipairs(procs) do
  fields[#fields + 1] = p.id
  fields[#fields + 1] = string.format('%.17g %.17g %.17g', p.w, p.tk, p.exp)
end
redis.call('HSET', key, unpack(fields))
redis.call('PEXPIRE', key, math.floor(ttlUs / 500))
return { granted, string.format('%.17g', rate), count, string.format('%.17g', waitMs), string.format('%.17g', now) }
`;
