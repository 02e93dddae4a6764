/**
 * The ServiceNow connector against the simulator, over HTTP both ways: every auth mode in each
 * direction, webhook rejection, redelivery, retries and failures, receipts, typing, files both
 * ways, ticket on handoff, availability. The Desk suite (test/contract) covers the chat basics.
 */
import { chatRequest } from '../contract/desk.contract';
import { eventually } from '../helpers/eventually';
import type { DeskEvent, FileRef } from '../../bots/core/ports';
import type { ServiceNowSettingsInput } from '../../adapters/desks/servicenow/config';
import { DEFAULT_SIM_AUTH } from '../simulators/servicenow/simulator';
import { agentText } from '../simulators/servicenow/payloads';
import { testClock } from '../helpers/console-harness';
import {
  servicenowSettings,
  startServiceNowHarness,
  WEBHOOK_SECRET,
  type ServiceNowHarness,
  type ServiceNowHarnessOptions,
} from '../helpers/servicenow-harness';

const BASIC = DEFAULT_SIM_AUTH.basic!;
const OAUTH = { clientId: 'bridge-client', clientSecret: 'bridge-client-secret', username: BASIC.username, password: BASIC.password };
const MESSAGE_TOKEN = 'message-auth-token-0123456789';
const SIGNING_SECRET = 'message-signing-secret-0123456789';

let n = 0;
const sessionId = () => `sn-wire-${Date.now().toString(36)}-${++n}`;
const of = (events: DeskEvent[], id: string, type?: DeskEvent['type']) =>
  events.filter((e) => e.sessionId === id && (!type || e.type === type));

