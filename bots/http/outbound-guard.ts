/**
 * The one door for every URL the bridge fetches on behalf of a platform or a desk (a shared
 * file's download URL, a pasted image, a Slack file, an agent's attachment): the URL came from
 * outside, so without a check it could point the bridge at its own loopback, the cloud metadata
 * service or the office network. Rules, checked for the first URL and again for every redirect:
 * - the host must match the caller's allow-list (`files.slack.com`, or `*.sharepoint.com` for
 *   any subdomain);
 * - https only, unless `allowHttp` (local development, tests);
 * - no loopback, link-local or private address (network-address.ts), unless
 *   `allowPrivateNetworks`. The addresses checked are the RESOLVED ones, at connect time (a
 *   `lookup` on the socket), so a public-looking name that resolves to 127.0.0.1 is refused too,
 *   and no second lookup can answer differently from the one that was checked;
 * - redirects are followed by hand, a few at most, each hop checked, and credentials
 *   (Authorization, Cookie) are dropped when a hop leaves the first origin.
 * A refusal throws `OutboundRefusedError` (`file_rejected`, with a stable `refusal`): a
 * `FileRefusedError` whose reason (`bot.messages.fileRefusedReasons`) completes the user's
 * sentence '"report.pdf" was not sent to the agent: …'.
 *
 * The answer is a web `Response`, so callers read it as they would a fetch's (bounded-read.ts).
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { type FileRefusedReason, FileRefusedError } from '../core/file-refusal';
import { isNonPublicAddress } from './network-address';

/** Resolves a host name to every address it has (test seam: tests resolve names without DNS). */
export type HostLookup = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

/** A host name or a `*.` wildcard for its subdomains. */
export const hostPatternSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$|^[0-9a-f:]+$/,
    'a host name such as files.example.com, or *.example.com for its subdomains',
  );

/** The process-wide switches (`server.outboundFetch`). */
export interface OutboundSwitches {
  allowPrivateNetworks: boolean;
  allowHttp: boolean;
}

export interface OutboundPolicy extends OutboundSwitches {
  /** Host names, exact or `*.example.com` (any subdomain, not example.com itself). */
  hosts: readonly string[];
  /** Defaults to DNS (`dns.lookup`, all addresses). */
  lookup?: HostLookup;
  /** Redirects followed in `redirect: 'follow'` mode (default 5). */
  maxRedirects?: number;
}

export type OutboundRefusal = 'bad_url' | 'insecure_scheme' | 'host_not_allowed' | 'private_address' | 'too_many_redirects';

export class OutboundRefusedError extends FileRefusedError {
  constructor(
    readonly refusal: OutboundRefusal,
    reason: FileRefusedReason,
    details: { host?: string; address?: string; redirect?: boolean },
  ) {
    super(reason, {}, { details: { refusal, ...details } });
    this.name = 'OutboundRefusedError';
  }
}

export function isOutboundRefused(e: unknown): e is OutboundRefusedError {
  return e instanceof OutboundRefusedError;
}

/** A subset of fetch's init: what the bridge's downloads use. */
export interface OutboundInit {
  method?: string;
  headers?: HeadersInit;
  body?: string | URLSearchParams;
  signal?: AbortSignal;
  /** `manual` answers a redirect as it came (the caller follows it, through this guard again). */
  redirect?: 'follow' | 'manual' | 'error';
}

export type OutboundFetch = (url: string | URL, init?: OutboundInit) => Promise<Response>;

/** A fetch that obeys `policy`. */
export function guardedFetch(policy: OutboundPolicy): OutboundFetch {
  return (url, init) => fetchGuarded(policy, url, init ?? {});
}

/** Whether `hostname` matches one of `patterns` (case-insensitive, no trailing dot). */
export function hostMatches(hostname: string, patterns: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return patterns.some((raw) => {
    const p = raw
      .trim()
      .toLowerCase()
      .replace(/^\[|\]$/g, '');
    if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
    return host === p;
  });
}

/** The URL, checked against everything that can be known before connecting; throws a refusal. */
export function checkOutboundUrl(raw: string | URL, policy: OutboundPolicy, redirect = false): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefusedError('bad_url', 'noAddress', { redirect });
  }
  const host = url.hostname;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    throw new OutboundRefusedError('insecure_scheme', 'insecureAddress', { host, redirect });
  }
  if (!hostMatches(host.replace(/^\[|\]$/g, ''), policy.hosts)) {
    throw new OutboundRefusedError('host_not_allowed', redirect ? 'redirectNotAllowed' : 'hostNotAllowed', { host, redirect });
  }
  const literal = host.replace(/^\[|\]$/g, '');
  // An IP literal is never looked up, so it is checked here; names are checked once resolved.
  if (isIP(literal) && !policy.allowPrivateNetworks && isNonPublicAddress(literal)) throw privateAddress(host, literal, redirect);
  return url;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
