/**
 * HTTP for the web chat, mounted by the app at `/chat`: the page and its static files (including
 * the `adaptivecards` browser bundle, served from node_modules: no CDN, no build step), and the
 * JSON API under `/api` (see api.ts).
 */
import path from 'node:path';
import express, { type Router } from 'express';
import { servePage } from '../http/pages';
import { createApiRouter, type ApiDeps } from './api';

export const PAGE_DIR = path.join(__dirname, 'page');
/** The renderer's self-contained UMD build; it defines `window.AdaptiveCards`. */
export const ADAPTIVECARDS_BUNDLE = require.resolve('adaptivecards/dist/adaptivecards.min.js');

/**
 * Strict page headers: the page runs only its own scripts and talks only to its own API. Images
 * may come from https (agent avatars, desk file links). The renderer sets styles through the DOM
 * (allowed), never through `style` attributes or `<style>` elements (which this would block).
 * `frame-ancestors` is left open on purpose: embedding in the intranet is the point.
 */
export const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export function createWebRouter(deps: ApiDeps): Router {
  const router = express.Router();
  router.use('/api', createApiRouter(deps));

  router.get('/vendor/adaptivecards.min.js', (_req, res) => {
    res.set('X-Content-Type-Options', 'nosniff').set('Cache-Control', 'public, max-age=3600').sendFile(ADAPTIVECARDS_BUNDLE);
  });
  servePage(router, PAGE_DIR, PAGE_HEADERS);
  return router;
}
