/**
 * Text between Slack and the desk, both ways. Pure functions: no I/O (mentions are resolved by
 * the caller and passed in), so every rule is pinned by unit tests.
 *
 * Slack → desk (markdown):
 * - `<url|label>` → `[label](url)`, `<url>` → `url`, `<mailto:a@b|a@b>` → `a@b`
 * - `<@U123>` → `@Dana` (name from the caller), `<#C1|general>` → `#general`, `<!here>` → `@here`
 * - `&amp; &lt; &gt;` → `& < >`
 * - `*bold*` → `**bold**`, `~strike~` → `~~strike~~` (`_italic_` and code are the same in both)
 * - `:wave:` → 👋; a workspace's custom emoji (`:acme-logo:`) is dropped: the desk cannot draw it.
 *
 * Desk (markdown) → Slack mrkdwn: `**bold**` → `*bold*`, `*italic*` → `_italic_`,
 * `~~strike~~` → `~strike~`, `[label](url)` → `<url|label>`, headings → bold lines, list bullets
 * → `•`, and `& < >` escaped so agent text can never become a mention or a link by accident.
 */
import { get as emojiByName } from 'node-emoji';

export interface SlackTextOptions {
  /** The display name of a mentioned user (`<@U123>`), when known. */
  userName?: (userId: string) => string | undefined;
  /**
   * What the message's own rich_text blocks say about its emoji, keyed like the text writes them
   * (`wave`, `+1::skin-tone-2`): the character for standard emoji, `null` for custom ones. Slack
   * knows its emoji better than any table; the table is the fallback for messages without blocks.
   */
  emoji?: ReadonlyMap<string, string | null>;
}

// Private-use characters mark protected spans while the rest of the text is rewritten.
const OPEN = '\uE000';
const CLOSE = '\uE001';
const BOLD = '\uE002';
const privateUse = /[\uE000-\uE00F]/g;
const placeholder = /\uE000(\d+)\uE001/g;

