/**
 * The outbound guard against a real local HTTP server: which addresses count as private, host
 * patterns, the resolved address checked at connect time (names resolved by an injected lookup,
 * no DNS), redirects re-checked hop by hop, and credentials kept to the first origin.
 */
import {
  checkOutboundUrl,
  guardedFetch,
  hostMatches,
  hostPatternSchema,
  isOutboundRefused,
  type OutboundPolicy,
} from '../../../bots/http/outbound-guard';
import { isNonPublicAddress } from '../../../bots/http/network-address';
import { startFakeFileServer, type FakeFileServer } from '../../helpers/fake-file-server';

let server: FakeFileServer;
let port: string;
beforeAll(async () => {
  server = await startFakeFileServer();
  port = new URL(server.url).port;
});
afterAll(() => server.close());

const toLoopback = async () => [{ address: '127.0.0.1', family: 4 }];
const policy = (p: Partial<OutboundPolicy> = {}): OutboundPolicy => ({
  hosts: ['files.example.com'],
  allowHttp: true,
  allowPrivateNetworks: false,
  lookup: toLoopback,
  ...p,
});

async function refusal(p: Promise<unknown>): Promise<{ code: string; refusal: string; message: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isOutboundRefused(e)) throw new Error(`expected a refusal, got ${String(e)}`);
  return e;
}

describe('non-public addresses', () => {
  it.each([
    '127.0.0.1',
    '127.9.9.9',
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '100.127.255.255',
    '169.254.169.254',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '[::1]',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
    '2002:7f00:1::1',
    'ff02::1',
    'not-an-ip',
  ])('%s is not public', (ip) => expect(isNonPublicAddress(ip)).toBe(true));

  it.each(['8.8.8.8', '52.96.0.1', '100.128.0.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2620:1ec:8f8::10'])(
    '%s is public',
    (ip) => expect(isNonPublicAddress(ip)).toBe(false),
  );
});

describe('host patterns', () => {
  it('matches exact names and *. subdomains, never look-alikes', () => {
    const hosts = ['files.slack.com', '*.sharepoint.com'];
    expect(hostMatches('files.slack.com', hosts)).toBe(true);
    expect(hostMatches('FILES.SLACK.COM.', hosts)).toBe(true);
    expect(hostMatches('contoso-my.sharepoint.com', hosts)).toBe(true);
    expect(hostMatches('a.b.sharepoint.com', hosts)).toBe(true);
    expect(hostMatches('sharepoint.com', hosts)).toBe(false);
    expect(hostMatches('evilsharepoint.com', hosts)).toBe(false);
    expect(hostMatches('contoso.sharepoint.com.evil.example', hosts)).toBe(false);
    expect(hostMatches('slack.com', hosts)).toBe(false);
  });
});

describe('host lists in config', () => {
  it('takes names, *. wildcards and IP literals, and says what is wrong with anything else', () => {
    expect(['files.slack.com', ' *.SharePoint.com ', '127.0.0.1', '::1'].map((h) => hostPatternSchema.parse(h))).toEqual([
      'files.slack.com',
      '*.sharepoint.com',
      '127.0.0.1',
      '::1',
    ]);
    for (const bad of ['*', 'https://files.slack.com', '*.', 'files.slack.com/path', '']) {
      const r = hostPatternSchema.safeParse(bad);
      expect(r.success ? 'accepted' : r.error.issues[0].message).toMatch(/a host name such as files\.example\.com/);
    }
  });
});

describe('guardedFetch', () => {
  it('fetches from an allowed host when private networks are allowed (tests, local development)', async () => {
    server.serve('/ok', { body: 'hello' });
    const res = await guardedFetch(policy({ allowPrivateNetworks: true }))(`http://files.example.com:${port}/ok`);
    expect(await res.text()).toBe('hello');
  });

  it('refuses a public-looking name that resolves to loopback, before any request', async () => {
    server.serve('/secret', { body: 'secret' });
    const e = await refusal(guardedFetch(policy())(`http://files.example.com:${port}/secret`));
    expect(e).toMatchObject({ code: 'file_rejected', refusal: 'private_address' });
    expect(server.requestsFor('/secret')).toEqual([]);
  });

  it('refuses a name with one private address among public ones', async () => {
    const mixed = async () => [
      { address: '52.96.0.1', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    expect(await refusal(guardedFetch(policy({ lookup: mixed }))('https://files.example.com/x'))).toMatchObject({
      refusal: 'private_address',
    });
  });

  it('refuses IP literals on private ranges, also written as IPv4-mapped IPv6', async () => {
    const hosts = ['127.0.0.1', '169.254.169.254', '10.1.1.1', '::ffff:7f00:1'];
    for (const url of [
      `http://127.0.0.1:${port}/x`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.1.1/',
      `http://[::ffff:127.0.0.1]:${port}/x`,
    ]) {
      expect(await refusal(guardedFetch(policy({ hosts }))(url))).toMatchObject({ refusal: 'private_address' });
    }
    expect(server.requestsFor('/x')).toEqual([]);
  });

  it('refuses hosts off the list, plain http unless allowed, and URLs that are not http(s)', async () => {
    expect(await refusal(guardedFetch(policy())(`http://other.example.com:${port}/x`))).toMatchObject({ refusal: 'host_not_allowed' });
    expect(await refusal(guardedFetch(policy({ allowHttp: false }))(`http://files.example.com:${port}/x`))).toMatchObject({
      refusal: 'insecure_scheme',
    });
    expect(await refusal(guardedFetch(policy())('file:///etc/passwd'))).toMatchObject({ refusal: 'insecure_scheme' });
    expect(await refusal(guardedFetch(policy())('not a url'))).toMatchObject({ refusal: 'bad_url' });
  });

  it('re-checks every redirect: to a host off the list, or to a private address, is not followed', async () => {
    const allowed = policy({ hosts: ['files.example.com', '127.0.0.1'], allowPrivateNetworks: true });
    server.serve('/hop-out', { redirectTo: `http://other.example.com:${port}/landing` });
    expect(await refusal(guardedFetch(allowed)(`http://files.example.com:${port}/hop-out`))).toMatchObject({ refusal: 'host_not_allowed' });
    // A redirect hop is checked like a first URL (the private check of a hop's IP literal):
    expect(() => checkOutboundUrl('http://169.254.169.254/latest/', policy({ hosts: ['169.254.169.254'] }), true)).toThrow(
      /private network/,
    );
    expect(server.requestsFor('/landing')).toEqual([]);
  });

  it('follows allowed redirects a few times at most, and keeps credentials to the first origin', async () => {
    const allowed = policy({ hosts: ['files.example.com', '127.0.0.1'], allowPrivateNetworks: true });
    server.serve('/final', { body: 'done' });
    server.serve('/same-origin', { redirectTo: '/final' });
    server.serve('/cross-origin', { redirectTo: `http://127.0.0.1:${port}/final` });
    const fetch = guardedFetch(allowed);
    await fetch(`http://files.example.com:${port}/same-origin`, { headers: { authorization: 'Bearer t' } }).then((r) => r.text());
    await fetch(`http://files.example.com:${port}/cross-origin`, { headers: { authorization: 'Bearer t' } }).then((r) => r.text());
    expect(server.requestsFor('/final').map((r) => r.authorization)).toEqual(['Bearer t', undefined]);
    server.serve('/loop', { redirectTo: '/loop' });
    expect(await refusal(fetch(`http://files.example.com:${port}/loop`))).toMatchObject({ refusal: 'too_many_redirects' });
    expect(server.requestsFor('/loop')).toHaveLength(6);
  });
});
