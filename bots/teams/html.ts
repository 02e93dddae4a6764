/**
 * Just enough HTML handling for what Teams puts in messages: the `text/html` mirror of every
 * formatted message, `<at>` mentions, and emoji markup. Not a general HTML parser (we never need
 * one: the input is Teams' own small, regular markup, and the output is plain text for an agent).
 */

/** An emoji as Teams marks it up: `<emoji alt="👋">` or `<img itemtype=".../Emoji" alt="(name)">`. */
export interface TeamsEmoji {
  /** The whole element as it appears in the HTML. */
  markup: string;
  /** The character for standard emoji; a `(name)`/`:name:` token for tenant custom emoji. */
  alt: string;
  /** True when `alt` is not a Unicode emoji, i.e. the other side could not show it. */
  custom: boolean;
}

const EMOJI_ITEMTYPE = 'http://schema.skype.com/Emoji';
const pictographic = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;

const emojiElement = /<emoji\b[^>]*>(?:[\s\S]*?<\/emoji>)?|<img\b[^>]*>/gi;

export function findEmoji(html: string): TeamsEmoji[] {
  const found: TeamsEmoji[] = [];
  for (const match of html.matchAll(emojiElement)) {
    const markup = match[0];
    const attrs = attributes(markup);
    const isEmojiTag = /^<emoji\b/i.test(markup);
    if (!isEmojiTag && attrs.itemtype !== EMOJI_ITEMTYPE) continue; // a real image, not an emoji
    const alt = decodeEntities(attrs.alt ?? attrs.title ?? '');
    found.push({ markup, alt, custom: !pictographic.test(alt) });
  }
  return found;
}

/**
 * Plain text from Teams HTML: standard emoji become their character, custom emoji are dropped
 * (an agent console cannot draw a tenant's sprite), line breaks survive, other tags go.
 */
export function htmlToText(html: string): string {
  let text = html;
  for (const emoji of findEmoji(html)) {
    text = text.split(emoji.markup).join(emoji.custom ? '' : emoji.alt);
  }
  text = text
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|h[1-6])>/gi, '\n')
    .replace(/<[^>]+>/g, '');
  return decodeEntities(text);
}

/** Whether a `text` field carries markup rather than plain text. */
export function looksLikeHtml(text: string): boolean {
  return /<(p|div|span|br|emoji|img|b|i|strong|em|a)\b[^>]*>/i.test(text);
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    out[m[1].toLowerCase()] = m[3] ?? m[4] ?? '';
  }
  return out;
}

const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) => {
    if (code[0] === '#') {
      const n = code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      return Number.isFinite(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : whole;
    }
    return named[code.toLowerCase()] ?? whole;
  });
}
