/**
 * Turning ServiceNow's non-text outputs and free-text system lines into something a user can
 * read. Pure. The `System` line patterns are observed in third-party connectors, not documented
 * (agent-apis.md §1 confidence notes), so each accepts the wordings seen and close variants.
 */
import type { WireBodyItem } from './wire-types';

export type SystemLine =
  | { kind: 'entered'; name: string }
  | { kind: 'left'; name: string }
  | { kind: 'closed' }
  | { kind: 'timedOut' }
  | { kind: 'other' };

const ENTERED = /^(.+?)\s+(?:has\s+)?(?:entered|joined)(?:\s+the)?\s+(?:chat|conversation|session)\b/i;
const LEFT = /^(.+?)\s+(?:has\s+)?(?:left|exited)(?:\s+the)?\s+(?:chat|conversation|session)\b/i;
const CLOSED = /\b(?:closed|ended)\s+the\s+(?:support\s+session|chat|conversation|session)\b|\bconversation has ended\b/i;
const TIMED_OUT = /\btimed\s*out\b/i;

export function classifySystem(text: string): SystemLine {
  const t = text.trim();
  if (TIMED_OUT.test(t)) return { kind: 'timedOut' };
  if (CLOSED.test(t)) return { kind: 'closed' };
  const entered = ENTERED.exec(t);
  if (entered) return { kind: 'entered', name: entered[1].trim() };
  const left = LEFT.exec(t);
  if (left) return { kind: 'left', name: left[1].trim() };
  return { kind: 'other' };
}

/** "13 Seconds", "2 Minutes", "1 Hour 5 Minutes", 90 -> seconds; undefined when unreadable. */
export function parseWaitSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.round(value);
  if (typeof value !== 'string') return undefined;
  const units: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hr: 3600, hour: 3600 };
  let total = 0;
  let matched = false;
  for (const m of value.toLowerCase().matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/g)) {
    const unit = units[m[2].replace(/s$/, '')] ?? units[m[2]];
    if (unit === undefined) continue;
    total += Number(m[1]) * unit;
    matched = true;
  }
  if (!matched && /^\s*\d+\s*$/.test(value)) return Number(value);
  return matched ? Math.round(total) : undefined;
}

/** The URL and label of an OutputLink (`value` is `{action, target}`, or a URL string). */
export function linkOf(item: WireBodyItem): { url: string; label: string } | undefined {
  const v = item.value;
  const url = typeof v === 'string' ? v : v && typeof v === 'object' ? (v as { action?: unknown }).action : undefined;
  if (typeof url !== 'string' || !isHttpUrl(url)) return undefined;
  const label = [item.label, item.header].find((s) => typeof s === 'string' && s.trim() !== '')?.trim() ?? url;
  return { url, label };
}

/** An OutputCard's `data` (a JSON string) as lines of text; never the raw JSON. */
export function renderCard(item: WireBodyItem): string | undefined {
  let data: unknown = item.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      data = undefined;
    }
  }
  const lines: string[] = [];
  if (data && typeof data === 'object') {
    const d = data as Record<string, unknown>;
    for (const key of ['title', 'subtitle', 'header', 'description']) {
      if (typeof d[key] === 'string' && d[key]) lines.push(key === 'title' ? `**${d[key]}**` : String(d[key]));
    }
    if (Array.isArray(d.fields)) {
      for (const f of d.fields as Record<string, unknown>[]) {
        const label = f?.fieldLabel ?? f?.label;
        const value = f?.fieldValue ?? f?.value;
        if (value !== undefined && value !== null && value !== '')
          lines.push(label ? `${String(label).replace(/:\s*$/, '')}: ${String(value)}` : String(value));
      }
    }
    const url = [d.url, d.link, (d.action as { url?: unknown } | undefined)?.url].find((u) => typeof u === 'string' && isHttpUrl(u));
    if (typeof url === 'string') lines.push(url);
  }
  if (lines.length === 0 && typeof item.label === 'string' && item.label.trim()) lines.push(item.label.trim());
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** Text of an OutputHtml item: tags dropped, links kept as markdown, common entities decoded. */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(
        /<a\s[^>]*href\s*=\s*"([^"]+)"[^>]*>([\s\S]*?)<\/a>/gi,
        (_m, href: string, label: string) => `[${stripTags(label)}](${href})`,
      )
      .replace(/<(br|\/p|\/div|\/li)\s*\/?>/gi, '\n')
      .replace(/<[^>]*>/g, ''),
  )
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function stripTags(s: string): string {
  return s.replace(/<[^>]*>/g, '');
}

function decodeEntities(s: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
  return s.replace(/&(#\d+|#x[0-9a-f]+|\w+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
    }
    return named[e.toLowerCase()] ?? m;
  });
}

export function isHttpUrl(s: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(s);
}

/** A file name from a URL's last path segment, when it looks like one. */
export function fileNameFromUrl(url: string): string | undefined {
  try {
    const last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    // `sys_attachment.do` names the servlet, not the file.
    return /\.\w{1,8}$/.test(last) && !/\.(do|php|aspx?|jsp|cgi)$/i.test(last) ? last : undefined;
  } catch {
    return undefined;
  }
}

const typesByExtension: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  txt: 'text/plain',
  log: 'text/plain',
  csv: 'text/csv',
  zip: 'application/zip',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export function contentTypeOf(name: string | undefined, fallback: string): string {
  const ext = /\.(\w+)$/.exec(name ?? '')?.[1]?.toLowerCase();
  return (ext && typesByExtension[ext]) || fallback;
}
