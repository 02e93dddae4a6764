/**
 * Loss and duplicate accounting: every message is registered when sent and counted when it
 * arrives at the far end. A message counts as sent only once its sender got a success answer;
 * a refused send is an error, never silently dropped from the books.
 */
import { performance } from 'node:perf_hooks';

export interface LedgerSummary {
  name: string;
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  sendErrors: number;
  outOfOrder: number;
  ok: boolean;
  examples: string[];
}

export class Ledger {
  private readonly sentAt = new Map<string, number>();
  private readonly seen = new Map<string, number>();
  private readonly waiters = new Map<string, () => void>();
  private readonly lastSeq = new Map<string, number>();
  private readonly errors: string[] = [];
  private unexpected = 0;
  private duplicates = 0;
  private outOfOrder = 0;
  /** Generator-observed delivery times (ms from send start to arrival at the far end). */
  readonly endToEnd: number[] = [];
  firstSentAt = Infinity;
  lastDeliveredAt = 0;
  delivered = 0;

  constructor(readonly name: string) {}

  /** Register a message about to be sent; returns a promise for its delivery. */
  expect(tag: string): Promise<void> {
    const now = performance.now();
    this.sentAt.set(tag, now);
    if (now < this.firstSentAt) this.firstSentAt = now;
    return new Promise<void>((resolve) => {
      if (this.seen.has(tag)) resolve();
      else this.waiters.set(tag, resolve);
    });
  }

  /** The sender was told the message was not taken. */
  sendFailed(tag: string, reason: string): void {
    this.sentAt.delete(tag);
    const w = this.waiters.get(tag);
    this.waiters.delete(tag);
    this.errors.push(`${tag}: ${reason}`);
    w?.();
  }

  /** The far end saw `tag`. Returns false for duplicates and strangers. */
  receive(tag: string, at = performance.now()): boolean {
    const sent = this.sentAt.get(tag);
    if (sent === undefined) {
      this.unexpected += 1;
      return false;
    }
    const count = (this.seen.get(tag) ?? 0) + 1;
    this.seen.set(tag, count);
    if (count > 1) {
      this.duplicates += 1;
      return false;
    }
    this.delivered += 1;
    this.lastDeliveredAt = Math.max(this.lastDeliveredAt, at);
    this.endToEnd.push(at - sent);
    // Tags are `<dir><chat>.<seq>`: per chat, sequence numbers must arrive in increasing order.
    const dot = tag.indexOf('.');
    const chat = tag.slice(0, dot);
    const seq = Number(tag.slice(dot + 1));
    if ((this.lastSeq.get(chat) ?? -1) > seq) this.outOfOrder += 1;
    this.lastSeq.set(chat, Math.max(seq, this.lastSeq.get(chat) ?? -1));
    const w = this.waiters.get(tag);
    if (w) {
      this.waiters.delete(tag);
      w();
    }
    return true;
  }

  get pending(): number {
    return this.sentAt.size - this.delivered;
  }

  /** Messages per second from the first send to the last delivery. */
  rate(): number {
    const ms = this.lastDeliveredAt - this.firstSentAt;
    return ms > 0 ? (this.delivered / ms) * 1000 : 0;
  }

  summary(): LedgerSummary {
    const lost = [...this.sentAt.keys()].filter((t) => !this.seen.has(t));
    const ok = lost.length === 0 && this.duplicates === 0 && this.unexpected === 0 && this.errors.length === 0 && this.outOfOrder === 0;
    return {
      name: this.name,
      sent: this.sentAt.size,
      delivered: this.delivered,
      lost: lost.length,
      duplicated: this.duplicates,
      unexpected: this.unexpected,
      sendErrors: this.errors.length,
      outOfOrder: this.outOfOrder,
      ok,
      examples: [...lost.slice(0, 5).map((t) => `lost ${t}`), ...this.errors.slice(0, 5)],
    };
  }

  /** Resolves when nothing is pending, or after `idleMs` without progress. */
  async settle(idleMs: number): Promise<void> {
    let last = -1;
    let lastChange = performance.now();
    while (this.pending > 0) {
      if (this.delivered !== last) {
        last = this.delivered;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > idleMs) {
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
