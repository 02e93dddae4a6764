/**
 * Leases, fenced writes and compare-and-set on Redis: each operation one Lua script, which Redis
 * runs atomically. The lease's time is Redis's own clock (`TIME`), so the clocks of the
 * processes need not agree; scripts then replicate by effects (the default since Redis 5).
 *
 * Values are written in keyv's envelope (`{"value":…,"expires":…}`, see `KeyvStore`), so `get`
 * and `keys` see them. A versioned value puts its version first (`{"version":3,"value":…}`), so
 * the script reads it without decoding the value (Lua's JSON would round numbers past 14
 * digits); the value's JSON is built by the caller and passed through untouched.
 */
import { createHash } from 'node:crypto';
import type { Lease, LeaseHolder, SettleResult, TakeLease } from '../../bots/core/ports';
import type { AppendJson, SettleJson } from './in-process';
import { LEASE_GRACE_MS } from './lease-record';
import type { LeaseEngine } from './coordination';
import type { RedisConnection } from './redis';

const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function lease(key)
  local raw = redis.call('GET', key)
  if not raw then return nil end
  local ok, env = pcall(cjson.decode, raw)
  local r = ok and type(env) == 'table' and env.value or nil
  if type(r) ~= 'table' or type(r.owner) ~= 'string' or type(r.token) ~= 'number' or type(r.heldUntil) ~= 'number' then
    error(redis.error_reply('WRONGTYPE the key holds a value that is not a lease'))
  end
  return r
end
local function held(r, now) return r ~= nil and r.owner ~= '' and r.heldUntil > now end
local function held_by(key, owner, token, now)
  local r = lease(key)
  return held(r, now) and r.owner == owner and r.token == tonumber(token)
end
local function n(x) return string.format('%.0f', x) end
-- A released lease's record goes once the clock has passed its token (see lease-record.ts).
local function release_record(key, token, now)
  if token < now then
    redis.call('DEL', key)
  else
    redis.call('SET', key, '{"value":{"owner":"","token":' .. n(token) .. ',"heldUntil":' .. n(now) ..
      '},"expires":' .. n(token + 1) .. '}', 'PX', n(token - now + 1))
  end
end
local function write(key, owner, token, held_until, now)
  local expires = held_until + ${LEASE_GRACE_MS}
  redis.call('SET', key, '{"value":{"owner":' .. cjson.encode(owner) .. ',"token":' .. n(token) ..
    ',"heldUntil":' .. n(held_until) .. '},"expires":' .. n(expires) .. '}', 'PX', n(expires - now))
end
`;

/** KEYS: lease. ARGV: owner, ttl. The new token (as text), or nil while held. */
const ACQUIRE = `${PRELUDE}
local now = now_ms()
local r = lease(KEYS[1])
if held(r, now) then return false end
local token = math.max((r and r.token or 0) + 1, now)
write(KEYS[1], ARGV[1], token, now + tonumber(ARGV[2]), now)
return n(token)`;

/** KEYS: lease. ARGV: owner, token, ttl. 1 renewed, 0 lost. */
const RENEW = `${PRELUDE}
local now = now_ms()
if not held_by(KEYS[1], ARGV[1], ARGV[2], now) then return 0 end
write(KEYS[1], ARGV[1], tonumber(ARGV[2]), now + tonumber(ARGV[3]), now)
return 1`;

/** KEYS: lease. ARGV: owner, token. 1 released, 0 lost. */
const RELEASE = `${PRELUDE}
local now = now_ms()
if not held_by(KEYS[1], ARGV[1], ARGV[2], now) then return 0 end
release_record(KEYS[1], tonumber(ARGV[2]), now)
return 1`;

/** KEYS: lease. { owner, token as text } while held, else nil. */
const HOLDER = `${PRELUDE}
local r = lease(KEYS[1])
if not held(r, now_ms()) then return false end
return { r.owner, n(r.token) }`;

/** KEYS: lease, key. ARGV: owner, token, envelope, ttl. 1 written, 0 lost. */
const FENCED_SET = `${PRELUDE}
if not held_by(KEYS[1], ARGV[1], ARGV[2], now_ms()) then return 0 end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
return 1`;

/** KEYS: lease, key. ARGV: owner, token, envelope, ttl. 1 claimed, 0 taken, -1 lost. */
const FENCED_CLAIM = `${PRELUDE}
if not held_by(KEYS[1], ARGV[1], ARGV[2], now_ms()) then return -1 end
if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4]) then return 1 end
return 0`;

/** KEYS: key. ARGV: expected version, envelope after the version, ttl. 1 written, 0 conflict. */
const SET_VERSIONED = `
local raw = redis.call('GET', KEYS[1])
local current = 0
if raw then current = tonumber(string.match(raw, '^{"version":(%d+),')) or 0 end
if current ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], '{"version":' .. string.format('%.0f', current + 1) .. ',' .. ARGV[2], 'PX', ARGV[3])
return 1`;

/**
 * KEYS: marks…, list, then the lease to take (if any) and the key to read with it (if any).
 * ARGV: mark count, mark envelope, mark ttl, entry JSON, list ttl, then the lease's owner and ttl.
 * { 0 } when a mark was there (nothing appended); else { length, token or '' } and, when the lease
 * was won, the read key's raw value ('' when absent or not asked) and the list's entries.
 */
const APPEND_IF_NEW = `${PRELUDE}
local marks = tonumber(ARGV[1])
local fresh = true
for i = 1, marks do
  if not redis.call('SET', KEYS[i], ARGV[2], 'NX', 'PX', ARGV[3]) then fresh = false end
