/**
 * The offer card as the policy decides it: the Start button shown, or hidden with the reason
 * and the fallback. Availability is the desk's, cached briefly so a burst of users asks once.
 */
import { asBridgeError } from './errors';
import { decideOffer, needsAvailability } from './policy';
import type { Clock, Desk, Logger } from './ports';
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

export class OfferView {
  private availability?: { available: Promise<boolean>; at: number };

  constructor(
    private readonly deps: OfferDeps,
    private readonly deskCall: DeskCall,
  ) {}

  async view(key: string, effect: Extract<Effect, { type: 'offer' }>) {
    const { offer, messages } = this.deps.settings;
    const decision = decideOffer({
      noAgentsReason: messages.noAgentsAvailable,
      hoursWording: messages.hours,
      policy: offer.policy,
      hours: offer.hours,
      now: this.deps.clock.now(),
      agentsAvailable: needsAvailability(offer.policy, offer.hours, this.deps.clock.now())
        ? await this.deskCall(key, () => this.agentsAvailable())
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
  private async agentsAvailable(): Promise<boolean> {
    const { clock, settings, desk, logger } = this.deps;
    const now = clock.now();
    const cached = this.availability;
    if (cached && now - cached.at < settings.offer.availabilityCacheSeconds * 1000) return cached.available;
    // Cache the question, not only the answer: a burst of offers then shares one desk call.
    const pending = (async () => (await desk.checkAvailability()).available)();
    const entry = { available: pending, at: now };
    this.availability = entry;
    try {
      return await pending;
    } catch (e) {
      if (this.availability === entry) this.availability = undefined;
      logger.warn({ err: asBridgeError(e), desk: desk.name }, 'availability check failed; using the configured default');
      return settings.offer.availabilityOnError === 'show';
    }
  }
}
