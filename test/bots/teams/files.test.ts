/**
 * TeamsSurface.download against local HTTP servers standing in for SharePoint (pre-authorised
 * download URLs) and the Bot Connector (pasted images, bot token required), with the real
 * CloudAdapter: auth off (no token sent) and on (a token from a local key server).
 */
import { createTeamsAdapter } from '../../../bots/teams/adapter';
import { addressFromActivity } from '../../../bots/teams/address';
import { teamsSettingsSchema } from '../../../bots/teams/config';
import { FILE_DOWNLOAD_INFO, activityToUserEvent } from '../../../bots/teams/inbound';
import { contentToActivity } from '../../../bots/teams/outbound';
import { TeamsSurface } from '../../../bots/teams/surface';
import { ErrorCode } from '../../../bots/core/errors';
import type { Address, FileRef, Logger } from '../../../bots/core/ports';
import type { OutboundPolicy } from '../../../bots/http/outbound-guard';
import { messageActivity, teamsChat } from '../../helpers/bf-activity';
import { startFakeFileServer, type FakeFileServer } from '../../helpers/fake-file-server';
import { startKeyServer, type KeyServer } from '../../helpers/key-server';

const APP_ID = '2f1e4a36-7d1c-4b8e-9f0a-5c3d2b1a0e9f';
const APP_PASSWORD = 'test-client-secret';
const KB = 1024;

const logger = (): Logger & { warn: jest.Mock; error: jest.Mock } => ({
  debug: jest.fn(),
  info: jest.fn(),
  warn: jest.fn(),
  error: jest.fn(),
});
const bytes = (n: number, seed = 7) => Uint8Array.from({ length: n }, (_, i) => (i * seed + 3) % 251);
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...bytes(300)]);
const LOGIN_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Sign in to your account</title></head><body><form action="https://login.microsoftonline.com/">…</form></body></html>';

/** The local fakes are on http://127.0.0.1: allowed here explicitly, as tests configure it. */
const LOCAL_FILES = { hosts: ['127.0.0.1'], allowHttp: true, allowPrivateNetworks: true };

const downloadInfo = (name: string, url: string): FileRef => ({
  name,
  contentType: 'application/pdf',
  url,
  handle: { teams: 'download-info' },
});
const connectorImage = (url: string): FileRef => ({
  name: 'image.png',
  contentType: 'image/png',
  url,
  handle: { teams: 'connector-image' },
});

let files: FakeFileServer; // "SharePoint" and, on the same origin, the conversation's Bot Connector
let elsewhere: FakeFileServer; // any other host
let keys: KeyServer;
let authOff: TeamsSurface;
let authOn: TeamsSurface;
let authOnLogger: ReturnType<typeof logger>;
/** A surface with auth on and its own download rules. */
let authOnWith: (fileFetch: OutboundPolicy) => TeamsSurface;
let address: Address;

beforeAll(async () => {
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  files = await startFakeFileServer();
  elsewhere = await startFakeFileServer();
  keys = await startKeyServer({ appId: APP_ID, appPassword: APP_PASSWORD });
  authOff = new TeamsSurface({
    adapter: createTeamsAdapter(teamsSettingsSchema.parse({}), logger()),
    appId: '',
    logger: logger(),
    downloadTimeoutMs: 1500,
    fileFetch: LOCAL_FILES,
  });
  const settings = teamsSettingsSchema.parse({
    MicrosoftAppId: APP_ID,
    MicrosoftAppPassword: APP_PASSWORD,
    ToBotFromChannelOpenIdMetadataUrl: keys.openIdMetadataUrl,
    ToBotFromChannelTokenIssuer: keys.issuer,
    ToChannelFromBotLoginUrl: keys.loginUrl,
  });
  authOnLogger = logger();
  const authOnAdapter = createTeamsAdapter(settings, logger(), { credentialsFactory: keys.credentialsFactory() });
  authOnWith = (fileFetch) =>
    new TeamsSurface({ adapter: authOnAdapter, appId: APP_ID, logger: authOnLogger, downloadTimeoutMs: 1500, fileFetch });
  authOn = authOnWith(LOCAL_FILES);
  // The user's chat: its serviceUrl (the Bot Connector) is the local file server.
  address = addressFromActivity(messageActivity(teamsChat({ serviceUrl: `${files.url}/amer/`, botId: APP_ID }), 'hi'));
});
afterAll(async () => {
  jest.restoreAllMocks();
  await files.close();
  await elsewhere.close();
  await keys.close();
});

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string; retryable: boolean };
  }
  throw new Error('expected the download to be refused');
}

