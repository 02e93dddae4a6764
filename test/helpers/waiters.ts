/**
 * What the fake servers (Bot Connector, Slack Web API, Slack Socket Mode) use to let a test wait
 * for something they record: the recording side calls `wake()` after each change, the test
 * side `waitFor(find)`, which resolves as soon as `find()` finds it, now or after a later change.
 */
export class Waiters {
  private readonly waiting = new Set<() => boolean>();

  /** Something was recorded: let every waiter look again. */
  wake(): void {
    for (const check of [...this.waiting]) check();
  }

  /**
   * The first value `find()` returns that is not undefined. Rejects after `timeoutMs` with the
   * error `describe()` words then (it may list what was recorded meanwhile).
   */
  waitFor<T>(find: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined) return false;
        this.waiting.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiting.delete(check);
        reject(new Error(describe()));
      }, timeoutMs);
      if (!check()) this.waiting.add(check);
    });
  }
}
