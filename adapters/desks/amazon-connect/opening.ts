/**
 * What a chat starts with at Connect: the contact attributes the contact flow routes on, the
 * InitialMessage, and the history split into messages Connect accepts. Connect's limits (32 KB
 * of attributes with keys of `[A-Za-z0-9_-]`, 1,024 characters per message in the older docs)
 * are kept here, so a long title or history shortens rather than fails the start.
 */
import type { OpenChatRequest } from '../../../bots/core/ports';

export const ATTRIBUTES_MAX_BYTES = 32_768;

const cleanKey = (key: string) => key.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128);

/** The routing context as contact attributes: static ones, then the chat's, then the user's. */
export function contactAttributes(request: OpenChatRequest, fixed: Record<string, string>): Record<string, string> {
  const wanted: [string, string | undefined][] = [
    ...Object.entries(fixed),
    ['surface', request.surface],
    ['topic', request.topic?.id],
    ['topicLabel', request.topic?.label],
    ...Object.entries(request.routing),
    ['userId', request.user.id],
    ['userEmail', request.user.email],
    ['userName', request.user.name],
    ['locale', request.user.locale],
    ['sessionId', request.sessionId],
  ];
  const out: Record<string, string> = {};
  let bytes = 2;
  for (const [rawKey, value] of wanted) {
    if (value === undefined || value === '') continue;
    const key = cleanKey(rawKey);
    if (!key || key in out) continue;
    // JSON-encoded size, as Connect counts the map: keys, values, quotes and separators.
    const size = Buffer.byteLength(JSON.stringify(key)) + Buffer.byteLength(JSON.stringify(value)) + 2;
    if (bytes + size > ATTRIBUTES_MAX_BYTES) continue;
    out[key] = value;
    bytes += size;
  }
  return out;
}

/** Cut `text` into pieces of at most `max` characters, at line ends or spaces where it can. */
export function splitText(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while ([...rest].length > max) {
    const head = [...rest].slice(0, max).join('');
    // A line end in the second half of the piece first (history lines stay whole), else a space.
    const line = head.lastIndexOf('\n');
    const cut = line > max / 2 ? line : head.lastIndexOf(' ');
    const piece = cut > max / 2 ? head.slice(0, cut) : head;
    parts.push(piece);
    rest = rest.slice(piece.length).replace(/^[\n ]/, '');
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

/** The InitialMessage: title and details, within one message. */
export function initialMessage(request: OpenChatRequest, max: number): string {
  const text = request.details && request.details !== request.title ? `${request.title}\n\n${request.details}` : request.title;
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The user's conversation with the bot, as messages after the opening. */
export function historyMessages(request: OpenChatRequest, max: number): string[] {
  if (!request.historyText) return [];
  return splitText(`Conversation with the bot before this chat:\n${request.historyText}`, max);
}
