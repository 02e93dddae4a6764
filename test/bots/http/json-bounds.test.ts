/**
 * Bounds on free-form JSON (bots/http/json-bounds.ts), and a broadcast the store refuses leaving
 * nothing behind.
 */
import { BroadcastService, broadcastSettingsSchema } from '../../../bots/core/broadcasts';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import { checkJsonBounds } from '../../../bots/http/json-bounds';
import { ManualClock } from '../../helpers/console-clock';
import { RecordingStore } from '../../helpers/recording-store';
import { RecordingLogger } from '../../helpers/core-fakes';

function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

describe('checkJsonBounds', () => {
  it('counts nesting levels of objects and arrays', () => {
    expect(checkJsonBounds(nested(16), { maxDepth: 16 })).toBeUndefined();
    expect(checkJsonBounds(nested(17), { maxDepth: 16 })).toBe('nested more than 16 levels deep');
    expect(checkJsonBounds('plain', { maxDepth: 0 })).toBeUndefined();
    expect(checkJsonBounds({}, { maxDepth: 0 })).toBe('nested more than 0 levels deep');
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(checkJsonBounds(deep, { maxDepth: 64 })).toBe('nested more than 64 levels deep');
  });

  it('measures the size as JSON written without spaces', () => {
    const value = { ack: true, list: [1, 'é', null], n: { k: 'v' } };
    const size = Buffer.byteLength(JSON.stringify(value));
    expect(checkJsonBounds(value, { maxDepth: 8, maxBytes: size })).toBeUndefined();
    expect(checkJsonBounds(value, { maxDepth: 8, maxBytes: size - 1 })).toBe(`larger than ${size - 1} bytes as JSON`);
    expect(checkJsonBounds({ s: 'x'.repeat(9000) }, { maxDepth: 8, maxBytes: 8192 })).toBe('larger than 8 KB as JSON');
  });
});

describe('BroadcastService.create when the store refuses', () => {
  const recipients = [{ surface: 'teams' as const, user: 'u1' }];
  const make = (store: RecordingStore, clock: ManualClock) =>
    new BroadcastService({
      store,
      clock,
      logger: new RecordingLogger(),
      settings: broadcastSettingsSchema.parse({}),
      knownUsers: async () => [],
      broker: { deliverBroadcast: async () => ({ outcome: 'delivered' }) },
      newId: () => 'b_refused',
    });

  it('writes no recipients when the record cannot be written', async () => {
    const clock = new ManualClock(0);
    const store = new RecordingStore(() => clock.now());
    store.latency = (op, key) => {
      if (op === 'set' && key.startsWith('broadcast:')) throw new BridgeError(ErrorCode.StoreUnavailable, 'the store is down');
    };
    await expect(make(store, clock).create(recipients, { title: 't', text: 'x', actions: [] })).rejects.toThrow('the store is down');
    store.latency = undefined;
    expect(await store.keys('')).toEqual([]);
  });

  it('takes the record back when its recipients cannot be written', async () => {
    const clock = new ManualClock(0);
    const store = new RecordingStore(() => clock.now());
    store.latency = (op, key) => {
      if (op === 'set' && key.startsWith('brecipients:')) throw new BridgeError(ErrorCode.StoreUnavailable, 'the store is down');
    };
    const service = make(store, clock);
    await expect(service.create(recipients, { title: 't', text: 'x', actions: [] })).rejects.toThrow('the store is down');
    store.latency = undefined;
    expect(await store.keys('')).toEqual([]);
    expect(await service.status('b_refused')).toBeUndefined();
  });
});
