/**
 * The offer asks the desk the user's chat would go to: its availability call carries the chat's
 * routing context, and a desk whose answer depends on it (the router) is cached per context.
 */
import { OfferView } from '../../../bots/core/offer-view';
import type { Availability, DeskRoutingContext } from '../../../bots/core/ports';
import { settings } from '../../helpers/core-builders';
import { FakeClock, FakeDesk, RecordingLogger } from '../../helpers/core-fakes';

class ContextDesk extends FakeDesk {
  readonly contexts: (DeskRoutingContext | undefined)[] = [];
  constructor(
    readonly availabilityByContext: boolean,
    private readonly answer: (context?: DeskRoutingContext) => Availability,
  ) {
    super();
  }
  override async checkAvailability(context?: DeskRoutingContext): Promise<Availability> {
    this.contexts.push(context);
    return this.answer(context);
  }
}

const offer = { type: 'offer' as const, offerId: 'o1', message: 'I can connect you.', unavailableMessage: 'I cannot connect you now.' };
const teams: DeskRoutingContext = { surface: 'teams', attributes: { region: 'US' } };
const slack: DeskRoutingContext = { surface: 'slack', attributes: { region: 'DE' } };

function view(desk: FakeDesk) {
  return new OfferView(
    {
      desk,
      clock: new FakeClock(),
      logger: new RecordingLogger(),
      settings: settings({ offer: { policy: 'availability', availabilityCacheSeconds: 15 } }),
    },
    (_key, call) => call(),
  );
}

describe('the offer and desk routing', () => {
  it('asks with the chat’s context and caches each context apart when the answer depends on it', async () => {
    const desk = new ContextDesk(true, (c) => ({ available: c?.surface === 'slack' }));
    const offers = view(desk);
    expect((await offers.view('a', offer, teams)).showButton).toBe(false);
    expect((await offers.view('b', offer, slack)).showButton).toBe(true);
    // Same context, attributes in another order: the cached answer.
    expect((await offers.view('c', offer, { surface: 'slack', attributes: { region: 'de' } })).showButton).toBe(true);
    expect(desk.contexts).toEqual([teams, slack]);
  });

  it('a single desk gets the context too, and one cached answer serves every chat', async () => {
    const desk = new ContextDesk(false, () => ({ available: true }));
    const offers = view(desk);
    await offers.view('a', offer, teams);
    await offers.view('b', offer, slack);
    expect(desk.contexts).toEqual([teams]);
  });
});
