/**
 * Several desks behind the one `Desk` port the broker talks to. `openChat` picks the chat's desk
 * with the routing rules (desk-routing.ts): the rule's desk if it is available, else its
 * fallback in order; it remembers the choice in the Store (`desk-of:<sessionId>`, as long as a
 * conversation is kept), so every process forwards the chat's later calls to the same desk.
 * Events need no routing back: every desk reports to the broker's sink with our session id.
 */
import { deskCandidates, type DeskRoutingRule, routingContextOf } from './desk-routing';
import { asBridgeError, BridgeError, ErrorCode } from './errors';
import type {
  Availability,
  Desk,
  DeskEventSink,
  DeskRoutingContext,
  EndReason,
  Logger,
  OpenChatRequest,
  Store,
  UserMessage,
} from './ports';

export interface RoutedDesk {
  id: string;
  desk: Desk;
}

export interface DeskRouterOptions {
  /** In config order; the first is the default when no rule matches. */
  desks: RoutedDesk[];
  rules: readonly DeskRoutingRule[];
  store: Store;
  logger: Logger;
  /** How long the chat -> desk mark is kept: a conversation's retention (`bot.retentionDays`). */
  markTtlMs: number;
}

export const deskRouterKeys = {
  deskOf: (sessionId: string) => `desk-of:${sessionId}`,
};

export class DeskRouter implements Desk {
  readonly name: string;
  /** Chats in different contexts may go to different desks, so their answers differ. */
  readonly availabilityByContext = true;
  private readonly byId: Map<string, Desk>;
  private readonly defaultId: string;
  /**
   * Chats' desks this process has learnt, so a relayed message costs no Store read. A chat's desk
   * never changes once it is open (the mark is written before the desk hears of it), so a copy
   * cannot go stale; bounded, oldest dropped first.
   */
  private readonly known = new Map<string, string>();

  constructor(private readonly o: DeskRouterOptions) {
    if (o.desks.length === 0) throw new BridgeError(ErrorCode.ConfigInvalid, 'desk router: no desks');
    this.byId = new Map(o.desks.map((d) => [d.id, d.desk]));
    this.defaultId = o.desks[0].id;
    this.name = `routed(${o.desks.map((d) => d.id).join(',')})`;
  }

  /** The desks the router holds, by id (tests and the banner). */
  desk(id: string): Desk | undefined {
    return this.byId.get(id);
  }

  async start(sink: DeskEventSink): Promise<void> {
    for (const { desk } of this.o.desks) await desk.start(sink);
  }

  async stop(): Promise<void> {
    // Every desk gets its stop even when one fails; the first failure is reported after.
    const results = await Promise.allSettled(this.o.desks.map(({ desk }) => desk.stop()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** The availability of the desk a chat with `context` would go to (after its fallback). */
  async checkAvailability(context: DeskRoutingContext = { attributes: {} }): Promise<Availability> {
    const candidates = this.candidates(context);
    let unavailable: Availability | undefined;
    let error: unknown;
    for (const id of candidates) {
      try {
        const answer = await this.get(id).checkAvailability(context);
        if (answer.available) return answer;
        unavailable ??= answer;
      } catch (e) {
        error ??= e;
      }
    }
    // A desk that answered "nobody" is an answer; only when every desk failed is it an error.
    if (unavailable) return unavailable;
    throw error;
  }

  async openChat(request: OpenChatRequest): Promise<void> {
    const context = routingContextOf(request);
    const candidates = this.candidates(context);
    const id = await this.choose(candidates, context);
    const order = [id, ...candidates.filter((c) => c !== id)];
    let lastError: unknown;
    for (const candidate of order) {
      // Marked before the desk hears of the chat: its first event may come before openChat returns.
      await this.o.store.set(deskRouterKeys.deskOf(request.sessionId), candidate, this.o.markTtlMs);
      this.remember(request.sessionId, candidate);
      try {
        await this.get(candidate).openChat(request);
        return;
      } catch (e) {
        // Only "cannot take it" moves on: any other failure may have opened the chat there.
        if (asBridgeError(e).code !== ErrorCode.DeskUnavailable) throw e;
        lastError = e;
        this.o.logger.warn(
          { err: asBridgeError(e), sessionId: request.sessionId, desk: candidate },
          'desk refused the chat; trying the next',
        );
      }
    }
    throw lastError;
  }

  async sendMessage(sessionId: string, message: UserMessage): Promise<void> {
    return (await this.deskOf(sessionId)).sendMessage(sessionId, message);
  }

  async sendTyping(sessionId: string): Promise<void> {
    const desk = await this.deskOf(sessionId);
    await desk.sendTyping?.(sessionId);
  }

  async endChat(sessionId: string, reason: EndReason): Promise<void> {
    return (await this.deskOf(sessionId)).endChat(sessionId, reason);
  }

  private candidates(context: DeskRoutingContext): string[] {
    return deskCandidates(this.o.rules, context, this.defaultId);
  }

  /**
   * The first candidate that says it is available. With one candidate there is nothing to choose
   * (and no availability call to make); when none is, the rule's own desk takes the chat (a
   * console queues it until an agent signs in; a vendor desk says if it cannot).
   */
  private async choose(candidates: string[], context: DeskRoutingContext): Promise<string> {
    if (candidates.length === 1) return candidates[0];
    for (const id of candidates) {
      try {
        if ((await this.get(id).checkAvailability(context)).available) return id;
      } catch (e) {
        this.o.logger.warn({ err: asBridgeError(e), desk: id }, 'availability check failed; trying the fallback');
      }
    }
    return candidates[0];
  }

  /** The chat's desk; a chat without a mark (opened before routing was configured) is the default desk's. */
  private async deskOf(sessionId: string): Promise<Desk> {
    let id = this.known.get(sessionId);
    if (id === undefined) {
      id = await this.o.store.get<string>(deskRouterKeys.deskOf(sessionId));
      if (id !== undefined) this.remember(sessionId, id);
    }
    return (id !== undefined && this.byId.get(id)) || this.get(this.defaultId);
  }

  private remember(sessionId: string, id: string): void {
    this.known.delete(sessionId);
    if (this.known.size >= 10_000) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
    this.known.set(sessionId, id);
  }

  /** Ids come from the rules, which the config checked against the desks. */
  private get(id: string): Desk {
    const desk = this.byId.get(id);
    if (!desk) throw new BridgeError(ErrorCode.ConfigInvalid, `desk router: no desk with id "${id}"`);
    return desk;
  }
}
