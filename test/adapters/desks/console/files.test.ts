/**
 * Files in the console, on the wire: agents upload with POST /api/chats/:id/files (kept in the
 * FileVault, served at /files/..., reported to the sink as an agentMessage with the file), and
 * users' files show on the chat with their bridge URL. Every refusal is checked to store nothing.
 */
import { chatRequest } from '../../../contract/desk.contract';
import type { ConsoleAgentClient, WireMessage } from '../../../helpers/console-agent';
import { startConsoleHarness, type ConsoleHarness } from '../../../helpers/console-harness';
import type { DeskEvent } from '../../../../bots/core/ports';

const KB = 1024;
const MAX = 64 * KB;
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array.from({ length: 500 }, (_, i) => i % 256)]);
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31) % 256);

let h: ConsoleHarness;
let beth: ConsoleAgentClient;
let sam: ConsoleAgentClient;

beforeEach(async () => {
  h = await startConsoleHarness({
    files: { maxBytes: MAX, allowedTypes: ['image/*', 'application/pdf', 'text/plain', 'application/zip'] },
  });
  beth = h.client(0);
  sam = h.client(1);
});
afterEach(() => h.close());

async function liveChat(id = 'c1') {
  await h.desk.openChat(chatRequest(id));
  await beth.accept(id);
  return id;
}

const vaultKeys = () => h.store.keys('file:');
const agentMessages = () => h.events.filter((e): e is Extract<DeskEvent, { type: 'agentMessage' }> => e.type === 'agentMessage');

/** Nothing was stored, relayed or recorded. */
async function expectNothingStored(chatId: string) {
  expect(await vaultKeys()).toEqual([]);
  expect(agentMessages()).toEqual([]);
  expect((await beth.chat(chatId)).messages.filter((m) => m.from === 'agent')).toEqual([]);
}

