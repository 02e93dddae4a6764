/**
 * Running a transition's effects through the ports, in order: each by its handler
 * (`effect-handlers.ts`: sends to users, desk calls, broadcast cards, timers); the follow-up
 * events a handler answers with (a card's ref, `deskOpenFailed`, `deskSendFailed`) are applied at
 * once, and their effects run before the next one.
 *
 * Desk calls are marked (`deskCall`) so the broker can tell a desk's report from inside a call it
 * is making for that user (which must not wait for the user's inbox: it would wait on itself)
 * from a report from anywhere else (which waits, so a failure to reach the user is reported).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { broadcastKeys, type BroadcastMessage } from './broadcast-message';
import { type EffectHandler, effectHandlers, type EffectTools } from './effect-handlers';
import { BridgeError, ErrorCode } from './errors';
import { FileRelay } from './file-relay';
import type { FileVault } from './file-vault';
import { OfferView } from './offer-view';
import type { Clock, Desk, Logger, Store, Surface, SurfaceKind } from './ports';
import { transition, type Conversation, type Effect, type InternalEvent, type TransitionContext } from './session';
import type { CoreSettings } from './settings';

/** What effects run against: the ports and settings a broker is built with. */
export interface BrokerPorts {
  store: Store;
  desk: Desk;
  surfaces: Partial<Record<SurfaceKind, Surface>>;
  clock: Clock;
  logger: Logger;
  settings: CoreSettings;
  /** Where files in flight are kept and served from. */
  files: FileVault;
}

/** The broker's ports, plus the parts of the broker that effects drive. */
export interface EffectDeps extends BrokerPorts {
  context: () => TransitionContext;
  /** Queue timeouts (`startTimer`/`cancelTimer`), kept by the broker. */
  armTimer: (sessionId: string, at: number) => void;
  cancelTimer: (sessionId: string) => void;
}

export class EffectRunner implements EffectTools {
  /**
   * The desk call the current async context is inside of. A token rather than the key: work a
   * desk starts during a call inherits the context but runs after the call is done, and then
   * reports like any other caller.
   */
  private readonly deskContext = new AsyncLocalStorage<{ key: string; done: boolean }>();
  readonly offers: OfferView;
  readonly files: FileRelay;

  constructor(readonly deps: EffectDeps) {
    this.offers = new OfferView(deps, (key, call) => this.deskCall(key, call));
    this.files = new FileRelay(deps);
  }

  /** Whether the caller runs inside a desk call the broker is making for `key` right now. */
  insideDeskCall(key: string): boolean {
    const inside = this.deskContext.getStore();
    return !!inside && inside.key === key && !inside.done;
  }

  /** Run effects in order; events they produce (a sent card's ref, a failure) are applied at once. */
  async runAll(state: Conversation, effects: Effect[], failures: BridgeError[]): Promise<Conversation> {
    let latest = state;
    for (const effect of effects) latest = await this.run(latest, effect, failures);
    return latest;
  }

  private async run(state: Conversation, effect: Effect, failures: BridgeError[]): Promise<Conversation> {
    const followUps = await this.execute(state, effect, failures);
    let next = state;
    for (const event of followUps) {
      const result = transition(next, { source: 'internal', event }, this.deps.context());
      next = result.state;
      for (const more of result.effects) next = await this.run(next, more, failures);
    }
    return next;
  }

  /** One effect, by its handler (`effect-handlers.ts`). */
  private execute(state: Conversation, effect: Effect, failures: BridgeError[]): Promise<InternalEvent[]> {
    // The table is keyed by effect type, so each handler gets its own kind of effect.
    const handle = effectHandlers[effect.type] as EffectHandler<Effect>;
    return handle(this, state, effect, failures);
  }

  async broadcastMessage(id: string): Promise<BroadcastMessage | undefined> {
    return (await this.deps.store.get<{ message: BroadcastMessage }>(broadcastKeys.record(id)))?.message;
  }

  /** Resolves with the promise's value, or 'timeout' once the clock passes `at`. */
  beforeDeadline<T>(work: Promise<T>, at: number): Promise<T | 'timeout'> {
    return new Promise<T | 'timeout'>((resolve, reject) => {
      const timer = this.deps.clock.setTimer(Math.max(0, at - this.deps.clock.now()), () => resolve('timeout'));
      work.then(
        (v) => {
          timer.cancel();
          resolve(v);
        },
        (e) => {
          timer.cancel();
          reject(e);
        },
      );
    });
  }

  surface(state: Pick<Conversation, 'surface'>): Surface {
    const surface = this.deps.surfaces[state.surface];
    if (!surface) throw new BridgeError(ErrorCode.SurfaceUnavailable, `The ${state.surface} surface is not configured`);
    return surface;
  }

  /**
   * Call the desk on behalf of `key`'s running job, marked for `insideDeskCall` until the call
   * settles (or the broker stops waiting for it: `beforeDeadline` inside `call`).
   */
  async deskCall<T>(key: string, call: () => Promise<T>): Promise<T> {
    // AsyncLocalStorage costs a few percent of CPU (promise hooks) on Node 20; it buys telling a
    // desk's own callback apart from a concurrent event, which exact delivery reports need.
    const token = { key, done: false };
    try {
      return await this.deskContext.run(token, call);
    } finally {
      token.done = true;
    }
  }
}
