import {
  appendHistory,
  cutUtf8,
  HISTORY_KEEP,
  historyForAgent,
  historyForDesk,
  historyLine,
  historyText,
  stripLinks,
} from '../../../bots/core/history';
import type { HistoryEntry } from '../../../bots/core/ports';

const opts = (o: Partial<{ maxMessages: number; stripLinks: boolean; dropUserMessages: boolean }> = {}) => ({
  maxMessages: 6,
  stripLinks: false,
  dropUserMessages: false,
  ...o,
});
const h = (from: 'user' | 'bot', text: string, at = 0): HistoryEntry => ({ from, text, at });
const ten = Array.from({ length: 10 }, (_, i) => h(i % 2 ? 'bot' : 'user', `m${i}`, i));

describe('historyForAgent', () => {
  it('last N (default 6), oldest first', () => {
    expect(historyForAgent(ten, opts()).map((e) => e.text)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  });
  it('fewer than N → all', () => {
    expect(historyForAgent(ten.slice(0, 3), opts()).map((e) => e.text)).toEqual(['m0', 'm1', 'm2']);
  });
  it('configurable count', () => {
    expect(historyForAgent(ten, opts({ maxMessages: 2 })).map((e) => e.text)).toEqual(['m8', 'm9']);
  });
  it('0 → none', () => {
    expect(historyForAgent(ten, opts({ maxMessages: 0 }))).toEqual([]);
  });
  it('dropUserMessages → only bot lines, still up to N', () => {
    const r = historyForAgent(ten, opts({ maxMessages: 3, dropUserMessages: true }));
    expect(r.map((e) => e.from)).toEqual(['bot', 'bot', 'bot']);
    expect(r.map((e) => e.text)).toEqual(['m5', 'm7', 'm9']);
  });
  it('does not mutate the stored history', () => {
    const copy = JSON.parse(JSON.stringify(ten));
    historyForAgent(ten, opts({ stripLinks: true, dropUserMessages: true }));
    expect(ten).toEqual(copy);
  });
  it('stripLinks applies to the entries sent', () => {
    const r = historyForAgent([h('bot', 'Reset it at [the portal](https://portal.example.com/reset)')], opts({ stripLinks: true }));
    expect(r[0].text).toBe('Reset it at the portal');
  });
  it('stripLinks off → text untouched', () => {
    const r = historyForAgent([h('user', 'see https://x.example.com')], opts());
    expect(r[0].text).toBe('see https://x.example.com');
  });
});

describe('stripLinks', () => {
  it.each([
    ['markdown link keeps its label', 'Open [the portal](https://portal.example.com/a?b=c) now', 'Open the portal now'],
    ['two markdown links', '[a](https://a.example) and [b](http://b.example)', 'a and b'],
    ['Slack <url|label> keeps the label', 'Go to <https://portal.example.com|the portal> please', 'Go to the portal please'],
    ['Slack mailto keeps label', 'Write <mailto:it@example.com|IT>', 'Write IT'],
  ])('%s', (_n, input, expected) => {
    expect(stripLinks(input)).toBe(expected);
  });

  it.each([
    ['bare https URL', 'see https://secret.example.com/path?token=abc for details'],
    ['bare http URL at the end', 'look: http://intranet.local/x'],
    ['www URL', 'go to www.example.com/login'],
    ['Slack bare <url>', 'here <https://secret.example.com/x>'],
    ['markdown link whose label is a URL', '[https://secret.example.com](https://secret.example.com)'],
  ])('%s → removed', (_n, input) => {
    const out = stripLinks(input);
    expect(out).not.toMatch(/https?:|www\.|example\.com|intranet/);
  });

  it('keeps surrounding words of a bare URL', () => {
    const out = stripLinks('see https://secret.example.com/path for details');
    expect(out.startsWith('see ')).toBe(true);
    expect(out.endsWith(' for details')).toBe(true);
  });

  it('text without links is unchanged', () => {
    expect(stripLinks('My VPN drops every 5 minutes.')).toBe('My VPN drops every 5 minutes.');
  });
});

describe('appendHistory', () => {
  it('keeps only the newest HISTORY_KEEP entries and returns a new array', () => {
    let list: HistoryEntry[] = [];
    for (let i = 0; i < HISTORY_KEEP + 5; i++) {
      const before = list;
      list = appendHistory(list, h('user', `m${i}`));
      expect(list).not.toBe(before);
    }
    expect(list).toHaveLength(HISTORY_KEEP);
    expect(list[0].text).toBe('m5');
    expect(list[list.length - 1].text).toBe(`m${HISTORY_KEEP + 4}`);
  });
});

describe('historyText (the plain-text extract)', () => {
  const AT = Date.UTC(2026, 11, 4, 10, 2, 33); // 2026-12-04 10:02:33 UTC
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

  it('one line per entry, oldest first, in the documented format', () => {
    const text = historyText([h('user', 'vpn broken', AT), h('bot', 'Have you tried restarting?', AT + 60_000)], 10_240);
    expect(text).toBe('[2026-12-04 10:02 UTC] User: vpn broken\n[2026-12-04 10:03 UTC] Bot: Have you tried restarting?');
  });

  it("a message's own line breaks continue indented, so every entry starts with [", () => {
    expect(historyLine(h('user', 'line one\r\nline two\nline three', AT))).toBe(
      '[2026-12-04 10:02 UTC] User: line one\n  line two\n  line three',
    );
  });

  it('nothing to say, or a cap of 0: empty', () => {
    expect(historyText([], 10_240)).toBe('');
    expect(historyText([h('user', 'hi', AT)], 0)).toBe('');
  });

  it('is capped at maxBytes, keeping the newest lines whole and dropping the oldest', () => {
    const entries = Array.from({ length: 40 }, (_, i) =>
      h(i % 2 ? 'bot' : 'user', `message number ${i} `.padEnd(300, 'x'), AT + i * 60_000),
    );
    const text = historyText(entries, 10_240);
    expect(bytes(text)).toBeLessThanOrEqual(10_240);
    const lines = text.split('\n');
    expect(lines[lines.length - 1]).toContain('message number 39 ');
    // Whole lines only: the first kept line is an entry's full line, and all the newer ones follow.
    const first = entries.findIndex((e) => lines[0] === historyLine(e));
    expect(first).toBeGreaterThan(0);
    expect(lines).toEqual(entries.slice(first).map(historyLine));
    // ...and one more older line would not have fit.
    expect(bytes([historyLine(entries[first - 1]), ...lines].join('\n'))).toBeGreaterThan(10_240);
  });

  it('cuts on a UTF-8 character boundary when even the newest line is too long', () => {
    // "é" is 2 bytes, "🙂" 4: a byte cut anywhere in them would leave a broken character.
    const line = h('user', 'é🙂'.repeat(5_000), AT);
    for (const max of [100, 101, 102, 103, 104, 105, 10_240]) {
      const text = historyText([line], max);
      expect(bytes(text)).toBeLessThanOrEqual(max);
      expect(bytes(text)).toBeGreaterThan(max - 8); // filled up to the last whole character
      expect(text).not.toContain('\uFFFD');
      expect(text.startsWith('[2026-12-04 10:02 UTC] User: é🙂')).toBe(true);
      expect(text.endsWith('…')).toBe(true);
      expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text); // round-trips: valid UTF-8
    }
  });

  it('cutUtf8 never splits a character', () => {
    expect(cutUtf8('aé', 2)).toBe('a');
    expect(cutUtf8('aé', 3)).toBe('aé');
    expect(cutUtf8('🙂🙂', 7)).toBe('🙂');
    expect(cutUtf8('abc', 0)).toBe('');
    expect(cutUtf8('short', 100)).toBe('short');
  });
});

