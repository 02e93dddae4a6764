/**
 * The offer card as the policy decides it: the Start button shown, or hidden with the reason
 * and the fallback. Availability is the desk's, cached briefly so a burst of users asks once.
 */
import { asBridgeError } from './errors';
import { decideOffer, needsAvailability } from './policy';
import type { Clock, Desk, DeskRoutingContext, Logger } from './ports';
import type { Effect } from './session';
import type { CoreSettings } from './settings';

interface OfferDeps {
  desk: Desk;
  clock: Clock;
  logger: Logger;
  settings: CoreSettings;
}

/** Runs a desk call on behalf of a user's running job (see `EffectRunner.deskCall`). */
type DeskCall = <T>(key: string, call: () => Promise<T>) => Promise<T>;

/** Distinct contexts cached at once; past it the oldest go (contexts are few: surfaces x locales). */
const MAX_CACHED_CONTEXTS = 256;

export class OfferView {
  /** By routing context when the desk's answer depends on it (several desks); else one entry. */
  private readonly availability = new Map<string, { available: Promise<boolean>; at: number }>();

  constructor(
    private readonly deps: OfferDeps,
    private readonly deskCall: DeskCall,
  ) {}

  /** `context`: the chat's routing context, so the desk asked is the one the chat would go to. */
  async view(key: string, effect: Extract<Effect, { type: 'offer' }>, context?: DeskRoutingContext) {
    const { offer, messages } = this.deps.settings;
    const decision = decideOffer({
      noAgentsReason: messages.noAgentsAvailable,
      hoursWording: messages.hours,
      policy: offer.policy,
      hours: offer.hours,
      now: this.deps.clock.now(),
      agentsAvailable: needsAvailability(offer.policy, offer.hours, this.deps.clock.now())
        ? await this.deskCall(key, () => this.agentsAvailable(context))
        : undefined,
    });
    return {
      type: 'offer' as const,
      offerId: effect.offerId,
      // One coherent message: never "I can connect you" above "No agents are available".
      message: decision.show ? effect.message : effect.unavailableMessage,
      showButton: decision.show,
      hiddenReason: decision.reason,
      fallback: decision.show ? undefined : offer.fallback,
    };
  }

  /** The desk's availability, cached briefly so a burst of users asks the desk once. */
  private async agentsAvailable(context: DeskRoutingContext | undefined): Promise<boolean> {
    const { clock, settings, desk, logger } = this.deps;
    const now = clock.now();
    const cacheKey = context && desk.availabilityByContext ? contextKey(context) : '';
    const cached = this.availability.get(cacheKey);
    if (cached && now - cached.at < settings.offer.availabilityCacheSeconds * 1000) return cached.available;
    // Cache the question, not only the answer: a burst of offers then shares one desk call.
    const pending = (async () => (await (context ? desk.checkAvailability(context) : desk.checkAvailability())).available)();
    const entry = { available: pending, at: now };
    this.availability.delete(cacheKey); // re-inserted last: the Map's order is the age order
    this.availability.set(cacheKey, entry);
    for (const oldest of this.availability.keys()) {
      if (this.availability.size <= MAX_CACHED_CONTEXTS) break;
      this.availability.delete(oldest);
    }
    try {
      return await pending;
    } catch (e) {
      if (this.availability.get(cacheKey) === entry) this.availability.delete(cacheKey);
      logger.warn({ err: asBridgeError(e), desk: desk.name }, 'availability check failed; using the configured default');
      return settings.offer.availabilityOnError === 'show';
    }
  }
}

/** The same context always gives the same key, whatever order its attributes came in. */
function contextKey(context: DeskRoutingContext): string {
  const attributes = Object.keys(context.attributes)
    .sort()
    .map((k) => [k, context.attributes[k].toLowerCase()]);
  return JSON.stringify([context.topic ?? null, context.surface ?? null, attributes]);
}