const CREDENTIALS = ['authorization', 'cookie', 'proxy-authorization'];

async function fetchGuarded(policy: OutboundPolicy, raw: string | URL, init: OutboundInit): Promise<Response> {
  const maxRedirects = policy.maxRedirects ?? 5;
  let url = checkOutboundUrl(raw, policy);
  const firstOrigin = url.origin;
  let method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  const headers = new Headers(init.headers);
  for (let hop = 0; ; hop++) {
    const res = await request(url, { method, headers, body, signal: init.signal }, policy, hop > 0);
    if (!REDIRECTS.has(res.status) || init.redirect === 'manual') return res;
    await res.body?.cancel().catch(() => undefined);
    if (init.redirect === 'error') throw new TypeError(`redirected (HTTP ${res.status}) where no redirect was expected`);
    const location = res.headers.get('location');
    if (!location) return new Response(null, { status: res.status, headers: res.headers });
    if (hop >= maxRedirects) {
      throw new OutboundRefusedError('too_many_redirects', 'tooManyRedirects', {
        host: url.hostname,
        redirect: true,
      });
    }
    url = checkOutboundUrl(new URL(location, url), policy, true);
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
      headers.delete('content-type');
    }
    if (url.origin !== firstOrigin) for (const h of CREDENTIALS) headers.delete(h);
  }
}

interface OneRequest {
  method: string;
  headers: Headers;
  body?: string | URLSearchParams;
  signal?: AbortSignal;
}

/** One HTTP exchange, on a fresh socket whose address is checked when it is resolved. */
function request(url: URL, req: OneRequest, policy: OutboundPolicy, redirect: boolean): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    let refused: OutboundRefusedError | undefined;
    const lookup = checkedLookup(policy, redirect, (e) => {
      refused = e;
    });
    const headers: Record<string, string> = {};
    req.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const payload = req.body === undefined ? undefined : req.body.toString();
    const client = url.protocol === 'https:' ? https : http;
    // No keep-alive pool: a pooled socket would skip the lookup that checks the address.
    const outgoing = client.request(url, { method: req.method, headers, agent: false, lookup, signal: req.signal }, (incoming) => {
      const status = incoming.statusCode ?? 0;
      const responseHeaders = new Headers();
      for (const [key, value] of Object.entries(incoming.headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(key, v);
      }
      const noBody = NULL_BODY.has(status) || req.method === 'HEAD';
      if (noBody) incoming.resume();
      try {
        const stream = noBody ? null : (Readable.toWeb(incoming) as unknown as ReadableStream<Uint8Array>);
        resolve(new Response(stream, { status, statusText: incoming.statusMessage, headers: responseHeaders }));
      } catch (e) {
        incoming.destroy();
        reject(e); // a status fetch cannot represent (outside 200-599)
      }
    });
    outgoing.on('error', (e) => reject(refused ?? e));
    outgoing.end(payload);
  });
}

/** A socket `lookup` that resolves through the policy and refuses any non-public address. */
function checkedLookup(policy: OutboundPolicy, redirect: boolean, onRefused: (e: OutboundRefusedError) => void): LookupFunction {
  const resolve = policy.lookup ?? ((hostname: string) => dns.promises.lookup(hostname, { all: true, verbatim: true }));
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const bad = policy.allowPrivateNetworks ? undefined : found.find((a) => isNonPublicAddress(a.address));
        if (bad) {
          // Every address must be public: a name with one private address is refused outright.
          const e = privateAddress(hostname, bad.address, redirect);
          onRefused(e);
          return callback(e, '', 0);
        }
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const usable = found.filter((a) => family === undefined || a.family === family);
        if (usable.length === 0) {
          const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
          return callback(e, '', 0);
        }
        if (options.all)
          (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(
            null,
            usable.map((a) => ({ address: a.address, family: a.family })),
          );
        else callback(null, usable[0].address, usable[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

function privateAddress(host: string, address: string, redirect: boolean): OutboundRefusedError {
  return new OutboundRefusedError('private_address', 'privateAddress', {
    host,
    address,
    redirect,
  });
}
