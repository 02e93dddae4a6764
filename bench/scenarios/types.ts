/** The contract between the runner and its scenarios. */
import type { LedgerSummary } from '../lib/ledger';

export interface BenchOptions {
  /** Concurrent live chats in relay runs. */
  chats: number;
  /** Messages per chat per burst phase. */
  messages: number;
  /** Brokered messages per second (both directions together) in the open-loop latency phase. */
  rate: number;
  latencySeconds: number;
  /** Exchange bursts per server; the median one is the result (the others are shown). */
  rounds: number;
  /** Chats opened in parallel during setup. */
  setupConcurrency: number;
  /** Console agents (chats are spread over them round robin). */
  agents: number;
  /** Sockets the load generator keeps open to the server. */
  sockets: number;
  /** A phase ends with losses on the books after this long without any delivery. */
  idleMs: number;
  echoMode: 'turn' | 'proactive' | 'lean';
  /** The bridge's memory store engine in memory runs (adapters/store/memory-engine.ts). */
  memoryEngine: 'map' | 'keyv';
  redisUrl: string;
  /** Open sessions to measure memory at (seeded, see the memory scenario). */
  memorySessions: number[];
  /** Sessions opened through the real HTTP paths to validate the seeded measurement; 0 skips. */
  memoryReal: number;
  /** Broadcast fan-out: recipients (80% Teams, 20% Slack) and the configured rates of that run. */
  broadcastRecipients: number;
  broadcastRates: { teams: number; slack: number };
  /** Recipients of the second run at the shipped default rates, two broadcasts at once; 0 skips. */
  broadcastDefaultCheck: number;
  /** Scale-out scenario: bridge process counts on one Redis, each a configuration (default 1,2,3). */
  scaleProcesses: number[];
  /** Write CPU profiles of the bridge child (node --cpu-prof) and summarize them. */
  profile: boolean;
  outDir: string;
  only: string[];
  quiet: boolean;
}

export interface Target {
  name: string;
  goal: string;
  value: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

export interface ScenarioResult {
  name: string;
  title: string;
  status: 'ok' | 'failed' | 'skipped' | 'pending';
  /** Why skipped, pending or failed. */
  reason?: string;
  targets: Target[];
  /** Every ledger of the scenario: the loss/duplicate accounting. */
  accounting: LedgerSummary[];
  data: Record<string, unknown>;
  /** The scenario's section of the Markdown report. */
  markdown: string;
}

export interface ScenarioContext {
  options: BenchOptions;
  /** Results of scenarios that already ran in this invocation (a scenario may reuse them). */
  results: Map<string, ScenarioResult>;
  /** Scratch shared between scenarios (e.g. the in-memory relay run reused by the Redis ratio). */
  shared: Map<string, unknown>;
  log(message: string): void;
  /** Where CPU profiles go when profiling. */
  profileDir?: string;
}

export interface Scenario {
  name: string;
  title: string;
  /** Runs unless `--only` excludes it. */
  byDefault: boolean;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}