describe('POST /api/chats/:id/files', () => {
  it('keeps the file, records it on the chat and relays it to the user as an agent message', async () => {
    const id = await liveChat();
    const stream = await beth.events();
    try {
      const res = await beth.upload<WireMessage>(id, {
        bytes: PNG,
        name: 'steps.png',
        contentType: 'image/png',
        text: 'Follow these steps',
      });
      expect(res.status).toBe(201);
      const message = res.body;
      expect(message).toMatchObject({
        from: 'agent',
        agentId: 'beth',
        agentName: 'Beth Ortiz',
        text: 'Follow these steps',
        private: false,
        files: [
          {
            name: 'steps.png',
            contentType: 'image/png',
            size: PNG.byteLength,
            url: expect.stringMatching(new RegExp(`^${h.origin}/files/[\\w-]{22}/steps\\.png$`)),
          },
        ],
      });
      const url = message.files![0].url!;

      // The user side: an agentMessage whose file points at the vault.
      expect(agentMessages()).toEqual([
        {
          type: 'agentMessage',
          sessionId: id,
          agent: { id: 'beth', name: 'Beth Ortiz' },
          messageId: message.id,
          text: 'Follow these steps',
          files: [{ name: 'steps.png', contentType: 'image/png', size: PNG.byteLength, url }],
        },
      ]);
      // Other agents see it live, and in the chat.
      const created = await stream.next((e) => e.event === 'message.created' && e.data.message.id === message.id);
      expect(created.data.message.files[0].url).toBe(url);
      expect((await beth.messages(id)).find((m) => m.id === message.id)?.files).toEqual(message.files);
      expect((await beth.chats()).find((c) => c.id === id)?.lastMessage).toMatchObject({ text: 'Follow these steps' });

      // The URL serves the same bytes, with headers that keep it from ever running as a page.
      const file = await fetch(url);
      expect(file.status).toBe(200);
      expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(PNG))).toBe(true);
      expect(file.headers.get('content-type')).toBe('image/png');
      expect(file.headers.get('x-content-type-options')).toBe('nosniff');
      expect(file.headers.get('content-security-policy')).toMatch(/sandbox/);
      expect(file.headers.get('content-disposition')).toBe("inline; filename*=UTF-8''steps.png");
    } finally {
      await stream.close();
    }
  });

  it('sends a file without a caption, named in X-File-Name, as a download', async () => {
    const id = await liveChat();
    const zip = bytes(3 * KB);
    const message = await beth.sendFile(id, {
      bytes: zip,
      contentType: 'application/zip',
      headers: { 'x-file-name': encodeURIComponent('résumé (v2).zip') },
    });
    expect(message.text).toBe('');
    expect(message.files?.[0]).toMatchObject({ name: 'résumé (v2).zip', contentType: 'application/zip', size: zip.byteLength });
    expect(agentMessages()[0]).toMatchObject({ text: '', files: [{ name: 'résumé (v2).zip' }] });
    // A chat list preview still says something.
    expect((await beth.chats())[0].lastMessage).toMatchObject({ text: '📎 résumé (v2).zip' });
    const file = await fetch(message.files![0].url!);
    expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(zip))).toBe(true);
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''${encodeURIComponent('résumé (v2).zip')}`);
  });

  it('takes a file of exactly the limit, also streamed without Content-Length', async () => {
    const id = await liveChat();
    const message = await beth.sendFile(id, { bytes: bytes(MAX), name: 'max.pdf', contentType: 'application/pdf', chunked: true });
    expect(message.files?.[0].size).toBe(MAX);
  });

  it('answers 401 without a valid token, and stores nothing', async () => {
    const id = await liveChat();
    for (const token of [null, 'not-a-real-token-at-all']) {
      const res = await beth.upload(id, { bytes: PNG, name: 'a.png', contentType: 'image/png', token });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
    await expectNothingStored(id);
  });

  it('answers 413 for a file over the limit, by Content-Length or by counting, and stores nothing', async () => {
    const id = await liveChat();
    const declared = await beth.upload(id, { bytes: bytes(MAX + 1), name: 'big.pdf', contentType: 'application/pdf' });
    expect(declared.status).toBe(413);
    expect(declared.body).toEqual({ error: { code: 'file_rejected', message: 'The file is too large: 64 KB at most.' } });
    const streamed = await beth.upload(id, { bytes: bytes(4 * MAX), name: 'big.pdf', contentType: 'application/pdf', chunked: true });
    expect(streamed.status).toBe(413);
    expect(streamed.body.error.code).toBe('file_rejected');
    await expectNothingStored(id);
    // The connection is still good for the next request.
    expect((await beth.upload(id, { bytes: PNG, name: 'ok.png', contentType: 'image/png' })).status).toBe(201);
  });

  it('answers 413 while a too-large upload is still coming, without reading it all', async () => {
    const id = await liveChat();
    let produced = 0;
    const controller = new AbortController();
    const chunk = new Uint8Array(64 * KB);
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (produced >= 64 * 1024 * KB) return c.close();
        produced += chunk.byteLength;
        c.enqueue(chunk);
      },
    });
    const res = await fetch(`${beth.baseUrl}/api/chats/${id}/files?name=endless.pdf`, {
      method: 'POST',
      headers: { authorization: `Bearer ${beth.token}`, 'content-type': 'application/pdf' },
      body,
      duplex: 'half',
      signal: controller.signal,
    } as RequestInit);
    const answeredAfter = produced;
    expect(res.status).toBe(413);
    controller.abort();
    expect(answeredAfter).toBeLessThan(8 * 1024 * KB);
    await expectNothingStored(id);
  });

  it.each([
    [
      'a type not allowed',
      'application/x-msdownload',
      /Files of type application\/x-msdownload cannot be sent\. Allowed: image\/\*, application\/pdf/,
    ],
    ['a form instead of the file', 'multipart/form-data; boundary=x', /not a form/],
    ['no type at all', null, /Content-Type/],
    ['a malformed type', 'png', /Content-Type/],
  ])('answers 415 for %s, and stores nothing', async (_what, contentType, message) => {
    const id = await liveChat();
    const res = await beth.upload(id, { bytes: PNG, name: 'tool.exe', contentType });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ error: { code: 'file_rejected', message: expect.stringMatching(message) } });
    await expectNothingStored(id);
  });

  it.each([
    ['no name', {}, /Name the file/],
    ['an empty name', { name: '' }, /needs a name/],
    ['a path', { name: '../../etc/passwd' }, /slashes/],
    ['a Windows path', { name: 'C:\\temp\\a.pdf' }, /slashes/],
    ['a control character', { name: 'a\u0000b.pdf' }, /control characters/],
    ['a bidi override', { name: 'invoice\u202Efdp.exe' }, /control characters/],
    ['a name too long', { name: `${'a'.repeat(300)}.pdf` }, /too long/],
    ['dots', { name: '..' }, /not a file name/],
    ['a bad X-File-Name', { headers: { 'x-file-name': '%E0%A4%A' } }, /percent-encoded/],
  ])('answers 400 for %s, and stores nothing', async (_what, extra, message) => {
    const id = await liveChat();
    const res = await beth.upload(id, { bytes: bytes(10), contentType: 'application/pdf', ...extra });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'bad_request', message: expect.stringMatching(message) } });
    await expectNothingStored(id);
  });

  it('answers 400 for an empty file or a caption too long', async () => {
    const id = await liveChat();
    const empty = await beth.upload(id, { bytes: new Uint8Array(0), name: 'a.pdf', contentType: 'application/pdf' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/empty/);
    const long = await beth.upload(id, { bytes: bytes(10), name: 'a.pdf', contentType: 'application/pdf', text: 'x'.repeat(10_001) });
    expect(long.status).toBe(400);
    await expectNothingStored(id);
  });

  it('refuses agents who may not write in the chat: 404, 403, 409', async () => {
    expect((await beth.upload('nope', { bytes: PNG, name: 'a.png', contentType: 'image/png' })).status).toBe(404);
    const id = await liveChat();
    const notJoined = await sam.upload(id, { bytes: PNG, name: 'a.png', contentType: 'image/png' });
    expect(notJoined.status).toBe(403);
    await beth.end(id);
    const ended = await beth.upload(id, { bytes: PNG, name: 'a.png', contentType: 'image/png' });
    expect(ended.status).toBe(409);
    expect(await vaultKeys()).toEqual([]);
    expect(agentMessages()).toEqual([]);
  });

  it('answers 502 and marks the message when the user may not have received the file', async () => {
    await h.close();
    h = await startConsoleHarness({
      files: { maxBytes: MAX },
      sink: async (e) => {
        if (e.type === 'agentMessage') throw new Error('Teams is down');
      },
    });
    beth = h.client(0);
    const id = await liveChat();
    const res = await beth.upload(id, { bytes: PNG, name: 'a.png', contentType: 'image/png' });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('surface_send_failed');
    const [message] = (await beth.messages(id)).filter((m) => m.from === 'agent');
    expect(message).toMatchObject({ undelivered: true, files: [{ name: 'a.png' }] });
  });

  it('tells the page the limits', async () => {
    expect((await beth.request('GET', '/api/settings')).body).toEqual({
      files: { enabled: true, maxBytes: MAX, allowedTypes: ['image/*', 'application/pdf', 'text/plain', 'application/zip'] },
    });
    expect((await beth.request('GET', '/api/settings', { token: null })).status).toBe(401);
  });

  it('answers 501 on a console without a file vault', async () => {
    await h.close();
    h = await startConsoleHarness();
    beth = h.client(0);
    const id = await liveChat();
    const res = await beth.upload(id, { bytes: PNG, name: 'a.png', contentType: 'image/png' });
    expect(res.status).toBe(501);
    expect(res.body.error.code).toBe('file_rejected');
    expect((await beth.request('GET', '/api/settings')).body.files.enabled).toBe(false);
  });
});

describe("the user's files", () => {
  it('are shown on the chat with name, type, size and their bridge URL (never the bytes)', async () => {
    const id = await liveChat();
    await h.desk.sendMessage(id, {
      messageId: 'u-1',
      text: 'screenshot attached',
      at: Date.now(),
      files: [
        {
          name: 'error.png',
          contentType: 'image/png',
          size: 4,
          url: `${h.origin}/files/abcdefghijklmnopqrstuv/error.png`,
          content: new Uint8Array([1, 2, 3, 4]),
        },
      ],
    });
    const [message] = (await beth.messages(id)).filter((m) => m.from === 'user');
    expect(message.files).toEqual([
      { name: 'error.png', contentType: 'image/png', size: 4, url: `${h.origin}/files/abcdefghijklmnopqrstuv/error.png` },
    ]);
  });
});

describe('the page', () => {
  it('lets images from the file URLs in', async () => {
    const res = await fetch(`${h.baseUrl}/`);
    expect(res.headers.get('content-security-policy')).toMatch(new RegExp(`img-src [^;]*${h.origin.replace(/\./g, '\\.')}`));
  });
});