end
if not fresh then return { 0 } end
local list = KEYS[marks + 1]
local len = redis.call('RPUSH', list, ARGV[4])
redis.call('PEXPIRE', list, ARGV[5])
local name = KEYS[marks + 2]
if not name then return { len, '' } end
local now = now_ms()
local r = lease(name)
if held(r, now) then return { len, '' } end
local token = math.max((r and r.token or 0) + 1, now)
write(name, ARGV[6], token, now + tonumber(ARGV[7]), now)
local reply = redis.call('LRANGE', list, 0, -1)
local read = KEYS[marks + 3]
table.insert(reply, 1, read and redis.call('GET', read) or '')
table.insert(reply, 1, n(token))
table.insert(reply, 1, len)
return reply`;

/**
 * KEYS: lease, list, written keys…. ARGV: owner, token, head prefix (\`{"id":<id>\`, or ''),
 * release ('1'/'0'), then an envelope and a ttl per written key. { remaining, released } or -1 when lost.
 */
const SETTLE_HEAD = `${PRELUDE}
local now = now_ms()
if not held_by(KEYS[1], ARGV[1], ARGV[2], now) then return -1 end
for i = 3, #KEYS do
  redis.call('SET', KEYS[i], ARGV[5 + (i - 3) * 2], 'PX', ARGV[6 + (i - 3) * 2])
