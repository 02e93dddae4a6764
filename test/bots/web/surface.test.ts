import pino from 'pino';
import { FileVault } from '../../../bots/core/file-vault';
import type { Clock } from '../../../bots/core/ports';
import { isBridgeError } from '../../../bots/core/errors';
import { refusalReason } from '../../../bots/core/file-refusal';
import { defaultMessages } from '../../../bots/core/settings';
import { UserStreams, type EventStream } from '../../../bots/web/event-stream';
import { MessageLog } from '../../../bots/web/message-log';
import { WebSurface, uploadOwner } from '../../../bots/web/surface';
import { TypingShown } from '../../../bots/web/typing';
import type { ChatEntry } from '../../../bots/web/wire';
import { RecordingStore } from '../../helpers/recording-store';

const clock: Clock = { now: () => 1_000, setTimer: () => ({ cancel() {} }) };
const logger = pino({ level: 'silent' });

function setup(store = new RecordingStore()) {
  const log = new MessageLog(store, { ttlMs: 60_000, maxEntries: 5 });
  const streams = new UserStreams(clock, logger);
  const files = new FileVault(store, { ttlMs: 60_000, baseUrl: () => 'http://bridge.test', now: () => 1_000 });
  const surface = new WebSurface({ log, streams, files, logger, now: () => 1_000, chatState: async () => ({ phase: 'none' }) });
  const received: { event: string; data: any }[] = [];
  const stream: EventStream = { send: (event, data) => received.push({ event, data }), comment() {}, close() {} };
  streams.connect('u1', stream);
  return { store, log, surface, files, received };
}

describe('WebSurface', () => {
  it('logs and pushes sends, and replaces a card in place on update', async () => {
    const { surface, log, received } = setup();
    const ref = await surface.send({ userId: 'u1' }, { kind: 'card', view: { type: 'waiting', sessionId: 's1', title: 'Printer' } });
    await surface.update({ userId: 'u1' }, ref, {
      kind: 'card',
      view: { type: 'waiting', sessionId: 's1', title: 'Printer', status: { text: 'Cancelled' } },
    });
    const { entries, version } = await log.read('u1');
    expect(version).toBe(2);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ id: ref.messageId, rev: 2, from: 'bot', cardText: expect.stringContaining('Cancelled') });
    expect(entries[0].card?.actions).toBeUndefined();
    expect(received.map((r) => r.event)).toEqual(['message', 'update']);
  });

  it('attributes agent text, keeps https avatars only, and links vault files by path', async () => {
    const { surface, log, files } = setup();
    const kept = await files.put('chat-1', { name: 'a.png', contentType: 'image/png' }, new Uint8Array([1, 2, 3]));
    await surface.send(
      { userId: 'u1' },
      {
        kind: 'text',
        text: 'here',
        from: { id: 'b', name: 'Beth', avatarUrl: 'javascript:alert(1)' },
        files: [kept, { name: 'raw.txt', contentType: 'text/plain', content: new TextEncoder().encode('hi') }],
      },
    );
    await surface.send(
      { userId: 'u1' },
      { kind: 'text', text: 'plain http', from: { id: 'b', name: 'Beth', avatarUrl: 'http://cdn.example.com/beth.png' } },
    );
    const [entry, overHttp] = (await log.read('u1')).entries;
    expect(entry.from).toBe('agent');
    expect(entry.agent).toEqual({ name: 'Beth' });
    // The page's CSP allows only https images: an http one would be a broken picture.
    expect(overHttp.agent).toEqual({ name: 'Beth' });
    expect(entry.files?.map((f) => f.url)).toEqual([
      expect.stringMatching(/^\/files\/[\w-]+\/a\.png$/),
      expect.stringMatching(/^\/files\/[\w-]+\/raw\.txt$/),
    ]);
  });

  it('draws a topic-only form with the topic choice and no description box', async () => {
    const { surface, log } = setup();
    const view = {
      type: 'details' as const,
      offerId: 'o-1',
      prompt: 'Which topic is this about?',
      topics: [{ id: 'net', label: 'Network' }],
      topicRequired: true,
      topicOnly: true,
    };
    await surface.send({ userId: 'u1' }, { kind: 'card', view });
    const [entry] = (await log.read('u1')).entries;
    const json = JSON.stringify(entry.card);
    expect(json).toContain('"id":"topic"');
    expect(json).not.toContain('"id":"description"');
    expect(entry.cardText).toBe('Which topic is this about?');
  });

  it('fails an update of a message it no longer has, so the broker logs it', async () => {
    const { surface } = setup();
    await expect(surface.update({ userId: 'u1' }, { messageId: 'gone' }, { kind: 'text', text: 'x' })).rejects.toMatchObject({
      code: 'surface_send_failed',
    });
    await expect(surface.send({ userId: 42 }, { kind: 'text', text: 'x' })).rejects.toMatchObject({ code: 'surface_send_failed' });
  });

  it('downloads only the user’s own uploads, within the size limit', async () => {
    const { surface, files } = setup();
    const mine = await files.put(uploadOwner('u1'), { name: 'm.txt', contentType: 'text/plain' }, new Uint8Array(10));
    const theirs = await files.put(uploadOwner('u2'), { name: 't.txt', contentType: 'text/plain' }, new Uint8Array(10));
    const handle = (url: string | undefined) => ({ upload: files.idOf(url)! });
    expect((await surface.download({ userId: 'u1' }, { ...mine, content: undefined, handle: handle(mine.url) }, 100)).byteLength).toBe(10);
    const other = await surface.download({ userId: 'u1' }, { ...theirs, handle: handle(theirs.url) }, 100).catch((e) => e);
    expect(isBridgeError(other, 'file_rejected')).toBe(true);
    const big = await surface.download({ userId: 'u1' }, { ...mine, handle: handle(mine.url) }, 5).catch((e) => e);
    expect(isBridgeError(big, 'file_rejected')).toBe(true);
  });

  it('names why it refused a download, so the broker words it from bot.messages.fileRefusedReasons', async () => {
    const { surface, files } = setup();
    const mine = await files.put(uploadOwner('u1'), { name: 'm.txt', contentType: 'text/plain' }, new Uint8Array(10));
    const gone = await surface
      .download({ userId: 'u1' }, { name: 'x.txt', contentType: 'text/plain', handle: { upload: 'nope' } }, 100)
      .catch((e) => e);
    const big = await surface.download({ userId: 'u1' }, { ...mine, handle: { upload: files.idOf(mine.url)! } }, 5).catch((e) => e);
    // The error's own message stays the default wording (logs); the user reads the configured one.
    expect([gone.message, big.message]).toEqual(['the upload has expired or does not exist', 'it is too large']);
    const reasons = { ...defaultMessages.fileRefusedReasons, uploadGone: 'Upload abgelaufen', tooLarge: 'zu groß' };
    expect([refusalReason(gone, reasons), refusalReason(big, reasons)]).toEqual(['Upload abgelaufen', 'zu groß']);
  });

  it('logs a user message once per client id', async () => {
    const { surface, log } = setup();
    const a = await surface.recordUserMessage('u1', { clientId: 'c1', text: 'hi', files: [] });
    const b = await surface.recordUserMessage('u1', { clientId: 'c1', text: 'hi', files: [] });
    expect(b).toEqual({ entry: a.entry, isNew: false });
    expect((await log.read('u1')).entries).toHaveLength(1);
  });
});

