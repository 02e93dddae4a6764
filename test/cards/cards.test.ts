import type { CardView } from '../../bots/core/ports';
import { details, offer, waiting } from '../fixtures/card-views';
import { encodeCardAction, parseCardAction, startChatPayload } from '../../cards/actions';
import { renderAdaptiveCard, type AdaptiveCardJson } from '../../cards/adaptive';
import { defaultCardLabels } from '../../cards/labels';
import { viewFallbackText } from '../../cards/view-text';

type Element = { type: string; [key: string]: unknown };

/** Every element of the card body, depth first (through ColumnSets and Columns). */
function elements(card: AdaptiveCardJson): Element[] {
  const out: Element[] = [];
  const walk = (items: unknown): void => {
    if (!Array.isArray(items)) return;
    for (const item of items as Element[]) {
      out.push(item);
      walk(item.items);
      walk(item.columns);
    }
  };
  walk(card.body);
  return out;
}

const actions = (card: AdaptiveCardJson) => (card.actions ?? []) as Element[];
const texts = (card: AdaptiveCardJson) =>
  elements(card)
    .filter((e) => e.type === 'TextBlock')
    .map((e) => e.text as string);
const inputs = (card: AdaptiveCardJson) => elements(card).filter((e) => e.type.startsWith('Input.'));