describe('ServiceNow connector over the wire', () => {
  let h: ServiceNowHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const start = async (options: ServiceNowHarnessOptions = {}) => (h = await startServiceNowHarness(options));
  const settingsWith = (extra: Partial<ServiceNowSettingsInput>) => (url: string) => servicenowSettings(url, extra);

  /** Open, accept, exchange one message each way; returns the session id. */
  async function roundTrip(harness: ServiceNowHarness): Promise<string> {
    const id = sessionId();
    await harness.desk.openChat(chatRequest(id));
    await harness.sim.accept(id);
    await eventually(() => expect(of(harness.events, id, 'agentJoined')).toHaveLength(1));
    await harness.desk.sendMessage(id, { messageId: `${id}-m1`, text: 'hello agent', at: Date.now() });
    await harness.sim.say(id, 'hello user');
    await eventually(() => expect(of(harness.events, id, 'agentMessage')).toEqual([expect.objectContaining({ text: 'hello user' })]));
    expect(harness.sim.received(id)).toEqual(['hello agent']);
    return id;
  }

  describe('auth, bridge -> ServiceNow', () => {
    it.each([
      ['basic', { auth: { mode: 'basic', username: BASIC.username, password: BASIC.password } }, { basic: BASIC }, {}, 'basic'],
      ['oauth, password grant', { auth: { mode: 'oauth', ...OAUTH } }, { oauth: OAUTH }, {}, 'oauth'],
      [
        'oauth, client credentials',
        { auth: { mode: 'oauth', grantType: 'client_credentials', clientId: OAUTH.clientId, clientSecret: OAUTH.clientSecret } },
        { oauth: OAUTH },
        {},
        'oauth',
      ],
      [
        'message auth: token header',
        { auth: { mode: 'none' }, messageAuth: { mode: 'token', secret: MESSAGE_TOKEN }, availability: { enabled: false } },
        {},
        { token: MESSAGE_TOKEN },
        'token',
      ],
      [
        'message auth: x-b2b-signature',
        { auth: { mode: 'none' }, messageAuth: { mode: 'signature', secret: SIGNING_SECRET }, availability: { enabled: false } },
        {},
        { signatureSecret: SIGNING_SECRET },
        'signature',
      ],
    ] as const)('%s', async (_label, settings, simAuth, messageAuth, used) => {
      const harness = await start({
        settings: settingsWith(settings as Partial<ServiceNowSettingsInput>),
        sim: { auth: simAuth, messageAuth },
      });
      await roundTrip(harness);
      const va = harness.sim.requests.filter((r) => r.path === '/api/sn_va_as_service/bot/integration');
      expect(va.length).toBeGreaterThanOrEqual(2);
      expect(va.every((r) => r.auth === used && r.status === 200)).toBe(true);
      if (used === 'oauth')
        expect(harness.sim.auth.grants).toEqual([
          settings.auth.mode === 'oauth' && 'grantType' in settings.auth ? 'client_credentials' : 'password',
        ]);
      expect(harness.logger.text()).not.toMatch(new RegExp([BASIC.password, OAUTH.clientSecret, MESSAGE_TOKEN, SIGNING_SECRET].join('|')));
    });

    it('wrong credentials: the chat is not opened and the error says why', async () => {
      const harness = await start({
        settings: settingsWith({ auth: { mode: 'basic', username: BASIC.username, password: 'wrong-password' } }),
      });
      await expect(harness.desk.openChat(chatRequest(sessionId()))).rejects.toMatchObject({
        code: 'desk_unavailable',
        cause: expect.objectContaining({ code: 'desk_auth_failed' }),
      });
      expect(harness.sim.conversations.size).toBe(0);
    });

    it('an OAuth token revoked on the instance is replaced on the 401, once', async () => {
      const harness = await start({ settings: settingsWith({ auth: { mode: 'oauth', ...OAUTH } }), sim: { auth: { oauth: OAUTH } } });
      const id = await roundTrip(harness);
      harness.sim.auth.revokeAll();
      await harness.desk.sendMessage(id, { messageId: `${id}-m2`, text: 'after revoke', at: Date.now() });
      expect(harness.sim.received(id)).toEqual(['hello agent', 'after revoke']);
      expect(harness.sim.auth.grants).toEqual(['password', 'refresh_token']);
    });
  });

  describe('auth, ServiceNow -> bridge (webhook)', () => {
    it.each([
      [
        'static header',
        { mode: 'header', header: 'token', secret: WEBHOOK_SECRET },
        () => ({ mode: 'header', headers: { token: WEBHOOK_SECRET } }),
      ],
      [
        'basic',
        { mode: 'basic', username: 'servicenow', secret: WEBHOOK_SECRET },
        () => ({ mode: 'basic', username: 'servicenow', password: WEBHOOK_SECRET }),
      ],
      [
        'oauth (client credentials from our token URL)',
        { mode: 'oauth', clientId: 'servicenow', secret: WEBHOOK_SECRET },
        (bot: string) => ({
          mode: 'oauth',
          tokenUrl: `${bot}/servicenow/webhook/oauth/token`,
          clientId: 'servicenow',
          clientSecret: WEBHOOK_SECRET,
        }),
      ],
      ['signature', { mode: 'signature', secret: WEBHOOK_SECRET }, () => ({ mode: 'signature', secret: WEBHOOK_SECRET })],
    ] as const)(
      '%s: accepted with the right credentials, 401 and nothing applied with wrong ones',
      async (_label, webhookAuth, outbound) => {
        const harness = await start({ settings: settingsWith({ webhook: { auth: webhookAuth } }), outboundAuth: outbound as never });
        const id = await roundTrip(harness);
        if (webhookAuth.mode === 'oauth') expect(harness.sim.outbound.tokenRequests).toBe(1);

        const before = JSON.stringify(await harness.store.get(`sn:chat:${id}`));
        const eventsBefore = harness.events.length;
        const conv = harness.sim.conversation(id);
        const wrong = [
          { mode: 'none' },
          { mode: 'header', headers: { token: 'not-the-secret-000000' } },
          { mode: 'basic', username: 'servicenow', password: 'not-the-secret' },
          { mode: 'signature', secret: 'not-the-secret-000000' },
        ] as const;
        for (const auth of wrong) {
          const res = await harness.sim.post(id, agentText(conv, harness.sim.agents[0], 'forged message'), auth);
          expect(res.status).toBe(401);
          expect(JSON.parse(res.body)).toEqual({ status: 'failure', error: expect.objectContaining({ message: expect.any(String) }) });
        }
        await new Promise((r) => setTimeout(r, 100));
        expect(harness.events.length).toBe(eventsBefore);
        expect(JSON.stringify(await harness.store.get(`sn:chat:${id}`))).toBe(before);
        expect(harness.store.ops.filter((o) => o.op === 'claim' && o.key.startsWith('sn:payload:')).length).toBe(
          harness.sim.outbound.posts.filter((p) => p.status === 200).length,
        );
      },
    );

    it('the token endpoint refuses a wrong client secret', async () => {
      const harness = await start({
        settings: settingsWith({ webhook: { auth: { mode: 'oauth', clientId: 'servicenow', secret: WEBHOOK_SECRET } } }),
      });
      const res = await fetch(`${harness.webhookUrl}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'servicenow', client_secret: 'nope' }),
      });
      expect(res.status).toBe(401);
    });
  });

  describe('webhook payloads', () => {
    it('the same payload delivered twice is relayed once', async () => {
      const harness = await start();
      const id = sessionId();
      await harness.desk.openChat(chatRequest(id));
      await harness.sim.accept(id);
      const payload = agentText(harness.sim.conversation(id), harness.sim.agents[0], 'only once', 'msg-dup-1');
      expect((await harness.sim.post(id, payload)).status).toBe(200);
      expect((await harness.sim.post(id, JSON.parse(JSON.stringify(payload)))).status).toBe(200);
      await eventually(() => expect(of(harness.events, id, 'agentMessage')).toHaveLength(1));
      await new Promise((r) => setTimeout(r, 100));
      expect(of(harness.events, id, 'agentMessage')).toHaveLength(1);
    });

    it('bad JSON is a 400; a payload for an unknown chat is answered and ignored', async () => {
      const harness = await start();
      const res = await fetch(harness.webhookUrl, {
        method: 'POST',
        headers: { token: WEBHOOK_SECRET, 'Content-Type': 'application/json' },
        body: '{nope',
      });
      expect(res.status).toBe(400);
      const unknown = await fetch(harness.webhookUrl, {
        method: 'POST',
        headers: { token: WEBHOOK_SECRET },
        body: JSON.stringify({ clientSessionId: 'nobody', body: [{ uiType: 'OutputText', value: 'hi' }] }),
      });
      expect(unknown.status).toBe(200);
      await eventually(() => expect(harness.logger.text()).toMatch(/unknown chat/));
    });

    it("a body past maxBodyBytes is a 413 and one nested past 64 levels a 400, in ServiceNow's failure shape, applying nothing", async () => {
      const harness = await start({
        settings: settingsWith({ webhook: { auth: { mode: 'header', header: 'token', secret: WEBHOOK_SECRET }, maxBodyBytes: 4096 } }),
      });
      const id = sessionId();
      await harness.desk.openChat(chatRequest(id));
      await harness.sim.accept(id);
      const headers = { token: WEBHOOK_SECRET, 'Content-Type': 'application/json' };
      const big = await fetch(harness.webhookUrl, {
        method: 'POST',
        headers,
        body: JSON.stringify({ clientSessionId: id, pad: 'x'.repeat(5000) }),
      });
      expect(big.status).toBe(413);
      expect(await big.json()).toEqual({ status: 'failure', error: { message: 'The body is too large.', detail: 'too_large' } });
      const nested = `{"clientSessionId":"${id}","body":[${'['.repeat(100)}${']'.repeat(100)}]}`;
      const deep = await fetch(harness.webhookUrl, { method: 'POST', headers, body: nested });
      expect(deep.status).toBe(400);
      expect(await deep.json()).toEqual({
        status: 'failure',
        error: { message: 'The body is nested more than 64 levels deep.', detail: 'bad_request' },
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(of(harness.events, id, 'agentMessage')).toEqual([]);
    });

    it('unknown uiType/actionType values are logged and ignored; later items still arrive', async () => {
      const harness = await start();
      const id = sessionId();
      await harness.desk.openChat(chatRequest(id));
      await harness.sim.accept(id);
      const conv = harness.sim.conversation(id);
      const res = await harness.sim.post(id, {
        clientSessionId: id,
        body: [
          { uiType: 'Hologram' },
          { uiType: 'ActionMsg', actionType: 'Teleport' },
          ...(agentText(conv, harness.sim.agents[0], 'after the odd ones').body as object[]),
        ],
      });
      expect(res.status).toBe(200);
      await eventually(() =>
        expect(of(harness.events, id, 'agentMessage')).toEqual([expect.objectContaining({ text: 'after the odd ones' })]),
      );
      expect(harness.logger.text()).toMatch(/Hologram/);
      expect(harness.logger.text()).toMatch(/ActionMsg\/Teleport/);
    });

    it('delivery receipts: sent_to_user when the user got it, external_error when not', async () => {
      let fail = false;
      const events: DeskEvent[] = [];
      const harness = await start({
        sink: async (e) => {
          events.push(e);
          if (fail && e.type === 'agentMessage') throw new Error('the user could not be reached');
        },
      });
      const id = sessionId();
      await harness.desk.openChat(chatRequest(id));
      await harness.sim.accept(id);
      const ok = await harness.sim.say(id, 'delivered');
      fail = true;
      const bad = await harness.sim.say(id, 'not delivered');
      await eventually(() =>
        expect(harness.sim.conversation(id).receipts).toEqual([
          { id: ok, status: 'sent_to_user' },
          { id: bad, status: 'external_error' },
        ]),
      );
    });

    it('typing: agent typing reaches the sink; user typing is TYPING, then VIEWING when idle', async () => {
      const harness = await start({ settings: settingsWith({ typingIdleSeconds: 1 }) });
      const id = sessionId();
      await harness.desk.openChat(chatRequest(id));
      await harness.sim.accept(id);
      await eventually(() => expect(of(harness.events, id, 'agentJoined')).toHaveLength(1));
      await harness.sim.typing(id, true);
      await eventually(() => expect(of(harness.events, id, 'typing')).toEqual([expect.objectContaining({ on: true })]));
      await harness.desk.sendTyping!(id);
      await harness.desk.sendTyping!(id); // a burst sends one TYPING
      expect(harness.sim.conversation(id).typing).toEqual(['TYPING']);
      await eventually(() => expect(harness.sim.conversation(id).typing).toEqual(['TYPING', 'VIEWING']), 3000);
    });
  });

  describe('sending: retries and failures', () => {
    it('a 500 (or 503 with Retry-After) is retried and the message arrives once', async () => {
      const harness = await start();
      const id = sessionId();
      await harness.desk.openChat(chatRequest(id));
      harness.sim.failNext(1, { status: 500 });
      harness.sim.failNext(1, { status: 503, retryAfter: '0' });
      await harness.desk.sendMessage(id, { messageId: 'm-retry', text: 'through the storm', at: Date.now() });
      expect(harness.sim.received(id)).toEqual(['through the storm']);
      const attempts = harness.sim.requests.filter((r) => r.path === '/api/sn_va_as_service/bot/integration' && r.action === undefined);
      expect(attempts.map((r) => r.status)).toEqual([500, 503, 200]);
    });

    it('a request that times out is retried with the same requestId', async () => {
      const harness = await start({ settings: settingsWith({ requestTimeoutMs: 300 }) });
      const id = sessionId();
      await harness.desk.openChat(chatRequest(id));
      harness.sim.failNext(1, { status: 200, delayMs: 1500 });
      await harness.desk.sendMessage(id, { messageId: 'm-timeout', text: 'slow but sure', at: Date.now() });
      expect(harness.sim.received(id)).toEqual(['slow but sure']);
    });

    it('when it keeps failing, sendMessage rejects (the broker tells the user) and a later retry is not dropped', async () => {
      const harness = await start();
      const id = sessionId();
      await harness.desk.openChat(chatRequest(id));
      harness.sim.failNext(3, { status: 500 });
      const message = { messageId: 'm-fail', text: 'lost?', at: Date.now() };
      await expect(harness.desk.sendMessage(id, message)).rejects.toMatchObject({ code: 'desk_unavailable', retryable: true });
      await harness.desk.sendMessage(id, message);
      expect(harness.sim.received(id)).toEqual(['lost?']);
    });

    it('opening fails cleanly when ServiceNow keeps answering 500', async () => {
      const harness = await start();
      const id = sessionId();
      harness.sim.failNext(3, { status: 500 });
      await expect(harness.desk.openChat(chatRequest(id))).rejects.toMatchObject({ code: 'desk_unavailable' });
      await expect(harness.desk.sendMessage(id, { messageId: 'x', text: 'x', at: 1 })).rejects.toMatchObject({ code: 'unknown_session' });
    });
  });

  describe('files', () => {
    const pdf = new Uint8Array(Buffer.from('%PDF-1.4 a small test document'));

    /** A user file as the broker hands it over: in the vault, with the bridge URL and the bytes. */
    const userFile = (harness: ServiceNowHarness, id: string): Promise<FileRef> =>
      harness.vault.put(id, { name: 'error log.pdf', contentType: 'application/pdf' }, pdf);

    it('url mode: ServiceNow downloads the file from the bridge with the per-chat Authorization header; nobody else can', async () => {
      const harness = await start();
      const a = sessionId();
      const b = sessionId();
      await harness.desk.openChat(chatRequest(a));
      await harness.desk.openChat(chatRequest(b));
      const file = await userFile(harness, a);
      await harness.desk.sendMessage(a, { messageId: 'f1', text: 'here is the log', files: [file], at: Date.now() });
      await harness.sim.idle();
      const [message] = harness.sim.conversation(a).messages;
      expect(message).toMatchObject({
        text: 'here is the log',
        attachment: { fileName: 'error log.pdf', contentType: 'application/pdf', url: file.url },
      });
      expect(message.download).toMatchObject({ status: 200, contentType: 'application/pdf' });
      expect(Buffer.from(message.download!.bytes!).equals(Buffer.from(pdf))).toBe(true);
      expect(message.attachment!.headers!.Authorization).toMatch(/^Bearer [\w-]{40,}$/);

      // Without the header, or with another chat's secret, the URL is refused.
      expect((await fetch(file.url!)).status).toBe(401);
      await harness.desk.sendMessage(b, { messageId: 'f2', text: 'mine', files: [await userFile(harness, b)], at: Date.now() });
      const otherSecret = harness.sim.conversation(b).messages[0].attachment!.headers!.Authorization;
      expect((await fetch(file.url!, { headers: { Authorization: otherSecret } })).status).toBe(401);
      expect((await fetch(file.url!, { headers: { Authorization: message.attachment!.headers!.Authorization } })).status).toBe(200);
    });

    it('a URL given to ServiceNow stops working once it expires; files never given to it keep the bridge default', async () => {
      let offset = 0;
      const clock = { now: () => Date.now() + offset, setTimer: testClock.setTimer };
      const harness = await start({ clock, settings: settingsWith({ files: { urlTtlMinutes: 1 } }) });
      const id = sessionId();
      await harness.desk.openChat(chatRequest(id));
      const file = await userFile(harness, id);
      await harness.desk.sendMessage(id, { messageId: 'f1', text: '', files: [file], at: Date.now() });
      await harness.sim.idle();
      const authorization = harness.sim.conversation(id).messages[0].attachment!.headers!.Authorization;
      expect((await fetch(file.url!, { headers: { Authorization: authorization } })).status).toBe(200);
      offset = 61_000;
      expect((await fetch(file.url!, { headers: { Authorization: authorization } })).status).toBe(401);
      // A file in the vault that ServiceNow never got (a web chat user's own upload): URL alone.
      const own = await harness.vault.put('web:someone', { name: 'mine.txt', contentType: 'text/plain' }, new Uint8Array([104, 105]));
      expect((await fetch(own.url!)).status).toBe(200);
    });

    it('upload mode: the bytes go to /api/now/v1/cccif/media/upload and ServiceNow gets its media URL', async () => {
      const harness = await start({ settings: settingsWith({ files: { mode: 'upload', providerApplicationId: 'prov-app-1' } }) });
      const id = sessionId();
      await harness.desk.openChat(chatRequest(id));
      await harness.desk.sendMessage(id, { messageId: 'f1', text: '', files: [await userFile(harness, id)], at: Date.now() });
      await harness.sim.idle();
      const [message] = harness.sim.conversation(id).messages;
      expect(message.attachment?.url).toMatch(new RegExp(`^${harness.sim.url}/api/now/v1/cccif/media/`));
      expect(Buffer.from(message.download!.bytes!).equals(Buffer.from(pdf))).toBe(true);
      expect(harness.sim.requests.find((r) => r.path === '/api/now/v1/cccif/media/upload')).toMatchObject({
        status: 200,
        auth: 'basic',
        body: { user_id: 'u-1' },
      });
    });

    it('agent files on the instance are fetched with our credentials and reach the user as files from the bridge', async () => {
      const harness = await start();
      const id = sessionId();
      await harness.desk.openChat(chatRequest(id));
      await harness.sim.accept(id);
      const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
      await harness.sim.sendFile(id, { name: 'vpn-settings.png', contentType: 'image/png', bytes: png });
      await harness.sim.sendFile(id, { name: 'vpn-guide.pdf', contentType: 'application/pdf', bytes: pdf });
      const files = await eventually(() => {
        const found = of(harness.events, id, 'agentMessage').flatMap((e) => (e.type === 'agentMessage' ? (e.files ?? []) : []));
        expect(found).toHaveLength(2);
        return found;
      });
      expect(files.map((f) => [f.name, f.contentType])).toEqual([
        ['vpn-settings.png', 'image/png'],
        ['vpn-guide.pdf', 'application/pdf'],
      ]);
      for (const f of files) expect(f.url!.startsWith(`${harness.botUrl}/files/`)).toBe(true);
      const served = await fetch(files[0].url!);
      expect(served.status).toBe(200);
      expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(png))).toBe(true);
    });
    it('an agent file on a private address is not fetched unless allowed: the user gets its link', async () => {
      // The simulator's instance URL is http://127.0.0.1: what production refuses.
      const harness = await start({ outbound: { allowPrivateNetworks: false, allowHttp: true } });
      const id = sessionId();
      await harness.desk.openChat(chatRequest(id));
      await harness.sim.accept(id);
      const url = await harness.sim.sendFile(id, { name: 'vpn-guide.pdf', contentType: 'application/pdf', bytes: pdf });
      const [event] = await eventually(() => {
        const found = of(harness.events, id, 'agentMessage');
        expect(found).toHaveLength(1);
        return found;
      });
      expect(event.type === 'agentMessage' && event.files).toBeFalsy();
      expect(event.type === 'agentMessage' && event.text).toContain(`[vpn-guide.pdf](${url})`);
      expect(harness.sim.requests.filter((r) => r.path.startsWith('/sys_attachment.do'))).toEqual([]);
    });
  });

  describe("the user's conversation with the bot reaches the agent", () => {
    const request = (id: string) => chatRequest(id);

    it('by default as the plain-text extract at the end of the first message, with no history field', async () => {
      const harness = await start();
      const id = sessionId();
      const req = request(id);
      await harness.desk.openChat(req);
      const { opening } = harness.sim.conversation(id);
      expect(opening.text).toBe(
        'My laptop will not connect to VPN\n\nSince this morning the VPN client says "authentication failed".\n\nTopic: Network\n\n' +
          'Conversation with the bot before the handoff:\n' +
          '[2023-11-14 22:13 UTC] User: vpn broken\n[2023-11-14 22:13 UTC] Bot: Have you tried restarting the client?',
      );
      expect(opening.history).toEqual([]);
    });

    it('with history: structured, in the Virtual Agent API history field; both sends the two', async () => {
      const structured = await start({ settings: settingsWith({ history: 'structured' }) });
      const a = sessionId();
      await structured.desk.openChat(request(a));
      const fields = [
        { displayName: 'Jordan Example', isBotMessage: false, timestamp: '1700000000000', type: 'text', value: 'vpn broken' },
        {
          displayName: 'Virtual Agent',
          isBotMessage: true,
          timestamp: '1700000001000',
          type: 'text',
          value: 'Have you tried restarting the client?',
        },
      ];
      expect(structured.sim.conversation(a).opening).toMatchObject({ history: fields });
      expect(structured.sim.conversation(a).opening.text).not.toContain('Conversation with the bot');
      await structured.close();

      const both = await start({ settings: settingsWith({ history: 'both' }) });
      const b = sessionId();
      await both.desk.openChat(request(b));
      expect(both.sim.conversation(b).opening.history).toEqual(fields);
      expect(both.sim.conversation(b).opening.text).toContain('[2023-11-14 22:13 UTC] Bot: Have you tried restarting the client?');
    });
  });

  it('drops agent pictures users could not see (http://, relative), logging once per host; https ones go through', async () => {
    const harness = await start({
      sim: {
        agents: [
          { name: 'Beth Anglin', avatarUrl: 'http://photos.example.com/beth.png' },
          { name: 'Carl Moss', avatarUrl: 'http://photos.example.com/carl.png' },
          { name: 'Dana Reyes', avatarUrl: 'https://photos.example.com/dana.png' },
        ],
      },
    });
    const avatarWarnings = () => harness.logger.entries.filter((e) => e.level === 'warn' && /agent pictures/.test(e.msg ?? ''));
    const id = sessionId();
    await harness.desk.openChat(chatRequest(id));
    for (const agent of [0, 1, 2]) await harness.sim.accept(id, agent);
    await harness.sim.say(id, 'from Beth', { agentIndex: 0 });
    await harness.sim.say(id, 'from Carl', { agentIndex: 1 });
    await harness.sim.say(id, 'from Dana', { agentIndex: 2 });
    const messages = await eventually(() => {
      const found = of(harness.events, id, 'agentMessage');
      expect(found).toHaveLength(3);
      return found;
    });
    const agents = messages.map((e) => (e.type === 'agentMessage' ? e.agent : undefined));
    expect(agents.map((a) => a?.name)).toEqual(['Beth Anglin', 'Carl Moss', 'Dana Reyes']);
    expect(agents.map((a) => a?.avatarUrl)).toEqual([undefined, undefined, 'https://photos.example.com/dana.png']);
    // Joins too: no event the core gets carries an http:// picture.
    expect(JSON.stringify(of(harness.events, id))).not.toContain('http://photos.example.com');
    // Two agents, several events each, one host: one warning that names the host and the fix.
    expect(avatarWarnings()).toHaveLength(1);
    expect(avatarWarnings()[0].msg).toMatch(/agent pictures from http:\/\/photos\.example\.com are not shown: .*only https:\/\/ images/);
    expect(avatarWarnings()[0].msg).toContain('bot.attribution.showAvatars');
  });

  it('files a ticket on handoff and tells both sides its number', async () => {
    const harness = await start({
      settings: settingsWith({ incident: { enabled: true, shortDescriptionPrefix: '[Chat] ', fields: { contact_type: 'chat' } } }),
    });
    const id = sessionId();
    await harness.desk.openChat(chatRequest(id));
    const [incident] = harness.sim.incidents;
    expect(incident).toMatchObject({
      short_description: '[Chat] My laptop will not connect to VPN',
      description: expect.stringContaining('authentication failed'),
      work_notes: expect.stringContaining('Have you tried restarting the client?'),
      contact_type: 'chat',
    });
    await eventually(() =>
      expect(of(harness.events, id, 'systemMessage')).toEqual([
        expect.objectContaining({ text: `I filed ${incident.number} for your request. The agent can see it.` }),
      ]),
    );
    const conv = harness.sim.conversation(id);
    expect(conv.opening.text).toContain(`Ticket: ${incident.number}`);
    expect(conv.opening.contextVariables.incident_number).toBe(incident.number);
  });

  it('a ticket that cannot be filed does not stop the chat', async () => {
    const harness = await start({ settings: settingsWith({ incident: { enabled: true } }) });
    harness.sim.failNext(1, { status: 500, path: '/api/now/table/incident' });
    const id = sessionId();
    await harness.desk.openChat(chatRequest(id));
    expect(harness.sim.conversation(id).status).toBe('queued');
    expect(harness.logger.text()).toMatch(/ticket not filed/);
  });

  describe('availability', () => {
    it('reads the presence view, cached briefly: a burst asks the instance once', async () => {
      const harness = await start({ settings: settingsWith({ availability: { cacheSeconds: 30 } }) });
      harness.sim.setAgentsOnline(2);
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => harness.desk.checkAvailability()));
      expect(answers).toEqual(Array(5).fill({ available: true, agentsOnline: 2 }));
      harness.sim.setAgentsOnline(0);
      expect(await harness.desk.checkAvailability()).toEqual({ available: true, agentsOnline: 2 }); // still cached
      expect(harness.sim.requests.filter((r) => r.path === '/api/now/table/awa_agent_presence_capacity')).toHaveLength(1);
    });

    it('a failed check is logged and thrown (the broker then applies bot.offer.availabilityOnError), and not cached', async () => {
      const harness = await start({ settings: settingsWith({ availability: { cacheSeconds: 30 }, retry: { attempts: 1 } }) });
      harness.sim.failNext(1, { status: 500, path: '/api/now/table/awa_agent_presence_capacity' });
      await expect(harness.desk.checkAvailability()).rejects.toMatchObject({ code: 'desk_unavailable' });
      expect(harness.logger.text()).toMatch(/availability check failed/);
      harness.sim.setAgentsOnline(1);
      expect(await harness.desk.checkAvailability()).toEqual({ available: true, agentsOnline: 1 });
    });
  });
});
