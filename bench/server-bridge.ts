/**
 * The bridge under test: built by the real composition root (`createBridge`) with a silent
 * logger, listening on an ephemeral loopback port, Bot Framework auth off (loopback only), the
 * built-in console as the desk, memory or Redis as the store, and (when asked) Slack with its
 * Web API at the generator's fake. Nothing in the bridge is replaced
 * or patched; the commands below only read and write through the public `Store` port and the
 * broker's own start-up path.
 */
import pino from 'pino';
import { KeyvStore } from '../adapters/store';
import { createBridge } from '../bots/app';
import { parseConfig } from '../config/load';
import { childConfig, runChild } from './lib/child-runtime';

export interface BridgeChildConfig {
  redisUrl?: string;
  namespace: string;
  /** The memory store's engine when there is no Redis (default: the store's own default). */
  memoryEngine?: 'map' | 'keyv';
  agents: { name: string; token: string }[];
  queueTimeoutSeconds: number;
  /** Slack on (HTTP mode at /slack/events), its Web API at a fake. */
  slack?: { botToken: string; signingSecret: string; apiUrl: string };
  /** Broadcast API settings (token, rates), when a scenario uses it. */
  broadcasts?: Record<string, unknown>;
  /** Another desk than the console: the one-desk shortcut (`desk: <system>`) with its settings. */
  desk?: { system: string; settings: Record<string, unknown> };
}

export interface StoreEntry {
  key: string;
  /** For a list (`list: true`), its items in order. */
  value: unknown;
  ttlMs: number;
  list?: boolean;
}

export interface SeedRequest {
  /** One set of entries per template session; ids listed in `ids` are rewritten per clone. */
  templates: { entries: StoreEntry[]; ids: string[]; sessionId: string }[];
  /** Clone numbers to create, [from, to). */
  from: number;
  to: number;
}

void runChild(async () => {
  const cfg = childConfig<BridgeChildConfig>();
  const config = parseConfig({
    server: { port: 0, host: '127.0.0.1', logLevel: 'silent' },
    store: { redisUrl: cfg.redisUrl, namespace: cfg.namespace, memoryEngine: cfg.memoryEngine },
    console: { agents: cfg.agents },
    bot: { queueTimeoutSeconds: cfg.queueTimeoutSeconds },
    ...(cfg.slack ? { slack: cfg.slack } : {}),
    ...(cfg.broadcasts ? { broadcasts: cfg.broadcasts } : {}),
    ...(cfg.desk ? { desk: cfg.desk.system, [cfg.desk.system]: cfg.desk.settings } : {}),
  });
  const bridge = await createBridge({ config, logger: pino({ level: 'silent' }) });
  const { url } = await bridge.listen();
  const { store } = bridge;

  return {
    url,
    info: { store: cfg.redisUrl ? 'redis' : 'memory' },
    stop: () => bridge.stop(),
    handlers: {
      /**
       * Every stored entry whose key or value mentions one of `ids` (a session's footprint).
       * Lists (`Store.append`) come back with `list: true` and their items.
       */
      snapshot: async ({ ids }: { ids: string[] }) => {
        const entries: { key: string; value: unknown; list?: boolean }[] = [];
        for (const key of await store.keys('')) {
          const entry = await store.get(key).then(
            (value) => ({ key, value }),
            async (e: unknown) => {
              // A key holding a list refuses `get` (see the Store port).
              if ((e as Error)?.name !== 'TypeError') throw e;
              return { key, value: await store.list(key), list: true };
            },
          );
          const text = key + JSON.stringify(entry.value);
          if (ids.some((id) => text.includes(id))) entries.push(entry);
        }
        return entries;
      },
      /** Write clones of template sessions through the Store port; returns bytes written. */
      seed: async (req: SeedRequest) => {
        let bytes = 0;
        const sessionIds: string[] = [];
        const batch: Promise<void>[] = [];
        for (let n = req.from; n < req.to; n++) {
          const template = req.templates[n % req.templates.length];
          const rewrite = (s: string) => {
            let out = s;
            for (const id of template.ids) out = out.split(id).join(cloneId(id, n));
            return out;
          };
          sessionIds.push(cloneId(template.sessionId, n));
          for (const e of template.entries) {
            const key = rewrite(e.key);
            const json = rewrite(JSON.stringify(e.value));
            bytes += key.length + json.length;
            if (e.list) {
              const items = JSON.parse(json) as unknown[];
              batch.push(
                (async () => {
                  for (const item of items) await store.append(key, item, e.ttlMs);
                })(),
              );
            } else {
              batch.push(store.set(key, JSON.parse(json), e.ttlMs));
            }
          }
          if (batch.length >= 512) await Promise.all(batch.splice(0));
        }
        await Promise.all(batch);
        // The console lists chats from one index entry; add the clones to it.
        const index = ((await store.get<string[]>('console:index')) ?? []).concat(sessionIds);
        await store.set('console:index', index, 14 * 24 * 3600 * 1000);
        return { bytes, sessions: req.to - req.from };
      },
      /** The broker's restart path: re-arm queue timeouts of every queued session in the store. */
      rearm: () => bridge.broker.start(),
      /** Memory engine: every key with the ms it has left (Infinity: no expiry); Redis is read by the parent (PTTL). */
      keyTtls: async () => {
        if (!(store instanceof KeyvStore) || store.engine !== 'memory') throw new Error('keyTtls reads the memory engine');
        const now = Date.now();
        const out: [string, number][] = [];
        for (const key of await store.keys('')) {
          const at = await store.expiresAt(key);
          if (at !== undefined) out.push([key, at - now]);
        }
        return out;
      },
      /** Keys per prefix (`conv`, `session`, `console:chat`, `dedupe`, ...). */
      keyCounts: async () => {
        const counts: Record<string, number> = {};
        for (const key of await store.keys('')) {
          const prefix = key.startsWith('console:') ? key.split(':').slice(0, 2).join(':') : key.split(':')[0];
          counts[prefix] = (counts[prefix] ?? 0) + 1;
        }
        return counts;
      },
    },
  };
});

/** Same length as the template id, so clones store exactly as many bytes. */
function cloneId(id: string, n: number): string {
  const suffix = n.toString(16).padStart(8, '0');
  return id.slice(0, id.length - suffix.length) + suffix;
}
