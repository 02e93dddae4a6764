/**
 * SlackSurface and its file and client helpers against the fake Slack Web API over real HTTP:
 * the real @slack/web-api client, no module mocks.
 */
import { webApi } from '@slack/bolt';
import { isBridgeError } from '../../../bots/core/errors';
import type { Address, DetailsView, FileRef } from '../../../bots/core/ports';
import { createSlackClient, liveChatRetryPolicy, REQUEST_TIMEOUT_MS, slackCall, slackError } from '../../../bots/slack/client';
import { downloadSlackFile, slackFileFetch, tokenMayGoTo } from '../../../bots/slack/files';
import type { OutboundFetch } from '../../../bots/http/outbound-guard';
import { TEST_OUTBOUND } from '../../helpers/bridge-harness';
import { SlackIdentity } from '../../../bots/slack/identity';
import { SlackSurface } from '../../../bots/slack/surface';
import { RecordingLogger } from '../../helpers/core-fakes';
import { startFakeFileServer, type FakeFileServer } from '../../helpers/fake-file-server';
import { startFakeSlack, DEFAULT_SCOPES, type FakeSlack } from '../../helpers/fake-slack';
import { buttonsOf, statusLineOf } from '../../helpers/slack-harness';

const TOKEN = 'xoxb-surface-test';
const details: DetailsView = {
  type: 'details',
  offerId: 'offer-1',
  prompt: 'Tell us what you need help with.',
  topics: [{ id: 'hw', label: 'Hardware' }],
  topicRequired: true,
};

