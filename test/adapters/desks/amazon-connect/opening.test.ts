/** What a Connect chat starts with: attributes within Connect's rules and size, the opening, the split history. */
import {
  ATTRIBUTES_MAX_BYTES,
  contactAttributes,
  historyMessages,
  initialMessage,
  splitText,
} from '../../../../adapters/desks/amazon-connect/opening';
import { chatRequest } from '../../../contract/desk.contract';

describe('the opening of a Connect chat', () => {
  it('puts the routing context in attributes: static ones first, keys reduced to what Connect accepts', () => {
    const request = chatRequest('s-1', { routing: { language: 'de', 'cost center': '4711' } });
    expect(contactAttributes(request, { brand: 'acme' })).toEqual({
      brand: 'acme',
      surface: 'teams',
      topic: 'network',
      topicLabel: 'Network',
      language: 'de',
      cost_center: '4711',
      userId: 'u-1',
      userEmail: 'jordan@example.com',
      userName: 'Jordan Example',
      locale: 'en-US',
      sessionId: 's-1',
    });
  });

  it('keeps the attributes within 32 KB, leaving out what does not fit', () => {
    const big = 'x'.repeat(20_000);
    const attributes = contactAttributes(chatRequest('s-2', { routing: { a: big, b: big } }), {});
    expect(Buffer.byteLength(JSON.stringify(attributes))).toBeLessThanOrEqual(ATTRIBUTES_MAX_BYTES);
    expect(attributes.a).toBe(big);
    expect(attributes.b).toBeUndefined();
    expect(attributes.sessionId).toBe('s-2');
  });

  it('opens with title and details in one message, cut to the limit', () => {
    expect(initialMessage(chatRequest('s'), 1024)).toBe(
      'My laptop will not connect to VPN\n\nSince this morning the VPN client says "authentication failed".',
    );
    const cut = initialMessage(chatRequest('s', { details: 'y'.repeat(5000) }), 1024);
    expect([...cut]).toHaveLength(1024);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('splits long text at spaces or line ends, within the limit, losing nothing', () => {
    const text = Array.from({ length: 200 }, (_, i) => `line ${i} of the history`).join('\n');
    const parts = splitText(text, 300);
    expect(parts.every((p) => p.length <= 300)).toBe(true);
    expect(parts.join('\n')).toBe(text);
    expect(splitText('z'.repeat(650), 300).map((p) => p.length)).toEqual([300, 300, 50]);
    expect(historyMessages(chatRequest('s', { historyText: undefined }), 300)).toEqual([]);
  });
});
