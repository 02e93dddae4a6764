/**
 * Broadcast fan-out per surface: a surface that must go slowly does not hold up the others
 * (the benchmark found 10,000 mixed recipients handed over in the sum of the surfaces' times).
 */
import { BroadcastService, broadcastSettingsSchema, type Recipient } from '../../../bots/core/broadcasts';
import { ManualClock } from '../../helpers/console-clock';
import { RecordingStore } from '../../helpers/recording-store';
import { RecordingLogger } from '../../helpers/core-fakes';

const settle = () => new Promise((r) => setImmediate(r));

describe('BroadcastService lanes', () => {
  it('delivers to a fast surface while a slow one is still pacing, each within its own rate', async () => {
    const clock = new ManualClock(0);
    const store = new RecordingStore(() => clock.now());
    const sent: { surface: string; user: string; at: number }[] = [];
    const recipients: Recipient[] = [
      ...Array.from({ length: 10 }, (_, i) => ({ surface: 'slack' as const, user: `U${i}` })),
      ...Array.from({ length: 20 }, (_, i) => ({ surface: 'teams' as const, user: `t${i}` })),
    ];
    const service = new BroadcastService({
      store,
      clock,
      logger: new RecordingLogger(),
      settings: broadcastSettingsSchema.parse({ ratePerSecond: { slack: 1, teams: 100 } }),
      knownUsers: async () => recipients,
      broker: {
        deliverBroadcast: async (surface, user) => {
          sent.push({ surface, user, at: clock.now() });
          return { outcome: 'delivered' };
        },
      },
    });
    await service.create('all', { title: 'Maintenance', text: 'Tonight', actions: [] });
    for (let t = 0; t < 500; t += 5) {
      clock.advance(5);
      await settle();
    }
    // Listed after Slack's ten (more than the workers), Teams' twenty are all out in well under a second...
    expect(sent.filter((s) => s.surface === 'teams')).toHaveLength(20);
    // ...while Slack goes at its 1/s.
    expect(sent.filter((s) => s.surface === 'slack').length).toBeLessThanOrEqual(1);
    for (let t = 0; t < 12000; t += 10) {
      clock.advance(10);
      await settle();
    }
    const slack = sent.filter((s) => s.surface === 'slack').map((s) => s.at);
    expect(slack).toHaveLength(10);
    for (let i = 1; i < slack.length; i++) expect(slack[i] - slack[i - 1]).toBeGreaterThanOrEqual(1000);
    await service.stop();
  });
});
