/**
 * Redis wiring for the keyv store: builds the node-redis client with bounded waits, hands it to
 * `@keyv/redis` (which then uses it as `adapter.client`), and connects once at start so a wrong
 * URL fails loudly instead of later.
 *
 * Why the client is built here rather than by `@keyv/redis` (`createKeyv(url)`):
 * - Its default reconnect strategy retries forever, including the very first connect, and it has
 *   no connect deadline unless asked: `get` against a Redis that is down never settles.
 * - node-redis queues commands while it reconnects (the "offline queue"), so once connected, an
 *   outage makes every call wait until Redis comes back. We want a prompt `store_unavailable`.
 * - Both layers swallow errors by default: `KeyvRedis` (`throwOnErrors: false`) turns a failed
 *   command into `undefined`, and `Keyv` (`throwOnErrors: false`) turns a thrown adapter error
 *   into `undefined` too, so an outage would look like "key not found" (a dedupe mark missing,
 *   a session gone). Both are switched to throw.
 */
import KeyvRedis, { Keyv, createClient } from '@keyv/redis';
import type { Logger } from '../../bots/core/ports';
import { describeError, redactUrl, storeUnavailable } from './errors';
import { jsonDeserialize, jsonSerialize } from './json';

export type RedisClient = ReturnType<typeof createClient>;

/** Time limits for Redis. Defaults suit a bot: users notice seconds, not minutes. */
export interface RedisTimeouts {
  /** TCP connect (and TLS handshake) limit per attempt. */
  connectTimeoutMs: number;
  /** Limit for every call, for a Redis that is connected but does not answer. */
  commandTimeoutMs: number;
  /**
   * Limit for the health `PING`. No shorter than a command's: the ping waits in the same queue as
   * the commands, so under a burst a shorter limit would close the doors (503) while the store
   * still answers every command in time.
   */
  pingTimeoutMs: number;
}

export const defaultRedisTimeouts: RedisTimeouts = {
  connectTimeoutMs: 3000,
  commandTimeoutMs: 3000,
  pingTimeoutMs: 3000,
};

export interface RedisConnection {
  keyv: Keyv;
  client: RedisClient;
  /**
   * What `@keyv/redis` puts before every key: `<namespace>::`. Commands we send ourselves
   * (`SET NX` for claims, `SCAN` for keys) must use it so `get` sees the same keys.
   */
  keyPrefix: string;
  timeouts: RedisTimeouts;
  /** A new connection for pub/sub, connected (Redis needs one of its own for subscribing). */
  openSubscriber: () => Promise<RedisClient>;
}

/** Reconnect delays once we have been connected: 100 ms doubling up to 2 s, with jitter. */
function backoff(retries: number): number {
  return Math.min(100 * 2 ** retries, 2000) + Math.floor(Math.random() * 100);
}

/**
 * Connects to Redis and returns a keyv instance bound to `namespace`.
 * Throws `BridgeError('store_unavailable', 'Cannot reach Redis at <url>: <reason>')`.
 */
