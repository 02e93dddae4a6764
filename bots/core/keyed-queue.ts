/**
 * Runs jobs strictly one after another per key, and keys in parallel. One user's events are
 * therefore applied in the order they arrived, while other users are not held up.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Queue `job` behind earlier jobs of `key`; resolves or rejects with the job's own outcome. */
  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(job);
    // The chain must survive a failed job, or every later job of the key would be skipped.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.tails.size;
  }

  /** Resolves when every job queued so far (and any they queue meanwhile) has finished. */
  async drain(): Promise<void> {
    while (this.tails.size > 0) {
      await Promise.all([...this.tails.values()]);
    }
  }
}
