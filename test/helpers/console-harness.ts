/**
 * A running console for tests: ConsoleDesk on an in-memory store, its router mounted at
 * `/console` on a real express app listening on an ephemeral port, and one HTTP client per agent.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type { Clock, DeskEvent, DeskEventSink, Logger } from '../../bots/core/ports';
import type { ConsoleAgentSettings } from '../../adapters/desks/console/config';
import { ConsoleDesk } from '../../adapters/desks/console/desk';
import type { ConsoleFileLimits } from '../../adapters/desks/console/agent-files';
import { FileVault } from '../../bots/core/file-vault';
import { mountFiles } from '../../bots/http/files';
import { createConsoleRouter } from '../../adapters/desks/console/routes';
import { ConsoleAgentClient } from './console-agent';
import { RecordingStore } from './recording-store';

export const TEST_AGENTS: Required<Pick<ConsoleAgentSettings, 'id' | 'name' | 'token'>>[] = [
  { id: 'beth', name: 'Beth Ortiz', token: 'beth-token-0123456789abcdef' },
  { id: 'sam', name: 'Sam Lee', token: 'sam-token-0123456789abcdef' },
  { id: 'kim', name: 'Kim Park', token: 'kim-token-0123456789abcdef' },
];

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg?: string;
}

/** Keeps log lines so tests can look at them (and check no token leaks into them). */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  debug(obj: object, msg?: string) {
    this.entries.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg?: string) {
    this.entries.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string) {
    this.entries.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string) {
    this.entries.push({ level: 'error', obj, msg });
  }
  text(): string {
    return this.entries.map((e) => `${e.level} ${e.msg ?? ''} ${safeJson(e.obj)}`).join('\n');
  }
}

function safeJson(obj: object): string {
  try {
    return JSON.stringify(obj, (_k, v) => (v instanceof Error ? { message: v.message, stack: v.stack } : v));
  } catch {
    return String(obj);
  }
}

/** Real time, with timers that never keep jest alive. */
export const testClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export interface ConsoleHarnessOptions {
  agents?: ConsoleAgentSettings[];
  recentChatsHours?: number;
  clock?: Clock;
  /** Started with this sink unless `start: false`. Defaults to one that records events. */
  sink?: DeskEventSink;
  start?: boolean;
  /** Agents may send files: a FileVault on the same store, served at `/files` by the same app. */
  files?: Partial<ConsoleFileLimits> & { ttlMs?: number };
  /** Share a store with another harness, as two processes share Redis. */
  store?: RecordingStore;
}

export interface ConsoleHarness {
  desk: ConsoleDesk;
  store: RecordingStore;
  logger: RecordingLogger;
  /** Events the default sink recorded. */
  events: DeskEvent[];
  /** Set when `files` was given. */
  vault?: FileVault;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** `http://127.0.0.1:<port>/console` */
  baseUrl: string;
  client(agentIndex?: number): ConsoleAgentClient;
  close(): Promise<void>;
}

export async function startConsoleHarness(options: ConsoleHarnessOptions = {}): Promise<ConsoleHarness> {
  const clock = options.clock ?? testClock;
  const agents = options.agents ?? TEST_AGENTS;
  const store = options.store ?? new RecordingStore(() => clock.now());
  const logger = new RecordingLogger();
  let origin = '';
  const vault = options.files
    ? new FileVault(store, { ttlMs: options.files.ttlMs ?? 60 * 60 * 1000, baseUrl: () => origin, now: () => clock.now() })
    : undefined;
  const desk = new ConsoleDesk({
    store,
    clock,
    logger,
    settings: { agents, recentChatsHours: options.recentChatsHours ?? 24 },
    ...(vault
      ? {
          files: vault,
          fileLimits: { maxBytes: options.files?.maxBytes ?? 20 * 1024 * 1024, allowedTypes: options.files?.allowedTypes ?? [] },
        }
      : {}),
  });
  const events: DeskEvent[] = [];
  if (options.start !== false) {
    await desk.start(
      options.sink ??
        (async (e) => {
          events.push(e);
        }),
    );
  }

  const app = express();
  app.use('/console', createConsoleRouter(desk, { store }));
  if (vault) mountFiles(app, { vault });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  const baseUrl = `${origin}/console`;
  const tokens = agents.map((a) => a.token);
  if (desk.generatedAgent) tokens.splice(0, tokens.length, desk.generatedAgent.token);

  return {
    desk,
    store,
    logger,
    events,
    vault,
    origin,
    baseUrl,
    client(agentIndex = 0) {
      const token = tokens[agentIndex];
      if (!token) throw new Error(`no console agent #${agentIndex}`);
      return new ConsoleAgentClient(baseUrl, token);
    },
    async close() {
      await desk.stop();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}
