import { type InboundRoute, InboundRouter } from '../../../bots/core/inbound-router';
import { ChannelRegistrations } from '../../../bots/core/channel-port';

type Ev = { kind: string };

function route(name: string, kinds: string[], log: string[]): InboundRoute<Ev> {
  return {
    name,
    select: (e) => kinds.includes(e.kind),
    handle: async (e) => {
      log.push(`${name}:${e.kind}`);
    },
  };
}

describe('InboundRouter', () => {
  it('hands each event to the first route that selects it, and leaves alone what none selects', async () => {
    const log: string[] = [];
    const router = new InboundRouter<Ev>([route('channels', ['channel'], log), route('users', ['im', 'channel'], log)]);
    expect((await router.dispatch({ kind: 'channel' }))?.name).toBe('channels');
    expect((await router.dispatch({ kind: 'im' }))?.name).toBe('users');
    expect(await router.dispatch({ kind: 'edit' })).toBeUndefined();
    expect(log).toEqual(['channels:channel', 'users:im']);
  });

  it('passes a route failure on to the surface (which answers the platform 5xx)', async () => {
    const failing: InboundRoute<Ev> = { name: 'f', select: () => true, handle: async () => Promise.reject(new Error('store down')) };
    await expect(new InboundRouter([failing]).dispatch({ kind: 'x' })).rejects.toThrow('store down');
  });
});

describe('ChannelRegistrations', () => {
  it('asks registrations in order and forgets one that stopped', () => {
    const regs = new ChannelRegistrations();
    const a = { owns: ({ channel }: { channel: string }) => channel === 'C1', accept: async () => undefined };
    const b = { owns: () => true, accept: async () => undefined };
    const stopA = regs.add(a);
    regs.add(b);
    expect(regs.ownerOf({ channel: 'C1', thread: '1' })).toBe(a);
    expect(regs.ownerOf({ channel: 'C2', thread: '1' })).toBe(b);
    stopA();
    expect(regs.ownerOf({ channel: 'C1', thread: '1' })).toBe(b);
  });
});