describe('SlackSurface (against the fake Slack Web API)', () => {
  let slack: FakeSlack;
  let logger: RecordingLogger;
  let now: number;

  beforeEach(async () => {
    slack = await startFakeSlack({ botToken: TOKEN });
    logger = new RecordingLogger();
    now = Date.now();
  });
  afterEach(() => slack.close());

  async function surface(options: { customizeSender?: 'auto' | 'on' | 'off'; maxFileBytes?: number; fetch?: OutboundFetch } = {}) {
    const settings = { botToken: TOKEN, apiUrl: slack.apiUrl, customizeSender: options.customizeSender ?? 'auto' };
    const client = createSlackClient(settings, logger);
    const identity = new SlackIdentity(client, logger);
    await identity.load();
    return new SlackSurface({
      client,
      settings,
      identity,
      logger,
      maxFileBytes: options.maxFileBytes ?? 1024 * 1024,
      now: () => now,
      fetch: options.fetch,
      outbound: TEST_OUTBOUND,
    });
  }
  const address = (extra: Record<string, unknown> = {}): Address => ({ team: 'T0ACME', channel: 'D0ANA', user: 'U0ANA', ...extra });

  it('posts a card as Block Kit and replaces its buttons with a status line on update', async () => {
    const s = await surface();
    const ref = await s.send(address(), {
      kind: 'card',
      view: { type: 'offer', offerId: 'o1', message: 'I can connect you.', showButton: true },
    });
    const [message] = slack.messages;
    expect(ref).toEqual({ channel: 'D0ANA', ts: message.ts });
    expect(buttonsOf(message).map((b) => b.action_id)).toEqual(['lab_start_chat']);
    expect(slack.callsOf('chat.postMessage')[0].token).toBe(TOKEN);

    await s.update(address(), ref, {
      kind: 'card',
      view: { type: 'offer', offerId: 'o1', message: 'I can connect you.', showButton: false, status: { text: 'Chat started' } },
    });
    expect(buttonsOf(message)).toEqual([]);
    expect(statusLineOf(message)).toBe('Chat started');
    expect(slack.callsOf('chat.update')[0].args).toMatchObject({ channel: 'D0ANA', ts: message.ts });
  });

  it('opens the details modal while the click is fresh, and posts the form as a message too', async () => {
    const s = await surface();
    const triggerId = slack.issueTrigger();
    const ref = await s.send(address({ triggerId, triggerAt: now - 1000 }), { kind: 'card', view: details });
    expect(slack.views).toHaveLength(1);
    const [view] = slack.views;
    expect(view.triggerId).toBe(triggerId);
    expect(JSON.parse(view.view.private_metadata)).toEqual({ offerId: 'offer-1', channel: 'D0ANA', from: 'offer', topicRequired: true });
    const [message] = slack.messages;
    expect(buttonsOf(message).map((b) => b.action_id)).toEqual(['lab_add_details']);
    expect(ref).toEqual({ channel: 'D0ANA', ts: message.ts, view: view.id });
  });

  it('does not try a trigger older than 2.5 s: the form is a message with "Add details"', async () => {
    const s = await surface();
    const ref = await s.send(address({ triggerId: slack.issueTrigger(), triggerAt: now - 2600 }), { kind: 'card', view: details });
    expect(slack.calls.filter((c) => c.method === 'views.open')).toHaveLength(0);
    expect(ref).toEqual({ channel: 'D0ANA', ts: slack.messages[0].ts });
  });

  it('falls back to the message when Slack says the trigger expired', async () => {
    const s = await surface();
    const stale = slack.issueTrigger(Date.now() - 10_000);
    const ref = await s.send(address({ triggerId: stale, triggerAt: now }), { kind: 'card', view: details });
    expect(slack.calls.find((c) => c.method === 'views.open')?.response).toEqual({ ok: false, error: 'expired_trigger_id' });
    expect(ref).toEqual({ channel: 'D0ANA', ts: slack.messages[0].ts });
    expect(buttonsOf(slack.messages[0]).map((b) => b.action_id)).toEqual(['lab_add_details']);
  });

  it('skips updates it cannot make (a modal-only reference)', async () => {
    const s = await surface();
    await s.update(address(), { channel: 'D0ANA', view: 'V1' }, { kind: 'card', view: { ...details, status: { text: 'Sent' } } });
    expect(slack.calls.filter((c) => c.method === 'chat.update')).toHaveLength(0);
  });

  describe('agent attribution', () => {
    const beth = { id: 'beth', name: 'Beth', avatarUrl: 'https://cdn.example/beth.png' };

    it('posts as the agent (name and avatar) when the token has chat:write.customize', async () => {
      const s = await surface();
      await s.send(address(), { kind: 'text', text: 'Try **restarting**', from: beth });
      expect(slack.messages[0]).toMatchObject({ text: 'Try *restarting*', username: 'Beth', icon_url: 'https://cdn.example/beth.png' });
    });

    it('falls back to a name prefix when the scope is not granted, or when turned off', async () => {
      slack.scopes = DEFAULT_SCOPES.filter((s) => s !== 'chat:write.customize');
      const auto = await surface();
      await auto.send(address(), { kind: 'text', text: 'Hi', from: beth });
      expect(slack.messages[0].text).toBe('*Beth:* Hi');
      expect(slack.messages[0].username).toBeUndefined();

      slack.scopes = DEFAULT_SCOPES;
      const off = await surface({ customizeSender: 'off' });
      await off.send(address(), { kind: 'text', text: 'Hi', from: beth });
      expect(slack.messages[1]).toMatchObject({ text: '*Beth:* Hi' });
      expect(slack.messages[1].icon_url).toBeUndefined();
    });

    it('never sends a non-HTTPS avatar', async () => {
      const s = await surface({ customizeSender: 'on' });
      await s.send(address(), { kind: 'text', text: 'Hi', from: { ...beth, avatarUrl: 'http://cdn.example/beth.png' } });
      expect(slack.messages[0]).toMatchObject({ username: 'Beth' });
      expect(slack.messages[0].icon_url).toBeUndefined();
    });
  });

  it('opens the DM when an address has only the user (proactive sends), once', async () => {
    const s = await surface();
    await s.send({ user: 'U0NEW' }, { kind: 'text', text: 'one' });
    await s.send({ user: 'U0NEW' }, { kind: 'text', text: 'two' });
    expect(slack.callsOf('conversations.open')).toHaveLength(1);
    expect(slack.messages.map((m) => m.channel)).toEqual(['D0NEW', 'D0NEW']);
  });

  describe('files to the user', () => {
    it('uploads bytes with filesUploadV2 into the DM; with no text, says whose file it is', async () => {
      const s = await surface();
      const bytes = Buffer.from('%PDF-1.7 invoice');
      await s.send(address(), {
        kind: 'text',
        text: '',
        from: { id: 'b', name: 'Beth' },
        files: [{ name: 'invoice.pdf', contentType: 'application/pdf', content: bytes }],
      });
      expect(slack.callsOf('files.getUploadURLExternal')[0].args).toMatchObject({
        filename: 'invoice.pdf',
        length: String(bytes.byteLength),
      });
      const [upload] = slack.uploads;
      expect(upload).toMatchObject({ completed: true, channel: 'D0ANA', initialComment: 'Beth sent a file.' });
      expect(upload.bytes!.equals(bytes)).toBe(true);
      expect(slack.messages).toHaveLength(0);
    });

    it('fetches a file given only by URL, within the size limit; too big, it sends the link instead', async () => {
      const s = await surface({ maxFileBytes: 100 });
      const small = slack.hostPublic('small.txt', Buffer.from('tiny'), 'text/plain');
      const big = slack.hostPublic('big.bin', Buffer.alloc(500, 1), 'application/octet-stream');
      await s.send(address(), {
        kind: 'text',
        text: 'Here you go',
        files: [
          { name: 'small.txt', contentType: 'text/plain', url: small },
          { name: 'big.bin', contentType: 'application/octet-stream', url: big },
        ],
      });
      expect(slack.uploads.map((u) => [u.filename, u.bytes?.toString()])).toEqual([['small.txt', 'tiny']]);
      expect(slack.messages[0].text).toBe(`Here you go\n📎 <${big}|big.bin>`);
    });

    it('reports a failed upload, so the agent is told', async () => {
      const s = await surface();
      slack.failNext('files.getUploadURLExternal', 1, { error: 'file_uploads_disabled' });
      const sent = s.send(address(), {
        kind: 'text',
        text: 'see file',
        files: [{ name: 'a.txt', contentType: 'text/plain', content: Buffer.from('a') }],
      });
      await expect(sent).rejects.toMatchObject({ code: 'surface_send_failed', details: { textDelivered: true } });
    });
  });

  describe('where files are fetched from (the outbound guard)', () => {
    let files: FakeFileServer;
    let other: FakeFileServer;
    beforeEach(async () => {
      files = await startFakeFileServer();
      other = await startFakeFileServer();
    });
    afterEach(async () => {
      await files.close();
      await other.close();
    });

    /** A surface whose API host is the local file server, so its files pass the token check. */
    async function guarded(outbound: { allowPrivateNetworks: boolean; allowHttp: boolean }) {
      const settings = { botToken: TOKEN, apiUrl: slack.apiUrl, customizeSender: 'off' as const };
      const client = createSlackClient(settings, logger);
      const identity = new SlackIdentity(client, logger);
      await identity.load();
      return new SlackSurface({
        client,
        settings: { ...settings, apiUrl: `${files.url}/api/` },
        identity,
        logger,
        maxFileBytes: 1024,
        now: () => now,
        outbound,
      });
    }
    const userFile = (url: string): FileRef => ({ name: 'shot.png', contentType: 'image/png', url, handle: { id: 'F9' } });

    it('refuses a user file on a loopback address unless private networks are allowed', async () => {
      const url = files.serve('/files-pri/T1-F9/shot.png', { body: 'PNGDATA', contentType: 'image/png' });
      const err = await (await guarded({ allowPrivateNetworks: false, allowHttp: true }))
        .download(address(), userFile(url), 1024)
        .catch((e) => e);
      expect(err).toMatchObject({
        code: 'file_rejected',
        message: 'its address is on a private network, which the bridge does not download from',
      });
      expect(files.requests).toEqual([]);
      const bytes = await (await guarded(TEST_OUTBOUND)).download(address(), userFile(url), 1024);
      expect(Buffer.from(bytes).toString()).toBe('PNGDATA');
    });

    it('does not follow a redirect to a host off the list, and the token never gets there', async () => {
      const away = other.serve('/loot', { body: 'x' }).replace('127.0.0.1', 'localhost');
      const url = files.serve('/files-pri/T1-F9/hop.png', { redirectTo: away });
      const err = await (await guarded(TEST_OUTBOUND)).download(address(), userFile(url), 1024).catch((e) => e);
      expect(err).toMatchObject({
        code: 'file_rejected',
        message: 'the download was sent on to a place the bridge does not download files from',
      });
      expect(other.requests).toEqual([]);
    });

    it("sends an agent's link off the allowed hosts as a link, without fetching it", async () => {
      const link = other.serve('/agent/guide.pdf', { body: '%PDF', contentType: 'application/pdf' }).replace('127.0.0.1', 'localhost');
      await (await guarded(TEST_OUTBOUND)).send(address(), {
        kind: 'text',
        text: 'The guide',
        files: [{ name: 'guide.pdf', contentType: 'application/pdf', url: link }],
      });
      expect(other.requests).toEqual([]);
      expect(slack.uploads).toEqual([]);
      expect(slack.messages[0].text).toContain(`<${link}|guide.pdf>`);
    });
  });

  describe('files from the user (download)', () => {
    const fileFor = (obj: Record<string, any>): FileRef => ({
      name: obj.name,
      contentType: obj.mimetype,
      size: obj.size,
      url: obj.url_private_download,
      handle: { id: obj.id },
    });

    it('downloads with the bot token', async () => {
      const s = await surface();
      const obj = slack.addFile({ id: 'F1', name: 'shot.png', mimetype: 'image/png', bytes: Buffer.from('PNGDATA') });
      const bytes = await s.download(address(), fileFor(obj), 1024);
      expect(Buffer.from(bytes).toString()).toBe('PNGDATA');
    });

    it('completes a stub with files.info first', async () => {
      const s = await surface();
      slack.addFile({ id: 'F2', name: 'log.txt', mimetype: 'text/plain', bytes: Buffer.from('lines') });
      const bytes = await s.download(address(), { name: 'file-F2', contentType: '', handle: { id: 'F2', stub: true } }, 1024);
      expect(Buffer.from(bytes).toString()).toBe('lines');
      expect(slack.callsOf('files.info')).toHaveLength(1);
    });

    it('treats an HTML login page (wrong token) as an error, not as the file', async () => {
      const s = await surface();
      const obj = slack.addFile({
        id: 'F3',
        name: 'report.pdf',
        mimetype: 'application/pdf',
        bytes: Buffer.from('%PDF'),
        token: 'xoxb-another-workspace',
      });
      const err = await s.download(address(), fileFor(obj), 1024).catch((e) => e);
      expect(isBridgeError(err, 'unauthorized')).toBe(true);
      expect(err.message).toMatch(/login page/);
    });

    it('stops at maxBytes even when the file claims to be small', async () => {
      const s = await surface();
      const obj = slack.addFile({
        id: 'F4',
        name: 'huge.bin',
        mimetype: 'application/octet-stream',
        bytes: Buffer.alloc(300_000, 7),
        size: 10,
        chunked: true,
      });
      const err = await s.download(address(), fileFor(obj), 1000).catch((e) => e);
      expect(isBridgeError(err, 'file_rejected')).toBe(true);
      expect(err.message).toBe('it is larger than 1000 bytes');
      // A declared size over the limit is refused without a request.
      const declared = await s.download(address(), { ...fileFor(obj), size: 5000 }, 1000).catch((e) => e);
      expect(isBridgeError(declared, 'file_rejected')).toBe(true);
    });

    it('never sends the bot token outside Slack (external files)', async () => {
      const calls: string[] = [];
      const spy = (async (url: string | URL | Request) => {
        calls.push(String(url));
        return new Response('x');
      }) as OutboundFetch;
      const s = await surface({ fetch: spy });
      const external = { name: 'doc', contentType: 'application/pdf', url: 'https://docs.google.example/d/1', handle: { id: 'F5' } };
      await expect(s.download(address(), external, 1000)).rejects.toMatchObject({ code: 'file_rejected' });
      await expect(s.download(address(), { ...external, handle: { id: 'F5', external: true } }, 1000)).rejects.toMatchObject({
        code: 'file_rejected',
      });
      expect(calls).toEqual([]);
      expect(tokenMayGoTo('https://files.slack.com/files-pri/T1-F1/x.png', 'https://slack.com/api/')).toBe(true);
      expect(tokenMayGoTo('http://files.slack.com/x', 'https://slack.com/api/')).toBe(false);
      expect(tokenMayGoTo('https://slack.com.evil.example/x', 'https://slack.com/api/')).toBe(false);
    });

    it('downloadSlackFile refuses a file with no URL that files.info cannot find', async () => {
      const client = createSlackClient({ botToken: TOKEN, apiUrl: slack.apiUrl }, logger);
      const err = await downloadSlackFile(
        { client, token: TOKEN, apiUrl: slack.apiUrl, fetch: slackFileFetch({ apiUrl: slack.apiUrl }, TEST_OUTBOUND) },
        { name: 'x', contentType: '', handle: { id: 'F404', stub: true } },
        10,
      ).catch((e) => e);
      expect(isBridgeError(err)).toBe(true);
      expect(err.details).toMatchObject({ error: 'file_not_found' });
    });
  });
});

