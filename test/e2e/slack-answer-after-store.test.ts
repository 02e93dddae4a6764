/**
 * Over HTTP, Slack is answered only once the event is in the store: an event the bridge cannot
 * persist gets a 5xx (Slack retries it) instead of a 200 that would drop it, and the retry, once
 * the store takes writes again, is handled once.
 */
import { storeUnavailable } from '../../adapters/store/errors';
import { hasButton, postToSlackEndpoint, startSlackHarness, type SlackHarness } from '../helpers/slack-harness';
import { eventually } from '../helpers/eventually';

describe('Slack events are answered after they are stored', () => {
  let h: SlackHarness;

  beforeEach(async () => {
    h = await startSlackHarness();
  });

  afterEach(async () => {
    await h.close();
  });

  it('answers 5xx while the inbox cannot be written, and takes the retry once it can', async () => {
    const user = h.slackUser();
    const store = h.bridge.store;
    const appendIfNew = store.appendIfNew.bind(store);
    // The store answers pings (so the door's health gate lets the request in) but refuses the
    // write that persists the event: the window between acknowledging and persisting.
    let failing = true;
    store.appendIfNew = (async (...args: Parameters<typeof appendIfNew>) => {
      if (failing) throw storeUnavailable('Redis: the connection was lost during appendIfNew');
      return appendIfNew(...args);
    }) as typeof store.appendIfNew;

    const { body } = user.messageEnvelope('I need to talk to an agent');
    const first = await postToSlackEndpoint(h.url, JSON.stringify(body), 'application/json');
    expect(first.status).toBe(503);
    expect(first.json?.error?.code).toBe('store_unavailable');

    failing = false;
    // Slack's retry carries the same envelope (same event id).
    const retry = await postToSlackEndpoint(h.url, JSON.stringify(body), 'application/json', {
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_error' },
    });
    expect(retry.status).toBe(200);
    await eventually(() => expect(user.messages().filter(hasButton('lab_start_chat'))).toHaveLength(1));
    // And a second retry is a duplicate: still one offer.
    expect(
      (
        await postToSlackEndpoint(h.url, JSON.stringify(body), 'application/json', {
          headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_error' },
        })
      ).status,
    ).toBe(200);
    await h.bridge.broker.idle();
    expect(user.messages().filter(hasButton('lab_start_chat'))).toHaveLength(1);
  });
});