describe('a file shared from OneDrive (file.download.info)', () => {
  it('is fetched from its pre-authorised downloadUrl, with no token', async () => {
    const body = bytes(40 * KB);
    const url = files.serve('/personal/ana/_layouts/15/download.aspx?UniqueId=1&tempauth=abc', { body });
    const got = await authOff.download(address, downloadInfo('report.pdf', url), 1024 * KB);
    expect(Buffer.from(got).equals(Buffer.from(body))).toBe(true);
    expect(files.requestsFor('/personal/ana/_layouts/15/download.aspx?UniqueId=1&tempauth=abc')[0].authorization).toBeUndefined();
  });

  it('never gets the bot token, even with auth on', async () => {
    // A SharePoint name that resolves to the local file server (an injected lookup, no DNS).
    const port = new URL(files.url).port;
    const surface = authOnWith({ ...LOCAL_FILES, hosts: ['*.sharepoint.com'], lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
    files.serve('/personal/ana/_layouts/15/download.aspx?UniqueId=2&tempauth=x', {
      body: new Uint8Array([1, 2, 3]),
      contentType: 'application/pdf',
    });
    const url = `http://contoso-my.sharepoint.com:${port}/personal/ana/_layouts/15/download.aspx?UniqueId=2&tempauth=x`;
    expect(Array.from(await surface.download(address, downloadInfo('report.pdf', url), 1024 * KB))).toEqual([1, 2, 3]);
    const seen = files.requestsFor('/personal/ana/_layouts/15/download.aspx?UniqueId=2&tempauth=x');
    expect(seen).toHaveLength(1);
    expect(seen[0].authorization).toBeUndefined();
  });

  it('takes only HTTPS download URLs unless plain http is allowed (local development)', async () => {
    const url = files.serve('/personal/ana/plain-http', { body: bytes(10) });
    const err = await rejection(
      authOnWith({ ...LOCAL_FILES, allowHttp: false }).download(address, downloadInfo('report.pdf', url), 1024 * KB),
    );
    expect(err).toMatchObject({ code: ErrorCode.FileRejected, message: 'it has no secure (https) address to download from' });
    expect(files.requestsFor('/personal/ana/plain-http')).toHaveLength(0);
  });

  it('follows SharePoint redirects', async () => {
    const body = bytes(2 * KB, 3);
    files.serve('/personal/ana/final.bin', { body });
    const url = files.serve('/personal/ana/redirect.aspx', { redirectTo: '/personal/ana/final.bin' });
    const got = await authOff.download(address, downloadInfo('final.bin', url), 1024 * KB);
    expect(Buffer.from(got).equals(Buffer.from(body))).toBe(true);
  });

  it('refuses a file larger than the limit from its Content-Length, before reading it', async () => {
    // Announces 10 MB, sends 1 KB and hangs up: only the header can tell it is too large.
    const url = files.serve('/personal/ana/huge.zip', { body: bytes(KB), declaredLength: 10 * 1024 * KB });
    const err = await rejection(authOff.download(address, downloadInfo('huge.zip', url), 100 * KB));
    expect(err).toMatchObject({ code: ErrorCode.FileRejected, message: 'it is larger than 100 KB' });
  });

  it('stops a large file with Content-Length early instead of transferring it', async () => {
    const url = files.serve('/personal/ana/large.zip', { body: bytes(512 * KB), chunkSize: 16 * KB, chunkDelayMs: 5 });
    const err = await rejection(authOff.download(address, downloadInfo('large.zip', url), 100 * KB));
    expect(err.message).toBe('it is larger than 100 KB');
    await waitUntil(() => files.requestsFor('/personal/ana/large.zip')[0]?.aborted === true);
    expect(files.requestsFor('/personal/ana/large.zip')[0].bytesSent).toBeLessThan(512 * KB);
  });

  it('stops reading a file without Content-Length as soon as it passes the limit', async () => {
    const url = files.serve('/personal/ana/stream.bin', {
      body: bytes(1024 * KB),
      contentLength: false,
      chunkSize: 8 * KB,
      chunkDelayMs: 2,
    });
    const err = await rejection(authOff.download(address, downloadInfo('stream.bin', url), 64 * KB));
    expect(err).toMatchObject({ code: ErrorCode.FileRejected, message: 'it is larger than 64 KB' });
    await waitUntil(() => files.requestsFor('/personal/ana/stream.bin')[0]?.aborted === true);
    // Aborted long before the end: a few chunks past the limit at most.
    expect(files.requestsFor('/personal/ana/stream.bin')[0].bytesSent).toBeLessThan(256 * KB);
  });

  it('takes a file of exactly the limit', async () => {
    const url = files.serve('/personal/ana/exact.bin', { body: bytes(64 * KB), contentLength: false, chunkSize: 5000 });
    expect((await authOff.download(address, downloadInfo('exact.bin', url), 64 * KB)).byteLength).toBe(64 * KB);
  });

  it('refuses the sign-in page SharePoint serves when the link expired', async () => {
    const url = files.serve('/personal/ana/expired.aspx', { body: LOGIN_PAGE, contentType: 'text/html; charset=utf-8' });
    const err = await rejection(authOff.download(address, downloadInfo('report.pdf', url), 1024 * KB));
    expect(err).toMatchObject({ code: ErrorCode.FileRejected, message: expect.stringMatching(/web page instead of the file/) });
  });

  it('refuses an HTML page even when it is labelled as a file', async () => {
    const url = files.serve('/personal/ana/mislabelled', { body: `\uFEFF  ${LOGIN_PAGE}`, contentType: 'application/octet-stream' });
    const err = await rejection(authOff.download(address, downloadInfo('report.pdf', url), 1024 * KB));
    expect(err.message).toMatch(/web page instead of the file/);
  });

  it('keeps an HTML file the user meant to share', async () => {
    const url = files.serve('/personal/ana/page.html', { body: LOGIN_PAGE, contentType: 'text/html' });
    const got = await authOff.download(address, { ...downloadInfo('page.html', url), contentType: 'text/html' }, 1024 * KB);
    expect(Buffer.from(got).toString()).toBe(LOGIN_PAGE);
  });

  it.each([
    [404, /no longer available in Teams/, false],
    [410, /no longer available in Teams/, false],
    [403, /did not let the bridge download it/, false],
    [503, /could not hand it over just now \(HTTP 503\)/, true],
  ])('turns HTTP %i into a reason the user understands', async (status, reason, retryable) => {
    const url = files.serve(`/personal/ana/status-${status}`, { status, body: '{"error":"x"}', contentType: 'application/json' });
    const err = await rejection(authOff.download(address, downloadInfo('report.pdf', url), 1024 * KB));
    expect(err).toMatchObject({ code: ErrorCode.FileRejected, retryable });
    expect(err.message).toMatch(reason);
  });

  it('gives up on a server that does not answer', async () => {
    const url = files.serve('/personal/ana/hang', { hang: true });
    const started = Date.now();
    const err = await rejection(authOff.download(address, downloadInfo('report.pdf', url), 1024 * KB));
    expect(err).toMatchObject({ code: ErrorCode.FileRejected, message: 'it took too long to download', retryable: true });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('says so when nothing listens there', async () => {
    const err = await rejection(authOff.download(address, downloadInfo('report.pdf', 'http://127.0.0.1:9/nothing'), 1024 * KB));
    expect(err).toMatchObject({ code: ErrorCode.FileRejected, message: 'it could not be downloaded from Teams' });
  });
});

describe('an image pasted into the message (Bot Connector)', () => {
  const acceptsBotToken = async (token: string | undefined) => {
    if (!token) return false;
    const claims = await keys.verifyIssuedToken(token).catch(() => undefined);
    return claims?.appid === APP_ID;
  };

  it('is fetched with the bot token when auth is on', async () => {
    const url = files.serve('/amer/v3/attachments/0-eus-d1-abc/views/original', {
      body: PNG,
      contentType: 'image/png',
      requireBearer: acceptsBotToken,
    });
    const got = await authOn.download(address, connectorImage(url), 1024 * KB);
    expect(Buffer.from(got).equals(Buffer.from(PNG))).toBe(true);
    const [req] = files.requestsFor('/amer/v3/attachments/0-eus-d1-abc/views/original');
    expect(req.authorization).toMatch(/^Bearer ey/);
    expect(keys.issuedTokens).toContain(req.authorization!.slice('Bearer '.length));
  });

  it('is refused by the connector without the token: auth off sends none', async () => {
    const url = files.serve('/amer/v3/attachments/0-eus-d1-def/views/original', {
      body: PNG,
      contentType: 'image/png',
      requireBearer: acceptsBotToken,
    });
    const err = await rejection(authOff.download(address, connectorImage(url), 1024 * KB));
    expect(err).toMatchObject({ code: ErrorCode.FileRejected, message: 'Teams did not let the bridge download it' });
    expect(files.requestsFor('/amer/v3/attachments/0-eus-d1-def/views/original')[0].authorization).toBeUndefined();
  });

  it('never sends the bot token to a host other than the Bot Connector', async () => {
    const url = elsewhere.serve('/v3/attachments/steal/views/original', { body: PNG, contentType: 'image/png' });
    const err = await rejection(authOn.download(address, connectorImage(url), 1024 * KB));
    expect(err).toMatchObject({ code: ErrorCode.FileRejected, message: 'it is not stored by Teams' });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('drops the token when the connector redirects to another origin', async () => {
    const target = elsewhere.serve('/blob/abc', { body: PNG, contentType: 'image/png' });
    const url = files.serve('/amer/v3/attachments/0-eus-d1-redirect/views/original', {
      redirectTo: target,
      requireBearer: acceptsBotToken,
    });
    const got = await authOn.download(address, connectorImage(url), 1024 * KB);
    expect(got.byteLength).toBe(PNG.byteLength);
    expect(files.requestsFor('/amer/v3/attachments/0-eus-d1-redirect/views/original')[0].authorization).toMatch(/^Bearer /);
    expect(elsewhere.requestsFor('/blob/abc')[0].authorization).toBeUndefined();
  });

  it('holds the size limit for images too', async () => {
    const url = files.serve('/amer/v3/attachments/big/views/original', {
      body: bytes(300 * KB),
      contentType: 'image/png',
      requireBearer: acceptsBotToken,
    });
    const err = await rejection(authOn.download(address, connectorImage(url), 100 * KB));
    expect(err.message).toBe('it is larger than 100 KB');
  });

  it('says so when the bot cannot get a token', async () => {
    // A bot the token endpoint (`keys`) does not know. Another app id, too: botbuilder caches
    // tokens per app id for the whole process.
    const OTHER_APP = '0c7d5a8e-1111-4222-8333-944455556666';
    const settings = teamsSettingsSchema.parse({
      MicrosoftAppId: OTHER_APP,
      MicrosoftAppPassword: 'wrong-secret',
      ToChannelFromBotLoginUrl: keys.loginUrl,
    });
    const badKeys = await startKeyServer({ appId: OTHER_APP, appPassword: 'wrong-secret' });
    try {
      const surface = new TeamsSurface({
        adapter: createTeamsAdapter(settings, logger(), { credentialsFactory: badKeys.credentialsFactory() }),
        appId: OTHER_APP,
        logger: logger(),
      });
      const url = files.serve('/amer/v3/attachments/no-token/views/original', { body: PNG, contentType: 'image/png' });
      const badAddress = addressFromActivity(messageActivity(teamsChat({ serviceUrl: `${files.url}/amer/`, botId: OTHER_APP }), 'hi'));
      const err = await rejection(surface.download(badAddress, connectorImage(url), 1024 * KB));
      expect(err).toMatchObject({
        code: ErrorCode.FileRejected,
        message: 'the bridge could not sign in to Teams to fetch it',
        retryable: true,
      });
      expect(files.requestsFor('/amer/v3/attachments/no-token/views/original')).toHaveLength(0);
    } finally {
      await badKeys.close();
    }
  });
});

describe('from a Teams activity to the bytes', () => {
  it('inbound gives download what it needs for both kinds, and skips the html mirror and emoji sprites', async () => {
    const pdf = bytes(3 * KB, 11);
    const pdfUrl = files.serve('/personal/ana/_layouts/15/download.aspx?UniqueId=round-trip', { body: pdf });
    const imageUrl = files.serve('/amer/v3/attachments/round-trip/views/original', { body: PNG, contentType: 'image/png' });
    const chat = teamsChat({ serviceUrl: `${files.url}/amer/`, botId: 'bot' });
    const activity = messageActivity(chat, 'see attached', {
      attachments: [
        { contentType: 'text/html', content: '<p>see attached <img itemtype="http://schema.skype.com/AMSImage" src="x"></p>' },
        { contentType: 'image/*', contentUrl: 'https://statics.teams.cdn.office.net/evergreen-assets/emoticons/smile/default/20_f.png' },
        { contentType: 'image/*', contentUrl: imageUrl },
        {
          contentType: FILE_DOWNLOAD_INFO,
          name: 'invoice.pdf',
          contentUrl: 'https://contoso-my.sharepoint.com/x/invoice.pdf',
          content: { downloadUrl: pdfUrl, fileType: 'pdf', uniqueId: 'u1' },
        },
      ],
    });
    const event = activityToUserEvent(activity);
    if (event?.type !== 'message') throw new Error('expected a message');
    expect(event.files).toEqual([
      { name: 'image.png', contentType: 'image/png', url: imageUrl, handle: { teams: 'connector-image' } },
      { name: 'invoice.pdf', contentType: 'application/pdf', url: pdfUrl, handle: { teams: 'download-info' } },
    ]);
    const chatAddress = event.user.address;
    const [image, doc] = event.files!;
    expect(Buffer.from(await authOff.download(chatAddress, image, 1024 * KB)).equals(Buffer.from(PNG))).toBe(true);
    expect(Buffer.from(await authOff.download(chatAddress, doc, 1024 * KB)).equals(Buffer.from(pdf))).toBe(true);
  });

  it('ignores images that are not on the Bot Connector (the token must not go there)', () => {
    const chat = teamsChat({ serviceUrl: 'https://smba.trafficmanager.net/amer/', botId: 'bot' });
    const event = activityToUserEvent(
      messageActivity(chat, 'hi', {
        attachments: [
          { contentType: 'image/png', contentUrl: 'https://evil.example.com/v3/attachments/x/views/original' },
          {
            contentType: 'image/png',
            contentUrl: 'https://smba.trafficmanager.net/emea/v3/attachments/y/views/original',
            name: 'shot.png',
          },
          { contentType: 'image/*', contentUrl: 'https://us-api.asm.skype.com/v1/objects/0-x/views/imgo' },
        ],
      }),
    );
    if (event?.type !== 'message') throw new Error('expected a message');
    expect(event.files?.map((f) => f.name)).toEqual(['shot.png']);
  });
});

describe('agent files as Teams renders them', () => {
  const beth = { id: 'beth', name: 'Beth' };
  const vault = 'https://bridge.example.com/files/AbCdEfGhIjKlMnOpQrStUv';

  it('puts PNG, JPEG and GIF inline by their bridge URL, under the agent name even without a caption', () => {
    const { activity } = contentToActivity({
      kind: 'text',
      text: '',
      from: beth,
      files: [{ name: 'a.jpg', contentType: 'image/jpeg', url: `${vault}/a.jpg` }],
    });
    expect(activity).toEqual({
      type: 'message',
      text: '**Beth:**',
      textFormat: 'markdown',
      attachments: [{ contentType: 'image/jpeg', contentUrl: `${vault}/a.jpg`, name: 'a.jpg' }],
    });
  });

  it('links other files, and images Teams cannot draw, with a link target markdown cannot cut short', () => {
    const { activity } = contentToActivity({
      kind: 'text',
      text: 'two files',
      from: beth,
      files: [
        { name: 'notes (final).pdf', contentType: 'application/pdf', url: `${vault}/notes%20(final).pdf` },
        { name: 'diagram.svg', contentType: 'image/svg+xml', url: `${vault}/diagram.svg` },
      ],
    });
    expect(activity.attachments).toBeUndefined();
    expect(activity.text).toBe(
      `**Beth:** two files\n\n📎 [notes (final).pdf](${vault}/notes%20%28final%29.pdf)\n\n📎 [diagram.svg](${vault}/diagram.svg)`,
    );
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
