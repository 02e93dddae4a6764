import { appendHistory, HISTORY_KEEP, historyForAgent, stripLinks } from '../../bots/core/history';
import type { HistoryEntry } from '../../bots/core/ports';

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
