/**
 * The bridge's browser pages (the agent console at `/console`, the web chat at `/chat`): each a
 * folder with `index.html` and its own files, served the same way, plus what both load from
 * `/assets` (lab-common.js and .css, see assets/). Static files are revalidated on every load
 * (`no-cache`), so a page and the shared files it uses are always of the same release.
 */
import path from 'node:path';
import express, { type Router } from 'express';

export const ASSETS_DIR = path.join(__dirname, 'assets');

export type PageHeaders = Record<string, string>;

function staticFiles(dir: string): express.Handler {
  return express.static(dir, {
    index: false,
    setHeaders: (res) => {
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Cache-Control', 'no-cache');
    },
  });
}

/**
 * Serve the page in `dir` on `router`: `index.html` at `/` with the page's strict headers (a
 * function when they are worked out per request), its other files beside it.
 */
export function servePage(router: Router, dir: string, headers: PageHeaders | (() => PageHeaders)): void {
  router.get('/', (req, res) => {
    // The page uses relative URLs, which resolve against `/console/`, not `/console`. Redirecting
    // leaves the fragment (the web chat's embed token) alone: browsers carry it over a redirect.
    if (!req.originalUrl.split('?')[0].endsWith('/')) return res.redirect(302, `${req.baseUrl}/`);
    res
      .set(typeof headers === 'function' ? headers() : headers)
      .set('Cache-Control', 'no-cache')
      .sendFile(path.join(dir, 'index.html'));
  });
  router.use(staticFiles(dir));
}

/** `/assets/*`: the files the pages share. */
export function mountAssets(app: express.Express): void {
  app.use('/assets', staticFiles(ASSETS_DIR));
}