class Protected {
  private readonly spans: string[] = [];
  hold(text: string): string {
    this.spans.push(text);
    return `${OPEN}${this.spans.length - 1}${CLOSE}`;
  }
  restore(text: string): string {
    // Spans may hold spans (a link label with code); restore until none are left.
    let out = text;
    for (let i = 0; i < 3 && placeholder.test(out); i++) {
      out = out.replace(placeholder, (_m, n: string) => this.spans[Number(n)] ?? '');
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Slack → desk
// ---------------------------------------------------------------------------------------------

/** The user ids mentioned in Slack text, so the caller can look their names up first. */
export function mentionedUserIds(text: string): string[] {
  return [...new Set([...text.matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)].map((m) => m[1]))];
}

export function slackToMarkdown(text: string, options: SlackTextOptions = {}): string {
  const held = new Protected();
  let out = text.replace(privateUse, '');

  // Code first: nothing inside it is formatting, an emoji or a link.
  out = out.replace(/```([\s\S]*?)```/g, (_m, code: string) => held.hold(`\`\`\`${unescapeEntities(code)}\`\`\``));
  out = out.replace(/`([^`\n]+)`/g, (_m, code: string) => held.hold(`\`${unescapeEntities(code)}\``));

  // Slack's angle-bracket tokens: links, mentions, channels, special mentions.
  out = out.replace(/<([^<>\n]+)>/g, (_m, body: string) => held.hold(convertToken(body, options)));

  // Emoji codes stand alone: `10:30:00` holds no emoji.
  out = out.replace(
    /(?<!\w):([a-z0-9_+'-]+):(?::skin-tone-([2-6]):)?(?!\w)/gi,
    (whole, name: string, tone?: string) => emojiFor(name.toLowerCase(), tone, options.emoji) ?? whole,
  );

  // *bold* → **bold**, ~strike~ → ~~strike~~ (Slack's rules: markers hug the words).
  out = out.replace(/(^|[\s(["'\uE001])\*(?=\S)([^*\n]*?[^\s*])\*(?=$|[\s.,;:!?)\]"'\uE000])/gm, '$1**$2**');
  out = out.replace(/(^|[\s(["'\uE001])~(?=\S)([^~\n]*?[^\s~])~(?=$|[\s.,;:!?)\]"'\uE000])/gm, '$1~~$2~~');

  out = unescapeEntities(out);
  // A dropped custom emoji leaves its spaces behind.
  out = out
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/ *\n */g, '\n')
    .trim();
  return held.restore(out);
}

function convertToken(body: string, options: SlackTextOptions): string {
  const bar = body.indexOf('|');
  const target = bar >= 0 ? body.slice(0, bar) : body;
  const label = bar >= 0 ? unescapeEntities(body.slice(bar + 1)) : undefined;
  switch (target[0]) {
    case '@': {
      const id = target.slice(1);
      const name = options.userName?.(id) ?? label?.replace(/^@/, '');
      return `@${name || id}`;
    }
    case '#':
      return `#${label ?? target.slice(1)}`;
    case '!': {
      // <!here>, <!channel>, <!subteam^S123|@team>, <!date^…|fallback text>
      if (label) return label;
      const special = target.slice(1).split('^')[0];
      return `@${special}`;
    }
    default: {
      const url = unescapeEntities(target);
      if (/^mailto:/i.test(url)) return label ?? url.slice('mailto:'.length);
      if (!label || label === url || label === url.replace(/^https?:\/\//i, '')) return url;
      return `[${label.replace(/[[\]]/g, (c) => (c === '[' ? '(' : ')'))}](${url})`;
    }
  }
}

/** The character for an emoji code, '' to drop it (custom emoji), undefined to leave the text as is. */
function emojiFor(name: string, tone: string | undefined, hints: ReadonlyMap<string, string | null> | undefined): string | undefined {
  if (hints) {
    // The message's blocks list every emoji in it: what they do not list is plain text.
    const key = tone ? `${name}::skin-tone-${tone}` : name;
    if (hints.has(key)) return hints.get(key) ?? '';
    if (hints.has(name)) return withSkinTone(hints.get(name) ?? '', tone);
    return undefined;
  }
  const standard = emojiByName(name);
  // Not a standard emoji: a workspace's own. The other side cannot show it, so it goes.
  return standard ? withSkinTone(standard, tone) : '';
}

/** Slack writes a skin tone as a second code (`:+1::skin-tone-3:`); Unicode as a modifier. */
function withSkinTone(emoji: string, tone: string | undefined): string {
  if (!tone || !emoji) return emoji;
  const modifier = String.fromCodePoint(0x1f3fb + Number(tone) - 2);
  // The modifier follows the first code point; a variation selector it replaces.
  const [first, ...rest] = [...emoji];
  return first + modifier + rest.filter((c) => c !== '\uFE0F').join('');
}

/** The emoji hints of a message's rich_text blocks (see SlackTextOptions.emoji). */
export function emojiHintsFromBlocks(blocks: unknown): Map<string, string | null> {
  const hints = new Map<string, string | null>();
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.type === 'emoji' && typeof n.name === 'string') {
      const tone = typeof n.skin_tone === 'number' && n.skin_tone >= 2 && n.skin_tone <= 6 ? n.skin_tone : undefined;
      const key = tone ? `${n.name}::skin-tone-${tone}` : n.name;
      hints.set(key, typeof n.unicode === 'string' ? fromUnicodeHex(n.unicode) : null);
      return;
    }
    for (const value of Object.values(n)) if (typeof value === 'object') walk(value);
  };
  walk(blocks);
  return hints;
}

function fromUnicodeHex(hex: string): string | null {
  const points = hex.split('-').map((h) => parseInt(h, 16));
  if (points.length === 0 || points.some((p) => !Number.isFinite(p) || p <= 0 || p > 0x10ffff)) return null;
  return String.fromCodePoint(...points);
}

function unescapeEntities(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

// ---------------------------------------------------------------------------------------------
// Desk → Slack
// ---------------------------------------------------------------------------------------------

/** Characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function markdownToMrkdwn(markdown: string): string {
  const held = new Protected();
  let out = markdown.replace(privateUse, '');

  out = out.replace(/```[^\n`]*\n?([\s\S]*?)```/g, (_m, code: string) => held.hold(`\`\`\`${escapeMrkdwn(code.replace(/\n$/, ''))}\`\`\``));
  out = out.replace(/`([^`\n]+)`/g, (_m, code: string) => held.hold(`\`${escapeMrkdwn(code)}\``));

  // Links and images become Slack links; autolinks and bare URLs stay links.
  out = out.replace(
    /!?\[([^\]\n]*)\]\(\s*<?([^()\s<>]+(?:\([^()\s]*\)[^()\s<>]*)*)>?(?:\s+"[^"]*")?\s*\)/g,
    (_m, label: string, url: string) => held.hold(slackLink(url, label)),
  );
  out = out.replace(/<((?:https?|mailto):[^<>\s]+)>/gi, (_m, url: string) => held.hold(slackLink(url, '')));

  out = escapeMrkdwn(out);

  out = out.replace(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm, (_m, title: string) => `${BOLD}${title}${BOLD}`);
  out = out.replace(/^([ \t]*)[-*+][ \t]+(?=\S)/gm, '$1• ');
  out = out.replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, `${BOLD}$2${BOLD}`);
  out = out.replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, '$1_$2_');
  out = out.replace(/~~(?=\S)([\s\S]*?\S)~~/g, '~$1~');
  out = out.split(BOLD).join('*');
  return held.restore(out);
}

function slackLink(url: string, label: string): string {
  const safeUrl = url.replace(/\|/g, '%7C').replace(/>/g, '%3E').replace(/</g, '%3C');
  const text = label.trim();
  if (!text || text === url) return `<${safeUrl}>`;
  return `<${safeUrl}|${escapeMrkdwn(text).replace(/\|/g, '¦')}>`;
}
