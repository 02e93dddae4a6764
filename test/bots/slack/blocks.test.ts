/**
 * The Block Kit renderer: one description per card (the core's views), rendered for Slack the
 * way adaptive.ts renders it for Teams, within Slack's limits.
 */
import type { CardView } from '../../../bots/core/ports';
import { parseCardAction } from '../../../cards/actions';
import { BlockActionId, DETAILS_MODAL_CALLBACK_ID, renderBlocks, renderDetailsModal, type Block } from '../../../cards/blocks';
import { defaultCardLabels } from '../../../cards/labels';
import { viewFallbackText } from '../../../cards/view-text';
import { broadcast, details, offer, waiting } from '../../fixtures/card-views';

const buttons = (blocks: Block[]) => blocks.filter((b) => b.type === 'actions').flatMap((b) => (b as any).elements as any[]);
const statusOf = (blocks: Block[]) =>
  (blocks.find((b) => (b as any).block_id === 'lab_status') as any)?.elements[0].text as string | undefined;
const allText = (blocks: unknown): string[] => {
  const out: string[] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if ((o.type === 'plain_text' || o.type === 'mrkdwn') && typeof o.text === 'string') out.push(o.text);
    for (const v of Object.values(o)) if (typeof v === 'object') walk(v);
  };
  walk(blocks);
  return out;
};
const hasKeyDeep = (n: unknown, key: string): boolean =>
  Array.isArray(n)
    ? n.some((x) => hasKeyDeep(x, key))
    : !!n && typeof n === 'object' && (key in n || Object.values(n).some((v) => hasKeyDeep(v, key)));

describe('renderBlocks', () => {
  const all: CardView[] = [offer, details, waiting, { type: 'agentMessage', agent: { id: 'a1', name: 'Beth' }, text: 'Hi' }, broadcast];

  it.each(all.map((v) => [v.type, v] as const))('renders %s with fallback text and no disabled flags', (_type, view) => {
    const message = renderBlocks(view);
    expect(message.text.length).toBeGreaterThan(0);
    expect(message.blocks.length).toBeGreaterThan(0);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    // Slack rejects `disabled` on buttons with invalid_blocks.
    expect(hasKeyDeep(message.blocks, 'disabled')).toBe(false);
    for (const t of allText(message.blocks)) expect(t.length).toBeGreaterThan(0);
  });

  it('offer: the Start button carries the shared payload; status replaces it', () => {
    const open = renderBlocks(offer);
    expect(open.text).toBe(viewFallbackText(offer));
    const [start] = buttons(open.blocks);
    expect(start).toMatchObject({ action_id: BlockActionId.startChat, style: 'primary', text: { text: 'Start agent chat' } });
    expect(parseCardAction(start.value)).toEqual({ lab: 'startChat', offerId: 'offer-1' });

    const done = renderBlocks({ ...offer, showButton: false, status: { text: 'Chat started' } });
    expect(buttons(done.blocks)).toEqual([]);
    expect(statusOf(done.blocks)).toBe('Chat started');
  });

  it('offer: hidden by policy says why and offers the fallback link', () => {
    const hidden = renderBlocks({
      ...offer,
      showButton: false,
      hiddenReason: 'Agents are available Mon–Fri 08:00–17:00 PT.',
      fallback: { label: 'File a ticket', url: 'https://help.acme.example/new' },
    });
    expect(allText(hidden.blocks)).toContain('Agents are available Mon–Fri 08:00–17:00 PT.');
    const links = buttons(hidden.blocks);
    expect(links).toEqual([
      expect.objectContaining({ url: 'https://help.acme.example/new', text: expect.objectContaining({ text: 'File a ticket' }) }),
    ]);
    expect(links.some((b) => b.action_id === BlockActionId.startChat)).toBe(false);
  });

  it('core wording is plain_text: a stray * or <!channel> is shown as typed', () => {
    const tricky = renderBlocks({ ...offer, message: 'Use *stop chat* <!channel> to end' });
    const section = tricky.blocks[0] as any;
    expect(section.text).toEqual({ type: 'plain_text', text: 'Use *stop chat* <!channel> to end', emoji: true });
  });

  it('a topic-only form in a message: a "Choose a topic" button that opens the topic-only modal', () => {
    const open = renderBlocks({ ...details, topicOnly: true });
    const add = (open.blocks.find((b) => b.type === 'actions') as any).elements[0];
    expect(add).toMatchObject({ action_id: BlockActionId.addTopic, text: { text: 'Choose a topic' } });
    expect(parseCardAction(add.value)).toMatchObject({ lab: 'submitDetails', offerId: 'offer-1' });
  });

  it('details in a message: an "Add details" button that names the offer; status once sent', () => {
    const open = renderBlocks(details);
    const [add] = buttons(open.blocks);
    expect(add).toMatchObject({ action_id: BlockActionId.addDetails, text: { text: 'Add details' } });
    expect(parseCardAction(add.value)).toMatchObject({ lab: 'submitDetails', offerId: 'offer-1' });
    const sent = renderBlocks({ ...details, status: { text: 'Sent (Hardware)' } });
    expect(buttons(sent.blocks)).toEqual([]);
    expect(statusOf(sent.blocks)).toBe('Sent (Hardware)');
  });

  it('waiting: title, estimate and a Cancel button; a status line after', () => {
    const open = renderBlocks(waiting);
    expect(allText(open.blocks)).toEqual(
      expect.arrayContaining(['My laptop will not boot', 'Waiting for an agent… Estimated wait: about 3 min.']),
    );
    const [cancel] = buttons(open.blocks);
    expect(cancel.action_id).toBe(BlockActionId.cancel);
    expect(parseCardAction(cancel.value)).toEqual({ lab: 'cancel', sessionId: 'sess-1' });
    const ended = renderBlocks({ ...waiting, status: { text: 'Cancelled' } });
    expect(buttons(ended.blocks)).toEqual([]);
    expect(statusOf(ended.blocks)).toBe('Cancelled');
  });

  it('agent message: avatar (HTTPS only, when allowed), name, and text through the markdown converter', () => {
    const view: CardView = {
      type: 'agentMessage',
      agent: { id: 'a1', name: 'Beth', avatarUrl: 'https://cdn.example/beth.png' },
      text: '**Hi**',
    };
    const withAvatar = renderBlocks(view, { markdown: (md) => md.replace(/\*\*/g, '*') });
    expect(withAvatar.blocks[0]).toEqual({
      type: 'context',
      elements: [
        { type: 'image', image_url: 'https://cdn.example/beth.png', alt_text: 'Beth' },
        { type: 'plain_text', text: 'Beth', emoji: true },
      ],
    });
    expect(withAvatar.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '*Hi*' } });
    expect(withAvatar.text).toBe('Beth: **Hi**');
    expect(JSON.stringify(renderBlocks(view, { showAvatars: false }).blocks)).not.toContain('image');
    const http: CardView = { ...view, agent: { ...view.agent, avatarUrl: 'http://cdn.example/beth.png' } };
    expect(JSON.stringify(renderBlocks(http).blocks)).not.toContain('image_url');
    // Without a converter, agent text is escaped, never interpreted.
    const raw = renderBlocks({ ...view, text: '<!channel> & co' });
    expect((raw.blocks[1] as any).text.text).toBe('&lt;!channel&gt; &amp; co');
  });

  it('broadcast: links and answers in order; a note instead of buttons during a chat', () => {
    const open = renderBlocks(broadcast);
    const [link, answer] = buttons(open.blocks);
    expect(link).toMatchObject({ url: 'https://status.acme.example' });
    expect(link.action_id).toMatch(/^lab_link/);
    expect(parseCardAction(answer.value)).toEqual({ lab: 'broadcastAction', broadcastId: 'b-1', index: 1 });
    const held = renderBlocks({ ...broadcast, disabledNote: 'Buttons are off during your agent chat.' });
    expect(buttons(held.blocks)).toEqual([]);
    expect(allText(held.blocks)).toContain('Buttons are off during your agent chat.');
  });

  it("stays within Slack's limits for long texts", () => {
    const long = 'x'.repeat(5000);
    const message = renderBlocks({ ...offer, message: long, offerId: 'o' });
    const section = message.blocks[0] as any;
    expect([...section.text.text].length).toBe(3000);
    expect(section.text.text.endsWith('…')).toBe(true);
    const button = buttons(renderBlocks(offer, { labels: { ...defaultCardLabels, startChat: 'y'.repeat(100) } }).blocks)[0];
    expect(button.text.text.length).toBeLessThanOrEqual(75);
  });

  it('uses configured card wording', () => {
    const labels = { ...defaultCardLabels, startChat: 'Chat with IT', cancel: 'Never mind' };
    expect(buttons(renderBlocks(offer, { labels }).blocks)[0].text.text).toBe('Chat with IT');
    expect(buttons(renderBlocks(waiting, { labels }).blocks)[0].text.text).toBe('Never mind');
  });
});

