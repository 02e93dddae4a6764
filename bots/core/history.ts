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
  options: CoreSettings['history'],
): HistoryEntry[] {
  if (options.maxMessages === 0) return [];
  const kept = options.dropUserMessages ? history.filter((h) => h.from !== 'user') : [...history];
  const recent = kept.slice(Math.max(0, kept.length - options.maxMessages));
  if (!options.stripLinks) return recent;
  return recent
    .map((h) => ({ ...h, text: stripLinks(h.text) }))
    .filter((h) => h.text.length > 0);
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
