/**
 * The recent conversation with the bot, kept per user and passed to the agent at handoff so
 * they do not have to ask again what the user already told the bot.
 */
import type { HistoryEntry } from './ports';
import type { CoreSettings } from './settings';

/** How many entries we keep per user; what goes to the agent is cut to `maxMessages` later. */
export const HISTORY_KEEP = 50;

/** Append one entry, keeping only the newest `HISTORY_KEEP`. Returns a new array. */
export function appendHistory(history: readonly HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
  const next = [...history, entry];
  return next.length > HISTORY_KEEP ? next.slice(next.length - HISTORY_KEEP) : next;
}

/**
 * What the agent gets: the last `maxMessages` entries after the privacy options are applied.
 * Dropping user lines happens before counting, so the agent still gets `maxMessages` lines.
 */
export function historyForAgent(
  history: readonly HistoryEntry[],
  options: Pick<CoreSettings['history'], 'maxMessages' | 'stripLinks' | 'dropUserMessages'>,
): HistoryEntry[] {
  if (options.maxMessages === 0) return [];
  const kept = options.dropUserMessages ? history.filter((h) => h.from !== 'user') : [...history];
  const recent = kept.slice(Math.max(0, kept.length - options.maxMessages));
  if (!options.stripLinks) return recent;
  return recent.map((h) => ({ ...h, text: stripLinks(h.text) })).filter((h) => h.text.length > 0);
}

/**
 * What a desk gets with a chat request: the entries `historyForAgent` picks, and the same entries
 * as one plain-text extract (`historyText`) for desks that show no structured history. The
 * extract is left out when there is nothing to say or `maxTextBytes` is 0.
 */
export function historyForDesk(
  history: readonly HistoryEntry[],
  options: CoreSettings['history'],
): { history: HistoryEntry[]; historyText?: string } {
  const entries = historyForAgent(history, options);
  const text = historyText(entries, options.maxTextBytes);
  return text ? { history: entries, historyText: text } : { history: entries };
}

/**
 * The plain-text extract: one line per entry, oldest first, `[2026-12-04 10:02 UTC] User: ...`
 * or `... Bot: ...` (UTC, to the minute); a message's own line breaks continue on lines indented
 * by two spaces, so every entry starts with `[`. At most `maxBytes` bytes of UTF-8: the newest
 * entries are kept whole and older ones dropped; when even the newest alone is too long, its
 * beginning is kept, cut on a character boundary and ended with "…".
 */
export function historyText(entries: readonly HistoryEntry[], maxBytes: number): string {
  if (maxBytes <= 0) return '';
  const kept: string[] = [];
  let used = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const line = historyLine(entries[i]);
    const size = utf8Length(line) + (kept.length > 0 ? 1 : 0); // +1: the newline joining it on
    if (used + size <= maxBytes) {
      kept.unshift(line);
      used += size;
      continue;
    }
    if (kept.length === 0) kept.unshift(cutUtf8WithEllipsis(line, maxBytes));
    break;
  }
  return kept.join('\n');
}

/** One entry of the extract (see `historyText`). */
export function historyLine(entry: HistoryEntry): string {
  const iso = new Date(entry.at).toISOString();
  const text = entry.text.replace(/\r\n?/g, '\n').replace(/\n/g, '\n  ');
  return `[${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC] ${entry.from === 'user' ? 'User' : 'Bot'}: ${text}`;
}

const ELLIPSIS = '…';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function utf8Length(text: string): number {
  return encoder.encode(text).byteLength;
}

function cutUtf8WithEllipsis(text: string, maxBytes: number): string {
  const room = maxBytes - utf8Length(ELLIPSIS);
  return room > 0 ? cutUtf8(text, room) + ELLIPSIS : cutUtf8(text, maxBytes);
}

/** The longest start of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  const bytes = encoder.encode(text);
  if (bytes.byteLength <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  // Back up over continuation bytes (10xxxxxx) to the first byte of the character cut in two.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return decoder.decode(bytes.subarray(0, end));
}

const markdownLink = /\[([^\]]*)\]\((?:[^)\s]+)\)/g;
const slackLink = /<(?:https?|mailto|ftp):[^|>]+(?:\|([^>]*))?>/gi;
const bareUrl = /\b(?:https?:\/\/|www\.)[^\s<>()]+/gi;

/** Remove hyperlinks but keep their labels, so "[the portal](https://x)" becomes "the portal". */
export function stripLinks(text: string): string {
  return text
    .replace(markdownLink, (_m, label: string) => label)
    .replace(slackLink, (_m, label?: string) => label ?? '[link removed]')
    .replace(bareUrl, '[link removed]')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}