describe('renderDetailsModal', () => {
  it('is a modal with a multi-line description and a topic select, carrying its metadata', () => {
    const modal = renderDetailsModal(details, '{"offerId":"offer-1"}');
    expect(modal).toMatchObject({
      type: 'modal',
      callback_id: DETAILS_MODAL_CALLBACK_ID,
      private_metadata: '{"offerId":"offer-1"}',
      title: { text: 'Contact an agent' },
      submit: { text: 'Start chat' },
      close: { text: 'Cancel' },
    });
    const [prompt, description, topic] = modal.blocks as any[];
    expect(prompt.text.text).toBe(details.prompt);
    expect(description).toMatchObject({
      type: 'input',
      block_id: 'description',
      element: { type: 'plain_text_input', action_id: 'description', multiline: true, max_length: 3000 },
    });
    expect(topic).toMatchObject({
      type: 'input',
      block_id: 'topic',
      optional: false,
      element: { type: 'static_select', action_id: 'topic' },
    });
    expect(topic.element.options).toEqual([
      { text: { type: 'plain_text', text: 'Billing', emoji: true }, value: 'billing' },
      { text: { type: 'plain_text', text: 'Hardware', emoji: true }, value: 'hardware' },
    ]);
  });

  it('topic-only: the prompt and the required topic select, no description input', () => {
    const modal = renderDetailsModal({ ...details, prompt: 'Which topic is this about?', topicOnly: true }, '{}');
    expect((modal.blocks as any[]).map((b) => b.block_id ?? b.type)).toEqual(['section', 'topic']);
    expect((modal.blocks as any[])[1]).toMatchObject({ optional: false, element: { type: 'static_select' } });
  });

  it('has no topic question without topics, and keeps titles within 24 characters', () => {
    const modal = renderDetailsModal({ ...details, topics: [], topicRequired: false }, '{}', {
      labels: { ...defaultCardLabels, submitDetails: 'Send this to the service desk now' },
    });
    expect((modal.blocks as any[]).map((b) => b.block_id ?? b.type)).toEqual(['section', 'description']);
    expect(modal.submit!.text.length).toBeLessThanOrEqual(24);
  });
});