describe('MessageLog', () => {
  it('loses no entry when two processes append at once (version claims), and keeps the newest N', async () => {
    const store = new RecordingStore();
    // Slow reads and writes make both writers read the same version before either writes, so
    // the claims must sort them out.
    store.latency = (op) => (op === 'get' || op === 'set' ? new Promise((r) => setTimeout(r, 2)) : undefined);
    const one = new MessageLog(store, { ttlMs: 60_000, maxEntries: 50 });
    const two = new MessageLog(store, { ttlMs: 60_000, maxEntries: 50 });
    const entry =
      (n: number) =>
      (rev: number): { entry: ChatEntry; isNew: boolean } => ({
        entry: { id: `e${n}`, rev, at: n, from: 'bot', text: String(n) },
        isNew: true,
      });
    await Promise.all(Array.from({ length: 10 }, (_, n) => (n % 2 ? one : two).append('u', entry(n))));
    const { entries, version } = await one.read('u');
    expect(version).toBe(10);
    expect(entries.map((e) => e.id).sort()).toEqual(Array.from({ length: 10 }, (_, n) => `e${n}`).sort());
    expect(new Set(entries.map((e) => e.rev)).size).toBe(10);

    const small = new MessageLog(new RecordingStore(), { ttlMs: 60_000, maxEntries: 3 });
    for (let n = 0; n < 5; n++) await small.append('u', entry(n));
    expect((await small.read('u')).entries.map((e) => e.id)).toEqual(['e2', 'e3', 'e4']);
  });
});

describe('TypingShown (whom to tell that typing stopped)', () => {
  it('remembers users shown typing until cleared, and forgets the oldest beyond its bound', () => {
    const shown = new TypingShown(2);
    shown.shown('a');
    shown.shown('b');
    shown.shown('a'); // refreshed: now the newest
    shown.shown('c'); // over the bound: b, the oldest, goes
    expect(shown.size).toBe(2);
    expect(shown.clear('b')).toBe(false);
    expect(shown.clear('a')).toBe(true);
    expect(shown.clear('a')).toBe(false); // told once
    expect(shown.clear('c')).toBe(true);
  });
});
