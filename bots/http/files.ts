/**
 * Serves files in flight from the FileVault at `/files/<id>/<name>`. The id is 128 random bits
 * and expires with the file; whoever holds the URL (the desk, the user's client) may fetch it.
 * Desks that must authenticate their fetches add a check through `authorize`.
 */
import type express from 'express';
import type { FileVault, VaultEntry } from '../core/file-vault';

export interface FileRouteOptions {
  vault: FileVault;
  /** Extra checks per request (e.g. the Authorization header a desk was told to send). */
  authorize?: (req: express.Request, entry: Omit<VaultEntry, 'data'>) => Promise<boolean> | boolean;
}

/** Types a browser may show inline; anything else downloads, so a file can never run as a page. */
const inlineTypes = /^(image\/(png|jpeg|gif|webp)|application\/pdf|text\/plain)$/i;

export function mountFiles(app: express.Express, options: FileRouteOptions): void {
  app.get('/files/:id/:name', async (req, res) => {
    const found = await options.vault.get(req.params.id);
    if (!found) {
      res.status(404).json({ error: { code: 'not_found', message: 'This file link has expired or does not exist.' } });
      return;
    }
    if (options.authorize && !(await options.authorize(req, found.entry))) {
      res.status(401).json({ error: { code: 'unauthorized', message: 'Not allowed to fetch this file.' } });
      return;
    }
    const { entry, bytes } = found;
    const disposition = inlineTypes.test(entry.contentType) ? 'inline' : 'attachment';
    res.setHeader('Content-Type', entry.contentType);
    res.setHeader('Content-Length', String(bytes.byteLength));
    res.setHeader('Content-Disposition', `${disposition}; filename*=UTF-8''${encodeURIComponent(entry.name)}`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Even a mislabelled HTML file must not run scripts in our origin.
    res.setHeader('Content-Security-Policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox");
    res.setHeader('Cache-Control', 'private, max-age=300');
    res.end(bytes);
  });
}
