/**
 * Which users were last shown "… is typing" by this process, so the surface can take it back
 * (`typing { on: false }`) when the bot or an agent next says something. Per process, like the
 * event streams it writes to. Bounded: a user who never hears from the bot again (the state
 * expired) is forgotten oldest first, and then only loses a redundant "stop".
 */
export class TypingShown {
  private readonly users = new Set<string>();

  constructor(private readonly max = 10_000) {}

  shown(userId: string): void {
    this.users.delete(userId); // re-insert: the Set's order is oldest first
    this.users.add(userId);
    if (this.users.size > this.max) this.users.delete(this.users.values().next().value as string);
  }

  /** Forget the user; true when typing was being shown to them. */
  clear(userId: string): boolean {
    return this.users.delete(userId);
  }

  get size(): number {
    return this.users.size;
  }
}