export async function connectRedis(
  url: string,
  namespace: string,
  logger?: Logger,
  timeouts: RedisTimeouts = defaultRedisTimeouts,
): Promise<RedisConnection> {
  const safeUrl = redactUrl(url);
  const client = buildClient(url, timeouts, logger, 'redis');

  const adapter = new KeyvRedis<string>(client, {
    namespace,
    // Make failed commands throw instead of resolving `undefined`/`false`.
    throwOnErrors: true,
    throwOnConnectError: true,
    // Used only if the adapter itself has to (re)connect a closed client; bounds that wait too.
    connectionTimeout: timeouts.connectTimeoutMs,
  });
  const keyv = new Keyv(adapter, {
    namespace,
    // `@keyv/redis` already prefixes `<namespace>::`; keyv's own `<namespace>:` prefix would
    // double it (this is what `createKeyv` does too).
    useKeyPrefix: false,
    throwOnErrors: true,
    serialize: jsonSerialize,
    deserialize: jsonDeserialize,
  });
  // Keyv re-emits every adapter error as an event as well. Callers already get them as
  // exceptions (`throwOnErrors`) and the client listener above logs outages, so drop the copies.
  keyv.on('error', () => undefined);

  try {
    await connectWithin(client, timeouts.connectTimeoutMs + timeouts.commandTimeoutMs);
  } catch (e) {
    throw storeUnavailable(`Cannot reach Redis at ${safeUrl}: ${describeError(e)}`, e, { url: safeUrl });
  }

  const openSubscriber = async (): Promise<RedisClient> => {
    // Redis gives a connection that subscribes to nothing else: a second one, built like the
    // first. node-redis subscribes it again to every channel after a reconnect.
    const subscriber = buildClient(url, timeouts, logger, 'redis-subscriber');
    try {
      await connectWithin(subscriber, timeouts.connectTimeoutMs + timeouts.commandTimeoutMs);
    } catch (e) {
      throw storeUnavailable(`Cannot reach Redis at ${safeUrl} for pub/sub: ${describeError(e)}`, e, { url: safeUrl });
    }
    return subscriber;
  };

  return { keyv, client, keyPrefix: adapter.createKeyPrefix('', namespace), timeouts, openSubscriber };
}

/**
 * A node-redis client with bounded waits and one log line per outage (see the module's notes).
 * `store` names the connection in logs.
 */
function buildClient(url: string, timeouts: RedisTimeouts, logger: Logger | undefined, store: string): RedisClient {
  const safeUrl = redactUrl(url);
  let everReady = false;
  let healthy = false;

  const client: RedisClient = createClient({
    url,
    // While reconnecting, fail commands at once instead of queueing them until Redis returns.
    // (No `commandOptions.timeout`: node-redis drops that timer once a command is written to the
    // socket, so it does not bound the wait for a reply. `KeyvStore` puts its own deadline on
    // every call instead.)
    disableOfflineQueue: true,
    socket: {
      connectTimeout: timeouts.connectTimeoutMs,
      // The first connect fails fast (start-up should say "cannot reach Redis", not wait);
      // after that, keep reconnecting so a Redis restart heals without restarting the bridge.
      // `false` stops retrying and makes `connect()` reject with the socket error itself.
      // (Not `return cause`: node-redis checks `instanceof Error`, which is false for errors
      // from another realm, e.g. Node's own socket errors under jest, and then it silently
      // falls back to retrying forever.)
      reconnectStrategy: (retries) => (everReady ? backoff(retries) : false),
    },
  });

  // node-redis throws from its EventEmitter when 'error' has no listener; this one also keeps
  // logs to one line per outage instead of one per reconnect attempt.
  client.on('error', (err: unknown) => {
    if (!everReady) return; // start-up failures are reported by the thrown error
    if (healthy) {
      healthy = false;
      logger?.warn({ store, url: safeUrl, err: describeError(err) }, 'Redis connection lost; reconnecting');
    } else {
      logger?.debug({ store, url: safeUrl, err: describeError(err) }, 'Redis still unreachable');
    }
  });
  client.on('ready', () => {
    if (everReady && !healthy) logger?.info({ store, url: safeUrl }, 'Redis connection restored');
    everReady = true;
    healthy = true;
  });
  return client;
}

/**
 * `client.connect()` with a deadline. `connectTimeout` only covers the TCP connect: the handshake
 * node-redis sends next (`CLIENT SETINFO`, and `AUTH`/`SELECT` from the URL) carries no command
 * timeout, so a peer that accepts connections but never answers would keep `connect()` pending
 * forever. On the deadline the client is destroyed, which also stops its connect loop.
 */
async function connectWithin(client: RedisClient, ms: number): Promise<void> {
  const connecting = client.connect();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([connecting, deadline]);
  } catch (e) {
    connecting.catch(() => undefined); // settles later with a consequence of the destroy below
    if (client.isOpen) client.destroy();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