end
local p = ARGV[3]
if p ~= '' then
  local head = redis.call('LINDEX', KEYS[2], 0)
  if head and string.sub(head, 1, #p) == p then
    local c = string.sub(head, #p + 1, #p + 1)
    if c == ',' or c == '}' then redis.call('LPOP', KEYS[2]) end
  end
end
local remaining = redis.call('LLEN', KEYS[2])
local released = 0
if remaining == 0 and ARGV[4] == '1' then
  release_record(KEYS[1], tonumber(ARGV[2]), now)
  released = 1
end
return { remaining, released }`;

/** A script sent once (`EVAL`), then by its digest (`EVALSHA`). */
class Script {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisConnection, keys: string[], args: string[]): Promise<unknown> {
    const options = { keys: keys.map((key) => redis.keyPrefix + key), arguments: args };
    try {
      return await redis.client.evalSha(this.sha, options);
    } catch (e) {
      // Not cached yet (a new Redis, or after SCRIPT FLUSH): send the source, which caches it.
      if (!/NOSCRIPT/.test(String((e as { message?: unknown })?.message))) throw e;
      return redis.client.eval(this.source, options);
    }
  }
}

const scripts = {
  acquire: new Script(ACQUIRE),
  renew: new Script(RENEW),
  release: new Script(RELEASE),
  holder: new Script(HOLDER),
  fencedSet: new Script(FENCED_SET),
  fencedClaim: new Script(FENCED_CLAIM),
  setVersioned: new Script(SET_VERSIONED),
  appendIfNew: new Script(APPEND_IF_NEW),
  settleHead: new Script(SETTLE_HEAD),
};

/** The keyv envelope of a value (as `set` writes it), from the value's JSON. */
export function envelope(json: string, ttlMs: number): string {
  return `{"value":${json},"expires":${Date.now() + ttlMs}}`;
}

export class RedisCoordination implements LeaseEngine {
  /** `bounded` puts the store's deadline on each call. */
  constructor(
    private readonly redis: RedisConnection,
    private readonly bounded: <T>(call: Promise<T>) => Promise<T>,
  ) {}

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    const reply = await this.run(scripts.acquire, [name], [owner, String(ttlMs)]);
    return reply === null || reply === undefined ? undefined : { name, owner, token: Number(reply) };
  }

  async renewLease(name: string, owner: string, token: number, ttlMs: number): Promise<boolean> {
    return Number(await this.run(scripts.renew, [name], [owner, String(token), String(ttlMs)])) === 1;
  }

  async releaseLease(name: string, owner: string, token: number): Promise<boolean> {
    return Number(await this.run(scripts.release, [name], [owner, String(token)])) === 1;
  }

  async leaseHolder(name: string): Promise<LeaseHolder | undefined> {
    const reply = await this.run(scripts.holder, [name], []);
    if (!Array.isArray(reply)) return undefined;
    return { owner: String(reply[0]), token: Number(reply[1]) };
  }

  async setIfLeaseHeld(lease: Lease, key: string, json: string, ttlMs: number): Promise<boolean> {
    const args = [lease.owner, String(lease.token), envelope(json, ttlMs), String(ttlMs)];
    return Number(await this.run(scripts.fencedSet, [lease.name, key], args)) === 1;
  }

  async claimIfLeaseHeld(lease: Lease, key: string, ttlMs: number): Promise<'claimed' | 'taken' | 'lost'> {
    // The value `claim` writes (`CLAIMED`), so `get` of a claim reads `true` on both paths.
    const args = [lease.owner, String(lease.token), envelope('true', ttlMs), String(ttlMs)];
    const reply = Number(await this.run(scripts.fencedClaim, [lease.name, key], args));
    return reply === 1 ? 'claimed' : reply === 0 ? 'taken' : 'lost';
  }

  async setVersioned(key: string, json: string, expectedVersion: number, ttlMs: number): Promise<boolean> {
    const tail = `"value":${json},"expires":${Date.now() + ttlMs}}`;
    return Number(await this.run(scripts.setVersioned, [key], [String(expectedVersion), tail, String(ttlMs)])) === 1;
  }

  async appendIfNew(
    marks: string[],
    markTtlMs: number,
    listKey: string,
    json: string,
    listTtlMs: number,
    take?: TakeLease,
  ): Promise<AppendJson> {
    const args = [String(marks.length), envelope('true', markTtlMs), String(markTtlMs), json, String(listTtlMs)];
    if (take) args.push(take.owner, String(take.ttlMs));
    const keys = [...marks, listKey, ...(take ? [take.name] : []), ...(take?.read !== undefined ? [take.read] : [])];
    const reply = (await this.run(scripts.appendIfNew, keys, args)) as unknown[];
    if (Number(reply[0]) === 0) return { appended: false };
    const token = String(reply[1] ?? '');
    if (!take || token === '') return { appended: true };
    const lease = { name: take.name, owner: take.owner, token: Number(token) };
    const entries = reply.slice(3).map(String);
    if (take.read === undefined) return { appended: true, lease, entries };
    return { appended: true, lease, entries, read: { value: envelopeValue(String(reply[2] ?? '')) } };
  }

  async settleHead(lease: Lease, listKey: string, o: SettleJson): Promise<SettleResult | 'lost'> {
    const args = [
      lease.owner,
      String(lease.token),
      o.headId === undefined ? '' : `{"id":${JSON.stringify(o.headId)}`,
      o.release ? '1' : '0',
    ];
    for (const w of o.writes) args.push(envelope(w.json, w.ttlMs), String(w.ttlMs));
    const reply = await this.run(scripts.settleHead, [lease.name, listKey, ...o.writes.map((w) => w.key)], args);
    if (!Array.isArray(reply)) return 'lost';
    return { remaining: Number(reply[0]), released: Number(reply[1]) === 1 };
  }

  /** The value and version at `key` (version 0 for a value written by `set`). */
  async getVersioned(key: string): Promise<{ value: unknown; version: number } | undefined> {
    const raw = await this.bounded(this.redis.client.get(this.redis.keyPrefix + key));
    if (raw === null || raw === undefined) return undefined;
    return decodeEnvelope(String(raw));
  }

  private run(script: Script, keys: string[], args: string[]): Promise<unknown> {
    return this.bounded(script.run(this.redis, keys, args));
  }
}

/** A stored envelope's value and version; undefined when past its expiry. */
function decodeEnvelope(raw: string): { value: unknown; version: number } | undefined {
  const data = JSON.parse(raw) as { value?: unknown; expires?: number; version?: number };
  // As keyv's `get` does: an envelope past its expiry is gone even if Redis has not dropped it yet.
  if (typeof data.expires === 'number' && Date.now() > data.expires) return undefined;
  return { value: data.value, version: typeof data.version === 'number' ? data.version : 0 };
}

/** The value of a raw envelope read inside a script ('' when the key was absent). */
function envelopeValue(raw: string): unknown {
  return raw === '' ? undefined : decodeEnvelope(raw)?.value;
}