describe('the Web API client for a live chat', () => {
  let slack: FakeSlack;
  const logger = new RecordingLogger();
  beforeEach(async () => {
    slack = await startFakeSlack({ botToken: TOKEN });
  });
  afterEach(() => slack.close());

  it('gives up within about a minute, not the default thirty', () => {
    const { retries, factor, maxTimeout, maxRetryTime } = liveChatRetryPolicy as Required<typeof liveChatRetryPolicy>;
    expect(retries).toBeLessThanOrEqual(3);
    // Worst case: every attempt times out, with the longest backoffs in between.
    let waits = 0;
    for (let i = 0; i < retries; i++) waits += Math.min(maxTimeout, 1000 * 2 * factor ** i);
    expect((retries + 1) * REQUEST_TIMEOUT_MS + waits).toBeLessThanOrEqual(65_000);
    expect(maxRetryTime).toBeLessThanOrEqual(60_000);
    expect(webApi.retryPolicies.tenRetriesInAboutThirtyMinutes.retries).toBe(10);
  });

  it('waits out Retry-After for the rate-limited call only; other channels keep flowing', async () => {
    const client = createSlackClient({ botToken: TOKEN, apiUrl: slack.apiUrl }, logger);
    slack.failNext('chat.postMessage', 1, { status: 429, retryAfter: 2 });
    const started = Date.now();
    const limited = slackCall('chat.postMessage', () => client.chat.postMessage({ channel: 'D0A', text: 'first' })).then(
      () => Date.now() - started,
    );
    await new Promise((r) => setTimeout(r, 50));
    await slackCall('chat.postMessage', () => client.chat.postMessage({ channel: 'D0B', text: 'other user' }));
    const otherDone = Date.now() - started;
    // The default client pauses its whole queue for Retry-After: the other user would wait 2 s too.
    expect(otherDone).toBeLessThan(1500);
    expect(await limited).toBeGreaterThanOrEqual(1950);
    expect(slack.messages.map((m) => m.text)).toEqual(['other user', 'first']);
  });

  it('does not wait past its budget: the failure says to try later', async () => {
    const slept: number[] = [];
    const err = await slackCall(
      'chat.postMessage',
      async () => {
        throw new webApi.WebAPIRateLimitedError(120);
      },
      { sleep: async (ms) => void slept.push(ms) },
    ).catch((e) => e);
    expect(slept).toEqual([]);
    expect(err).toMatchObject({ code: 'surface_send_failed', retryable: true, status: 429 });
  });

  it('retries a 5xx and succeeds', async () => {
    const client = createSlackClient({ botToken: TOKEN, apiUrl: slack.apiUrl }, logger);
    slack.failNext('chat.postMessage', 1, { status: 503 });
    await slackCall('chat.postMessage', () => client.chat.postMessage({ channel: 'D0A', text: 'after a blip' }));
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.status)).toEqual([503, 200]);
  });

  it('maps platform errors to typed errors, keeping Slack’s error string', async () => {
    const client = createSlackClient({ botToken: TOKEN, apiUrl: slack.apiUrl }, logger);
    slack.failNext('chat.postMessage', 1, { error: 'channel_not_found' });
    const err = await slackCall('chat.postMessage', () => client.chat.postMessage({ channel: 'D0A', text: 'x' })).catch((e) => e);
    expect(err).toMatchObject({
      code: 'surface_send_failed',
      retryable: false,
      details: { method: 'chat.postMessage', error: 'channel_not_found' },
    });
    expect(slackError(new Error('boom'), 'x').retryable).toBe(true);
  });
});