describe('renderAdaptiveCard', () => {
  const all: CardView[] = [offer, details, waiting, { type: 'agentMessage', agent: { id: 'a1', name: 'Beth' }, text: 'Hi' }];

  it.each(all.map((v) => [v.type, v] as const))('renders %s as an Adaptive Card 1.5', (_type, view) => {
    const card = renderAdaptiveCard(view);
    expect(card.type).toBe('AdaptiveCard');
    expect(card.version).toBe('1.5');
    expect(card.fallbackText).toBe(viewFallbackText(view));
    // Nothing of the template language may survive expansion.
    expect(JSON.stringify(card)).not.toMatch(/\$when|\$data|\$\{/);
  });

  describe('offer', () => {
    it('shows the Start agent chat button with a payload that parses', () => {
      const card = renderAdaptiveCard(offer);
      expect(texts(card)).toEqual([offer.message]);
      expect(actions(card)).toHaveLength(1);
      const [start] = actions(card);
      expect(start).toMatchObject({ type: 'Action.Submit', title: 'Start agent chat' });
      expect(parseCardAction(start.data)).toEqual({ lab: 'startChat', offerId: 'offer-1' });
    });

    it('explains why when the button is hidden and offers the fallback link', () => {
      const card = renderAdaptiveCard({
        ...offer,
        showButton: false,
        hiddenReason: 'Agents are available Mon–Fri 08:00–17:00 PT.',
        fallback: { label: 'File a ticket', url: 'https://help.example.com/new' },
      });
      expect(texts(card)).toEqual([offer.message, 'Agents are available Mon–Fri 08:00–17:00 PT.']);
      expect(actions(card)).toEqual([{ type: 'Action.OpenUrl', title: 'File a ticket', url: 'https://help.example.com/new' }]);
    });

    it('has no actions at all when hidden without a fallback', () => {
      const card = renderAdaptiveCard({ ...offer, showButton: false, hiddenReason: 'No agents online.' });
      expect(card).not.toHaveProperty('actions');
    });

    it('drops every action and shows the status once the card no longer applies', () => {
      const card = renderAdaptiveCard({
        ...offer,
        showButton: false,
        fallback: { label: 'File a ticket', url: 'https://help.example.com/new' },
        status: { text: 'Chat started.' },
      });
      expect(card).not.toHaveProperty('actions');
      expect(texts(card)).toContain('Chat started.');
    });
  });

  describe('details', () => {
    it('asks for a required multiline description and a compact topic dropdown', () => {
      const card = renderAdaptiveCard(details);
      const [description, topic] = inputs(card);
      expect(description).toMatchObject({
        type: 'Input.Text',
        id: 'description',
        isMultiline: true,
        isRequired: true,
        errorMessage: defaultCardLabels.descriptionError,
      });
      expect(topic).toMatchObject({
        type: 'Input.ChoiceSet',
        id: 'topic',
        style: 'compact',
        isRequired: true,
        choices: [
          { title: 'Billing', value: 'billing' },
          { title: 'Hardware', value: 'hardware' },
        ],
      });
      const [submit] = actions(card);
      expect(submit).toMatchObject({ type: 'Action.Submit', title: 'Start chat' });
    });

    it('merges the input values into a payload that parses as submitDetails', () => {
      const [submit] = actions(renderAdaptiveCard(details));
      // What Teams sends back: the button's data plus each input's value keyed by its id.
      const clicked = { ...(submit.data as object), description: '  Printer jams  ', topic: 'hardware' };
      expect(parseCardAction(clicked)).toEqual({
        lab: 'submitDetails',
        offerId: 'offer-1',
        description: 'Printer jams',
        topic: 'hardware',
      });
    });

    it('makes the topic optional when not required, and omits it when there are no topics', () => {
      const optional = inputs(renderAdaptiveCard({ ...details, topicRequired: false }));
      expect(optional.find((i) => i.id === 'topic')).toMatchObject({ isRequired: false });

      const none = inputs(renderAdaptiveCard({ ...details, topics: [], topicRequired: true }));
      expect(none.map((i) => i.id)).toEqual(['description']);
    });

    it('topic-only (the problem is already described): the prompt and the required topic, no description input', () => {
      const card = renderAdaptiveCard({ ...details, prompt: 'Which topic is this about?', topicOnly: true });
      expect(inputs(card).map((i) => [i.id, i.isRequired])).toEqual([['topic', true]]);
      expect(texts(card)).toEqual(['Which topic is this about?']);
      const [submit] = actions(card);
      // What Teams sends back: no description, the topic chosen.
      expect(parseCardAction({ ...(submit.data as object), topic: 'billing' })).toEqual({
        lab: 'submitDetails',
        offerId: 'offer-1',
        description: '',
        topic: 'billing',
      });
      // Without topics there is nothing to ask but the description.
      expect(inputs(renderAdaptiveCard({ ...details, topics: [], topicOnly: true })).map((i) => i.id)).toEqual(['description']);
    });

    it('drops inputs and the submit button once submitted', () => {
      const card = renderAdaptiveCard({ ...details, status: { text: 'Thanks, connecting you now.' } });
      expect(inputs(card)).toEqual([]);
      expect(card).not.toHaveProperty('actions');
      expect(texts(card)).toEqual([details.prompt, 'Thanks, connecting you now.']);
    });
  });

  describe('waiting', () => {
    it('shows the title, the waiting line, the estimate and a Cancel button', () => {
      const card = renderAdaptiveCard(waiting);
      expect(texts(card)).toEqual(['My laptop will not boot', 'Waiting for an agent…', 'Estimated wait: about 3 min.']);
      const [cancel] = actions(card);
      expect(cancel).toMatchObject({ type: 'Action.Submit', title: 'Cancel' });
      expect(parseCardAction(cancel.data)).toEqual({ lab: 'cancel', sessionId: 'sess-1' });
    });

    it('leaves the estimate out when the desk gives none, and never says "0 min"', () => {
      const { estimatedWaitSeconds: _omit, ...noEstimate } = waiting;
      expect(texts(renderAdaptiveCard(noEstimate))).toEqual(['My laptop will not boot', 'Waiting for an agent…']);
      expect(texts(renderAdaptiveCard({ ...waiting, estimatedWaitSeconds: 5 }))).toContain('Estimated wait: about 1 min.');
    });

    it('replaces the waiting line and Cancel with the status', () => {
      const card = renderAdaptiveCard({ ...waiting, status: { text: 'Beth joined the chat.' } });
      expect(card).not.toHaveProperty('actions');
      expect(texts(card)).toEqual(['My laptop will not boot', 'Beth joined the chat.']);
    });
  });

  describe('agent message', () => {
    const view = {
      type: 'agentMessage' as const,
      agent: { id: 'a1', name: 'Beth', avatarUrl: 'https://desk.example.com/beth.png' },
      text: 'Can you restart the laptop?',
    };

    it('shows the avatar, the name and the text', () => {
      const card = renderAdaptiveCard(view);
      const image = elements(card).find((e) => e.type === 'Image');
      expect(image).toMatchObject({ url: 'https://desk.example.com/beth.png', style: 'Person', altText: 'Beth' });
      expect(texts(card)).toEqual(['Beth', 'Can you restart the laptop?']);
      expect(card).not.toHaveProperty('actions');
    });

    it('leaves the avatar out when turned off, missing, or not HTTPS', () => {
      const hasImage = (c: AdaptiveCardJson) => elements(c).some((e) => e.type === 'Image');
      expect(hasImage(renderAdaptiveCard(view, { showAvatars: false }))).toBe(false);
      expect(hasImage(renderAdaptiveCard({ ...view, agent: { id: 'a1', name: 'Beth' } }))).toBe(false);
      expect(hasImage(renderAdaptiveCard({ ...view, agent: { ...view.agent, avatarUrl: 'http://x/a.png' } }))).toBe(false);
    });
  });

  it('shows user and agent text literally, never evaluating it as a template expression', () => {
    const sneaky = '${1+1} ${labels.startChat} ${string(offerId)} $root {{DATE(x)}}';
    const card = renderAdaptiveCard({ ...offer, message: sneaky, offerId: '${evil}' });
    expect(texts(card)[0]).toBe(sneaky);
    expect(parseCardAction(actions(card)[0].data)).toEqual({ lab: 'startChat', offerId: '${evil}' });

    const topics = inputs(renderAdaptiveCard({ ...details, topics: [{ id: '${id}', label: '${label}' }] }));
    expect(topics[1].choices).toEqual([{ title: '${label}', value: '${id}' }]);

    const agent = renderAdaptiveCard({ type: 'agentMessage', agent: { id: 'a', name: '${agentName}' }, text: '${text}' });
    expect(texts(agent)).toEqual(['${agentName}', '${text}']);
  });

  it('renders the same card twice (templates are not mutated by expansion)', () => {
    expect(renderAdaptiveCard(details)).toEqual(renderAdaptiveCard(details));
    renderAdaptiveCard({ ...details, status: { text: 'done' } });
    expect(inputs(renderAdaptiveCard(details))).toHaveLength(2);
  });

  it('uses the labels it is given', () => {
    const card = renderAdaptiveCard(offer, { labels: { ...defaultCardLabels, startChat: 'Mit Agent chatten' } });
    expect(actions(card)[0].title).toBe('Mit Agent chatten');
  });
});

describe('parseCardAction', () => {
  it('accepts each of our payloads, as an object or its JSON string', () => {
    expect(parseCardAction({ lab: 'startChat', offerId: 'o' })).toEqual({ lab: 'startChat', offerId: 'o' });
    expect(parseCardAction({ lab: 'cancel', sessionId: 's' })).toEqual({ lab: 'cancel', sessionId: 's' });
    expect(parseCardAction(encodeCardAction(startChatPayload('o')))).toEqual({ lab: 'startChat', offerId: 'o' });
  });

  it('treats an empty optional topic as not given and a missing description as empty', () => {
    expect(parseCardAction({ lab: 'submitDetails', offerId: 'o', topic: '' })).toEqual({
      lab: 'submitDetails',
      offerId: 'o',
      description: '',
      topic: undefined,
    });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['plain text', 'hello'],
    ['broken JSON', '{"lab":'],
    ['another bot payload', { action: 'startChat', offerId: 'o' }],
    ['an unknown action', { lab: 'deleteEverything', offerId: 'o' }],
    ['a missing id', { lab: 'startChat' }],
    ['an empty id', { lab: 'cancel', sessionId: '  ' }],
    ['an oversized id', { lab: 'cancel', sessionId: 'x'.repeat(201) }],
    ['a non-string input', { lab: 'submitDetails', offerId: 'o', description: { $ne: 1 } }],
  ])('rejects %s', (_name, value) => {
    expect(parseCardAction(value)).toBeUndefined();
  });
});

describe('viewFallbackText', () => {
  it('summarises each view in plain text', () => {
    expect(viewFallbackText(offer)).toBe('I can connect you with a live agent.');
    expect(
      viewFallbackText({
        ...offer,
        showButton: false,
        hiddenReason: 'No agents online.',
        fallback: { label: 'File a ticket', url: 'https://help.example.com/new' },
      }),
    ).toBe('I can connect you with a live agent.\nNo agents online.\nFile a ticket: https://help.example.com/new');
    expect(viewFallbackText(waiting)).toBe('My laptop will not boot\nWaiting for an agent…\nEstimated wait: about 3 min.');
    expect(viewFallbackText({ ...details, status: { text: 'Sent.' } })).toBe(`${details.prompt}\nSent.`);
    expect(viewFallbackText({ type: 'agentMessage', agent: { id: 'a', name: 'Beth' }, text: 'Hi' })).toBe('Beth: Hi');
  });
});
