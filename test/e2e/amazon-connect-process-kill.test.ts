/**
 * Two real bridge processes started as `npm start` starts one (`bots/main.ts`, configured only
 * by the environment the Amazon Connect simulator prints, plus Redis) with Teams users on both.
 * One is killed with SIGKILL while the agents keep writing: the survivor takes its chats over
 * from the persisted cursors (a new connection from the stored ParticipantToken, GetTranscript
 * from the last item delivered) and every agent message reaches its user in order, nothing lost;
 * exactly once but for the one in flight at the kill (the window docs/stream-desks.md names).
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createStore } from '../../adapters/store';
import { storeSettingsSchema } from '../../adapters/store/config';
import { streamKeys } from '../../bots/core/chat-streams';
import type { Store } from '../../bots/core/ports';
import { describeWithRedis, redisUrl } from '../contract/store.redis-env';
import { teamsChat } from '../helpers/bf-activity';
import { isDetails, isOffer, isWaiting, TeamsUser } from '../helpers/bridge-harness';
import { type BridgeProcess, startBridgeProcess } from '../helpers/bridge-process';
import { eventually } from '../helpers/eventually';
import { startFakeConnector, type FakeConnector } from '../helpers/fake-connector';
import { AmazonConnectSimulator, type SimContact } from '../simulators/amazon-connect/simulator';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis('Amazon Connect chats when their bridge process is killed', () => {
  const namespace = `connect-kill-${randomUUID()}`;
  const children: ChildProcess[] = [];
  let sim: AmazonConnectSimulator;
  let connector: FakeConnector;
  let observer: Store;

  function startBridge(): Promise<BridgeProcess> {
    return startBridgeProcess({
      entry: 'bots/main.ts',
      children,
      drop: /^(DESK|AMAZON_|AWS_)/,
      env: {
        ...sim.env(),
        DESK: 'amazon-connect',
        REDIS_URL: redisUrl,
        STORE_NAMESPACE: namespace,
        OUTBOUND_FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
        OUTBOUND_FETCH_ALLOW_HTTP: 'true',
      },
    });
  }

  beforeAll(async () => {
    sim = await AmazonConnectSimulator.start();
    connector = await startFakeConnector();
    observer = await createStore(storeSettingsSchema.parse({ redisUrl, namespace }));
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const key of await observer.keys('')) await observer.delete(key);
    await observer.close();
    await connector.close();
    await sim.close();
  });

  it('the survivor resumes the killed process\u2019s chats from the transcript: every agent message once, in order', async () => {
    const [a, b] = await Promise.all([startBridge(), startBridge()]);
    // Four users, each talking to one process (so that process opens, and owns, their chat).
    const users = Array.from({ length: 4 }, (_, i) => ({
      user: new TeamsUser(
        (i % 2 === 0 ? a : b).url,
        connector,
        teamsChat({ serviceUrl: connector.url, botId: 'bridge-bot', userName: `User ${i}` }),
      ),
    }));
    const contacts: SimContact[] = [];
    for (const { user } of users) {
      await user.say('I need to talk to an agent');
      await user.click(await user.waitForCard(isOffer, 15_000), 'startChat');
      await user.click(await user.waitForCard(isDetails, 15_000), 'submitDetails', { description: `VPN problem of ${user.chat.userName}` });
      await user.waitForCard(isWaiting, 15_000);
      const contact = await eventually(() => {
        const found = [...sim.state.contacts.values()].find((c) => c.attributes.userName === user.chat.userName);
        if (!found) throw new Error('not started at Connect yet');
        return found;
      });
      await eventually(() => expect(sim.hub.open(contact.initialContactId).some((s) => s.subscribed)).toBe(true), 15_000);
      sim.agent.join(contact.initialContactId, 'Beth Anglin');
      await user.waitForText('Beth Anglin joined the chat.', 15_000);
      contacts.push(contact);
    }
    const sessions = contacts.map((c) => c.attributes.sessionId);
    const holder = (sessionId: string) => observer.leaseHolder(streamKeys.lease('amazon-connect', sessionId));
    const owners = await eventually(async () => {
      const found = await Promise.all(sessions.map(async (s) => (await holder(s))?.owner));
      for (const o of found) expect(o).toBeDefined();
      return found as string[];
    });
    const [ownerOfA, ownerOfB] = owners;
    expect(ownerOfA).not.toBe(ownerOfB);
    expect(owners).toEqual([ownerOfA, ownerOfB, ownerOfA, ownerOfB]);

    const sent = new Map<string, string[]>(sessions.map((s) => [s, []]));
    let writing = true;
    const writer = (async () => {
      for (let n = 1; writing; n++) {
        contacts.forEach((c, i) => {
          const text = `agent message ${n}`;
          sim.agent.say(c.initialContactId, text);
          sent.get(sessions[i])!.push(text);
        });
        await sleep(150);
      }
    })();
    const agentTexts = (user: TeamsUser) =>
      user
        .texts()
        .filter((t) => /agent message \d+/.test(t))
        .map((t) => /agent message \d+/.exec(t)![0]);
    await eventually(() => {
      for (const { user } of users) expect(agentTexts(user).length).toBeGreaterThanOrEqual(3);
    }, 15_000);

    const transcriptReads = sim.calls('GetTranscript').length;
    a.child.kill('SIGKILL');
    await a.exited;
    await eventually(
      async () => {
        for (const s of sessions) expect(await holder(s)).toMatchObject({ owner: ownerOfB });
      },
      20_000,
      200,
    );
    // The survivor caught up from the transcript for each chat it took.
    expect(sim.calls('GetTranscript').length - transcriptReads).toBeGreaterThanOrEqual(2);

    await sleep(500);
    writing = false;
    await writer;
    await eventually(
      () => {
        users.forEach(({ user }, i) => {
          const got = agentTexts(user);
          const repeats = got.filter((t, j) => j > 0 && got[j - 1] === t).length;
          expect(got.filter((t, j) => j === 0 || got[j - 1] !== t)).toEqual(sent.get(sessions[i]));
          expect(repeats).toBeLessThanOrEqual(1);
        });
      },
      20_000,
      200,
    );
    expect(b.output()).not.toMatch(/"level":(50|60)/);
    b.child.kill('SIGTERM');
    await b.exited;
  });
});