describe('historyForDesk', () => {
  const AT = Date.UTC(2026, 11, 4, 10, 2);
  const full = { maxMessages: 6, stripLinks: false, dropUserMessages: false, maxTextBytes: 10_240 };

  it('gives the structured entries and the same entries as text', () => {
    const r = historyForDesk(
      ten.map((e) => ({ ...e, at: AT })),
      full,
    );
    expect(r.history.map((e) => e.text)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    expect(r.historyText).toBe(r.history.map(historyLine).join('\n'));
  });

  it('respects dropUserMessages and stripLinks in the text too', () => {
    const entries = [h('user', 'my password is hunter2', AT), h('bot', 'Reset it at [the portal](https://portal.example.com/reset)', AT)];
    const r = historyForDesk(entries, { ...full, stripLinks: true, dropUserMessages: true });
    expect(r.historyText).toBe('[2026-12-04 10:02 UTC] Bot: Reset it at the portal');
    expect(r.historyText).not.toMatch(/hunter2|https?:/);
  });

  it('no extract with maxTextBytes 0 or maxMessages 0; the structured list follows maxMessages only', () => {
    expect(historyForDesk(ten, { ...full, maxTextBytes: 0 })).toEqual({ history: historyForAgent(ten, full) });
    expect(historyForDesk(ten, { ...full, maxMessages: 0 })).toEqual({ history: [] });
  });
});
