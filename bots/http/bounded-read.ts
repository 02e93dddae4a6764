/**
 * Reading a fetched file without trusting it: at most `maxBytes` (Content-Length is checked
 * first, then the stream is counted and cancelled as soon as it passes the limit, so the rest is
 * never transferred), and a web page where a file was expected is recognised (Slack and
 * SharePoint answer an unauthorised download with a sign-in page and status 200). Callers word
 * the refusals for their own users.
 */

export interface BoundedReadOptions {
  maxBytes: number;
  /** The error for a body past the limit; `declared` is its Content-Length when that said so. */
  tooLarge(declared?: number): Error;
  /** Called once the stream is cancelled past the limit (e.g. to abort the whole fetch). */
  onOverflow?(): void;
}

/** The body, refused with `tooLarge()` before or while it passes `maxBytes`. */
export async function readBounded(res: Response, options: BoundedReadOptions): Promise<Buffer> {
  const { maxBytes } = options;
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await discardBody(res);
    throw options.tooLarge(declared);
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Stop at once: the rest of the file is never transferred.
      await reader.cancel().catch(() => undefined);
      options.onOverflow?.();
      throw options.tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** Drop a body that will not be read, so the connection is released. */
export async function discardBody(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

const HTML_TYPE = /^\s*(text\/html|application\/xhtml\+xml)\b/i;

/** Whether the file is itself a web page (then a page is what was asked for, not refused). */
export function expectsHtml(expectedType: string | undefined): boolean {
  return /^text\/html\b/i.test(expectedType ?? '');
}

/** Whether the answer is a web page although the file is not one (a sign-in page, an error page). */
export function isPageInsteadOfFile(res: Response, expectedType: string | undefined): boolean {
  return !expectsHtml(expectedType) && HTML_TYPE.test(res.headers.get('content-type') ?? '');
}

/** Whether bytes start like an HTML document (a page served with a file's content type). */
export function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 512))
    .toString('latin1')
    .replace(/^\uFEFF|^ï»¿/, '')
    .trimStart()
    .toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || head.startsWith('<head') || head.startsWith('<body');
}
