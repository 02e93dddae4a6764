/**
 * Core content -> a Teams message activity. Pure, so the wire shape is easy to test.
 */
import { CardFactory, type Activity, type Attachment } from 'botbuilder';
import { renderAdaptiveCard, type RenderOptions } from '../../cards/adaptive';
import { viewFallbackText } from '../../cards/view-text';
import type { FileRef, OutboundContent } from '../core/ports';

/**
 * Inline (base64) images count toward Bot Framework's 262,144-byte request limit; stay well
 * below it so the text and envelope still fit.
 */
const MAX_INLINE_IMAGE_BYTES = 180 * 1024;

const INLINE_IMAGE = /^image\/(png|jpe?g|gif)$/i;

export interface OutboundMessage {
  activity: Partial<Activity>;
  /** Files that could not be put in the message (no URL and too big to inline). */
  undeliverable: FileRef[];
}

export function contentToActivity(content: OutboundContent, options: RenderOptions = {}): OutboundMessage {
  if (content.kind === 'card') {
    return {
      activity: {
        type: 'message',
        attachments: [CardFactory.adaptiveCard(renderAdaptiveCard(content.view, options))],
        // Teams shows `summary` in notifications and the chat list instead of "Card".
        summary: viewFallbackText(content.view, options.labels),
      },
      undeliverable: [],
    };
  }

  const said = content.text.trim() === '' ? '' : content.text;
  const lines = [content.from ? `**${agentName(content.from.name)}:**${said ? ` ${said}` : ''}` : said];
  const attachments: Attachment[] = [];
  const undeliverable: FileRef[] = [];
  for (const file of content.files ?? []) {
    // Teams draws PNG, JPEG and GIF inline; any other image is offered as a link like a file.
    const image = INLINE_IMAGE.test(file.contentType);
    if (image && file.url) {
      // A bridge (vault) URL: the Teams client fetches it, so it must be public (server.publicUrl).
      attachments.push({ contentType: file.contentType, contentUrl: file.url, name: file.name });
    } else if (image && file.content && file.content.byteLength <= MAX_INLINE_IMAGE_BYTES) {
      const data = Buffer.from(file.content).toString('base64');
      attachments.push({ contentType: file.contentType, contentUrl: `data:${file.contentType};base64,${data}`, name: file.name });
    } else if (file.url) {
      // Teams does not render other file types a bot attaches by URL in a 1:1 chat (that needs
      // the FileConsent upload flow); a link always works and opens in the browser.
      lines.push(`📎 [${linkText(file.name)}](${markdownUrl(file.url)})`);
    } else {
      undeliverable.push(file);
    }
  }

  const text = lines.filter((l) => l.trim() !== '').join('\n\n');
  return {
    activity: {
      type: 'message',
      ...(text ? { text, textFormat: 'markdown' } : {}),
      ...(attachments.length > 0 ? { attachments } : {}),
    },
    undeliverable,
  };
}

/** An asterisk in a name would end the bold early and garble the line. */
function agentName(name: string): string {
  return name.replace(/\*/g, '').trim() || 'Agent';
}

function linkText(name: string): string {
  return name.replace(/[[\]]/g, (c) => (c === '[' ? '(' : ')'));
}

/**
 * A URL as a markdown link target: a `)` or a space (vault URLs end with the file name, and
 * encodeURIComponent keeps parentheses) would end the link early; encoded, it means the same.
 */
function markdownUrl(url: string): string {
  return url.replace(/[()<> \t\r\n]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
