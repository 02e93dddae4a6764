/**
 * Files both ways between a Teams user and a console agent, over the wire: the real app, Bot
 * Framework activities POSTed to /api/messages, a fake Bot Connector recording what the bot
 * sends (and keeping pasted images), a fake SharePoint serving pre-authorised download URLs,
 * and agents using the real console API. Nothing in between is mocked.
 */
import { FILE_DOWNLOAD_INFO } from '../../bots/teams/inbound';
import { isOffer, isWaiting, startBridgeHarness, type BridgeHarness, type TeamsUser } from '../helpers/bridge-harness';
import { eventually } from '../helpers/eventually';
import type { ConnectorRequest } from '../helpers/fake-connector';
import { startFakeFileServer, type FakeFileServer } from '../helpers/fake-file-server';

const KB = 1024;
const MAX_BYTES = 256 * KB;
const MAX_FILES = 3;

const bytes = (n: number, seed = 13) => Uint8Array.from({ length: n }, (_, i) => (i * seed + 5) % 256);
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...bytes(2 * KB)]);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

const FILE_LIMITS = {
  maxBytes: MAX_BYTES,
  maxPerSession: MAX_FILES,
  allowedTypes: ['image/*', 'application/pdf', 'text/plain', 'application/zip'],
};

describe('Teams files both ways, with the built-in console as the desk', () => {
  let h: BridgeHarness;
  let sharepoint: FakeFileServer;
  let nextFile = 0;

  beforeEach(async () => {
    sharepoint = await startFakeFileServer();
    h = await startBridgeHarness({ config: { bot: { files: FILE_LIMITS } } });
  });
  afterEach(async () => {
    await h.close();
    await sharepoint.close();
  });

  /** A file in the user's OneDrive, as Teams attaches it: served by the fake SharePoint. */
  function oneDriveFile(name: string, fileType: string, served: Parameters<FakeFileServer['serve']>[1]) {
    const n = ++nextFile;
    const downloadUrl = sharepoint.serve(`/personal/ana/_layouts/15/download.aspx?UniqueId=${n}&tempauth=t${n}`, served);
    return {
      contentType: FILE_DOWNLOAD_INFO,
      name,
      contentUrl: `https://contoso-my.sharepoint.com/personal/ana/Documents/Microsoft Teams Chat Files/${name}`,
      content: { downloadUrl, uniqueId: `uid-${n}`, fileType, etag: `"{uid-${n}},1"` },
    };
  }

  /** A message with attachments (plus the text/html mirror Teams always adds). */
  async function sendFiles(user: TeamsUser, text: string, attachments: object[]): Promise<void> {
    await user.say(text, { attachments: [{ contentType: 'text/html', content: `<p>${text}</p>` }, ...attachments] });
  }

  async function liveChat(user: TeamsUser, description = 'My laptop shows a blue screen'): Promise<string> {
    await user.say(description);
    const offer = await user.waitForCard(isOffer);
    await user.click(offer, 'startChat');
    await user.waitForCard(isWaiting);
    const chat = await eventually(async () => {
      const found = (await h.beth.chats()).find((c) => c.title === description && c.status === 'queued');
      if (!found) throw new Error('not queued yet');
      return found;
    });
    await h.beth.accept(chat.id);
    await user.waitForCard((c) => c.text.includes('Beth joined the chat'));
    return chat.id;
  }

  const userMessages = async (chatId: string) => (await h.beth.messages(chatId)).filter((m) => m.from === 'user');

  /** The first activity sent to the user that matches, waiting for it. */
  const activityTo = (user: TeamsUser, match: (body: Record<string, any>) => boolean): Promise<ConnectorRequest> =>
    user.connector.waitFor((r) => r.method === 'POST' && r.conversationId === user.chat.conversationId && r.status < 300 && match(r.body));

  it('relays files both ways: OneDrive files and pasted images to the agent, agent files to the user', async () => {
    const ana = h.teamsUser({ userName: 'Ana Lima' });
    const chatId = await liveChat(ana);

    // 1. A OneDrive file and a pasted image in one message: both reach the console as files
    //    whose URLs serve the same bytes.
    const pdf = bytes(40 * KB);
    const imageUrl = h.connector.addAttachment('0-eus-d1-pasted', PNG, 'image/png');
    await sendFiles(ana, 'the error log and a screenshot', [
      oneDriveFile('crash log.pdf', 'pdf', { body: pdf, contentType: 'application/pdf' }),
      { contentType: 'image/*', contentUrl: imageUrl },
      // An emoji sprite: never a file.
      {
        contentType: 'image/*',
        contentUrl: 'https://statics.teams.cdn.office.net/evergreen-assets/personal-expressions/v2/assets/emoticons/smile/default/20_f.png',
      },
    ]);
    const [message] = await eventually(async () => {
      const found = (await userMessages(chatId)).filter((m) => m.text === 'the error log and a screenshot');
      expect(found).toHaveLength(1);
      return found;
    });
    expect(message.files).toEqual([
      {
        name: 'crash log.pdf',
        contentType: 'application/pdf',
        size: pdf.byteLength,
        url: expect.stringMatching(new RegExp(`^${h.url}/files/`)),
      },
      { name: 'image.png', contentType: 'image/png', size: PNG.byteLength, url: expect.stringMatching(new RegExp(`^${h.url}/files/`)) },
    ]);
    const [pdfFile, imageFile] = message.files!;
    expect(same(new Uint8Array(await (await fetch(pdfFile.url!)).arrayBuffer()), pdf)).toBe(true);
    expect(same(new Uint8Array(await (await fetch(imageFile.url!)).arrayBuffer()), PNG)).toBe(true);
    // SharePoint was asked once, without a token (auth is off here, and download URLs never get one).
    expect(sharepoint.requests).toHaveLength(1);
    expect(sharepoint.requests[0].authorization).toBeUndefined();

    // 2. Beth sends a screenshot with a caption: the user sees it inline, by the bridge URL.
    const shot = await h.beth.sendFile(chatId, {
      bytes: PNG,
      name: 'fix-steps.png',
      contentType: 'image/png',
      text: 'Do this, then restart',
    });
    const imageActivity = await activityTo(
      ana,
      (b) => Array.isArray(b.attachments) && b.attachments.some((a: any) => a.name === 'fix-steps.png'),
    );
    expect(imageActivity.body.text).toBe('**Beth:** Do this, then restart');
    expect(imageActivity.body.attachments).toEqual([{ contentType: 'image/png', contentUrl: shot.files![0].url, name: 'fix-steps.png' }]);
    const served = await fetch(shot.files![0].url!);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(same(new Uint8Array(await served.arrayBuffer()), PNG)).toBe(true);

    // 3. And a document: a link the user can open, served by the bridge.
    const manual = bytes(20 * KB, 7);
    const doc = await h.beth.sendFile(chatId, { bytes: manual, name: 'VPN setup (v2).pdf', contentType: 'application/pdf' });
    const linkText = await ana.waitForText('VPN setup (v2).pdf');
    expect(linkText).toMatch(
      /^\*\*Beth:\*\*\n\n📎 \[VPN setup \(v2\)\.pdf\]\(http:\/\/127\.0\.0\.1:\d+\/files\/[\w-]+\/VPN%20setup%20%28v2%29\.pdf\)$/,
    );
    const linked = linkText.slice(linkText.indexOf('](') + 2, -1);
    const fromLink = await fetch(linked);
    expect(fromLink.status).toBe(200);
    expect(fromLink.headers.get('content-disposition')).toMatch(/^inline; filename\*=UTF-8''VPN%20setup%20\(v2\)\.pdf$/);
    expect(same(new Uint8Array(await fromLink.arrayBuffer()), manual)).toBe(true);
    expect(decodeURIComponent(linked)).toBe(decodeURIComponent(doc.files![0].url!));

    // The chat in the console shows both sides' files.
    const all = await h.beth.messages(chatId);
    expect(all.flatMap((m) => (m.files ?? []).map((f) => `${m.from}:${f.name}`))).toEqual([
      'user:crash log.pdf',
      'user:image.png',
      'agent:fix-steps.png',
      'agent:VPN setup (v2).pdf',
    ]);
  });

  it('refuses a file that is too large or whose link expired, says why, and the chat goes on', async () => {
    const ana = h.teamsUser();
    const chatId = await liveChat(ana);

    // Too large: refused while downloading (Teams does not tell the size up front).
    await sendFiles(ana, 'here is the dump', [
      oneDriveFile('memory.zip', 'zip', { body: bytes(MAX_BYTES + 1), contentType: 'application/zip', chunkSize: 16 * KB }),
    ]);
    expect(await ana.waitForText('"memory.zip" was not sent to the agent')).toBe(
      '"memory.zip" was not sent to the agent: it is larger than 256 KB. The chat goes on.',
    );
    // The words still reach the agent; the file does not.
    const [withText] = await eventually(async () => {
      const found = (await userMessages(chatId)).filter((m) => m.text === 'here is the dump');
      expect(found).toHaveLength(1);
      return found;
    });
    expect(withText.files).toBeUndefined();

    // Expired link: SharePoint answers with its sign-in page.
    await sendFiles(ana, '', [
      oneDriveFile('old.pdf', 'pdf', {
        body: '<!DOCTYPE html><html><body>Sign in to your account</body></html>',
        contentType: 'text/html; charset=utf-8',
      }),
    ]);
    expect(await ana.waitForText('"old.pdf" was not sent')).toMatch(/web page instead of the file/);

    // The chat goes on both ways.
    await ana.say('still there?');
    await eventually(async () => expect((await userMessages(chatId)).map((m) => m.text)).toContain('still there?'));
    await h.beth.post(chatId, 'Yes, send it as a smaller zip please');
    await ana.waitForText('**Beth:** Yes, send it as a smaller zip please');
    expect(await h.bridge.store.keys('file:')).toEqual([]);
  });

  it(`takes at most ${MAX_FILES} files from the user in one chat`, async () => {
    const ana = h.teamsUser();
    const chatId = await liveChat(ana);
    const files = Array.from({ length: MAX_FILES + 1 }, (_, i) =>
      oneDriveFile(`note-${i + 1}.txt`, 'txt', { body: `note ${i + 1}`, contentType: 'text/plain' }),
    );

    await sendFiles(ana, 'first two', files.slice(0, 2));
    await sendFiles(ana, 'the next two', files.slice(2));
    expect(await ana.waitForText('"note-4.txt" was not sent')).toBe(
      `"note-4.txt" was not sent to the agent: only ${MAX_FILES} files can be sent in one chat. The chat goes on.`,
    );
    const relayed = await eventually(async () => {
      const names = (await userMessages(chatId)).flatMap((m) => (m.files ?? []).map((f) => f.name));
      expect(names).toHaveLength(MAX_FILES);
      return names;
    });
    expect(relayed).toEqual(['note-1.txt', 'note-2.txt', 'note-3.txt']);
    // The refused one was never downloaded.
    expect(sharepoint.requests.map((r) => r.path)).not.toContainEqual(expect.stringContaining(`UniqueId=${nextFile}&`));
    expect(ana.texts().filter((t) => t.includes('was not sent'))).toHaveLength(1);
  });

  it("tells the agent's console a file type the bridge does not take, and the user gets nothing", async () => {
    const ana = h.teamsUser();
    const chatId = await liveChat(ana);
    const before = ana.sent().length;
    const res = await h.beth.upload(chatId, { bytes: bytes(100), name: 'setup.exe', contentType: 'application/x-msdownload' });
    expect(res.status).toBe(415);
    const big = await h.beth.upload(chatId, { bytes: bytes(MAX_BYTES + 1), name: 'big.pdf', contentType: 'application/pdf' });
    expect(big.status).toBe(413);
    await h.bridge.broker.idle();
    expect(ana.sent()).toHaveLength(before);
    expect(await h.bridge.store.keys('file:')).toEqual([]);
  });

  describe("in the company's own words (bot.messages.fileRefusedReasons)", () => {
    beforeEach(async () => {
      await h.close();
      h = await startBridgeHarness({
        config: {
          bot: {
            files: FILE_LIMITS,
            messages: {
              fileRefused: 'Nicht gesendet: {file} ({reason}).',
              fileRefusedReasons: {
                pageInsteadOfFile: 'der {platform}-Link ist abgelaufen',
                downloadGone: 'die Datei ist in {platform} nicht mehr da',
                size: 'größer als {max}',
              },
            },
          },
        },
      });
    });

    it("words the surface's refusals from the settings, placeholders filled in", async () => {
      const ana = h.teamsUser();
      await liveChat(ana);
      await sendFiles(ana, '', [
        oneDriveFile('old.pdf', 'pdf', { body: '<!DOCTYPE html><html><body>Sign in</body></html>', contentType: 'text/html' }),
      ]);
      expect(await ana.waitForText('old.pdf')).toBe('Nicht gesendet: old.pdf (der Teams-Link ist abgelaufen).');
      await sendFiles(ana, '', [oneDriveFile('gone.pdf', 'pdf', { status: 404 })]);
      expect(await ana.waitForText('gone.pdf')).toBe('Nicht gesendet: gone.pdf (die Datei ist in Teams nicht mehr da).');
      // Found out while downloading (no size up front): the surface's refusal, in the configured words.
      await sendFiles(ana, '', [
        oneDriveFile('dump.zip', 'zip', { body: bytes(MAX_BYTES + KB), contentType: 'application/zip', contentLength: false }),
      ]);
      expect(await ana.waitForText('dump.zip')).toBe('Nicht gesendet: dump.zip (größer als 256 KB).');
    });
  });
});
