/**
 * Many deadlines on one clock timer. The broker arms a queue timeout per waiting session; one
 * Node timer each (with its closures and handle) cost ~850 bytes of heap per queued session
 * (measured by the benchmark on Redis, where timers are all the broker keeps in process). Here
 * a deadline is one small entry (its id and time) in a map and a min-heap, and only the earliest
 * is on the clock. Whatever else the owner needs when one fires, it looks up by the id.
 */
import type { Clock, TimerHandle } from './ports';

interface Entry {
  id: string;
  at: number;
}

export class Deadlines {
  private readonly entries = new Map<string, Entry>();
  /** Min-heap by `at`. Cancelled or replaced entries stay until they surface (or a compaction). */
  private heap: Entry[] = [];
  private armed?: { at: number; handle: TimerHandle };

  constructor(
    private readonly clock: Clock,
    /** Called once per deadline reached, with its id. */
    private readonly fire: (id: string) => void,
  ) {}

  /** Arm (or move) the deadline `id`. */
  set(id: string, at: number): void {
    const entry: Entry = { id, at };
    this.entries.set(id, entry);
    this.push(entry);
    if (this.heap.length > 2 * this.entries.size + 1024) this.compact();
    if (!this.armed || at < this.armed.at) this.arm();
  }

  cancel(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Forget every deadline (they are re-armed from the store at the next start). */
  clear(): void {
    this.entries.clear();
    this.heap = [];
    this.armed?.handle.cancel();
    this.armed = undefined;
  }

  private arm(): void {
    this.armed?.handle.cancel();
    this.armed = undefined;
    while (this.heap.length > 0 && this.entries.get(this.heap[0].id) !== this.heap[0]) this.pop();
    if (this.heap.length === 0) return;
    const at = this.heap[0].at;
    const handle = this.clock.setTimer(Math.max(0, at - this.clock.now()), () => {
      this.armed = undefined;
      this.runDue();
    });
    this.armed = { at, handle };
  }

  private runDue(): void {
    const now = this.clock.now();
    const due: Entry[] = [];
    while (this.heap.length > 0 && this.heap[0].at <= now) {
      const top = this.pop();
      if (this.entries.get(top.id) === top) {
        this.entries.delete(top.id);
        due.push(top);
      }
    }
    this.arm();
    for (const e of due) this.fire(e.id);
  }

  private compact(): void {
    this.heap = [];
    for (const e of this.entries.values()) this.push(e);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].at <= h[i].at) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0];
    const last = h[h.length - 1]; // called on a non-empty heap only
    h.length -= 1;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].at < h[m].at) m = l;
        if (r < h.length && h[r].at < h[m].at) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}
