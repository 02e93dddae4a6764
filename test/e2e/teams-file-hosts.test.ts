/**
 * Where the bridge fetches a Teams user's files from, over the wire: a shared file's
 * `downloadUrl` is only fetched from the allowed hosts (`teams.fileHosts`) and never from
 * loopback, link-local or private addresses unless `server.outboundFetch` allows it. A refused
 * file is explained to the user, nothing is fetched, and the chat goes on.
 */
import { FILE_DOWNLOAD_INFO } from '../../bots/teams/inbound';
import type { BridgeConfigInput } from '../../config/schema';
import { isOffer, isWaiting, startBridgeHarness, TEST_OUTBOUND, type BridgeHarness, type TeamsUser } from '../helpers/bridge-harness';
import { eventually } from '../helpers/eventually';
import { startFakeFileServer, type FakeFileServer } from '../helpers/fake-file-server';

describe('Teams files: only from the hosts Teams uses, never from private addresses', () => {
  let h: BridgeHarness | undefined;
  let sharepoint: FakeFileServer;
  let n = 0;

  beforeEach(async () => {
    sharepoint = await startFakeFileServer();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await sharepoint.close();
  });

  async function start(config: BridgeConfigInput): Promise<BridgeHarness> {
    h = await startBridgeHarness({ config: { bot: { files: { allowedTypes: ['application/pdf'] } }, ...config } });
    return h;
  }

  function shared(name: string, downloadUrl: string) {
    return { contentType: FILE_DOWNLOAD_INFO, name, content: { downloadUrl, uniqueId: `uid-${++n}`, fileType: 'pdf' } };
  }

  async function liveChat(bridge: BridgeHarness, user: TeamsUser): Promise<string> {
    await user.say('My laptop shows a blue screen');
    await user.click(await user.waitForCard(isOffer), 'startChat');
    await user.waitForCard(isWaiting);
    const chat = await eventually(async () => {
      const found = (await bridge.beth.chats()).find((c) => c.status === 'queued');
      if (!found) throw new Error('not queued yet');
      return found;
    });
    await bridge.beth.accept(chat.id);
    await user.waitForCard((c) => c.text.includes('Beth joined the chat'));
    return chat.id;
  }

  async function expectRefused(bridge: BridgeHarness, user: TeamsUser, chatId: string, name: string, url: string, reason: RegExp) {
    await user.say('', { attachments: [shared(name, url)] });
    expect(await user.waitForText(`"${name}" was not sent to the agent`)).toMatch(reason);
    const files = (await bridge.beth.messages(chatId)).flatMap((m) => (m as { files?: unknown[] }).files ?? []);
    expect(files).toEqual([]);
  }

  it('refuses a downloadUrl on loopback, link-local (metadata) or a private network when that is not allowed', async () => {
    const bridge = await start({
      server: { outboundFetch: { allowPrivateNetworks: false, allowHttp: true } },
      teams: { fileHosts: ['127.0.0.1', '169.254.169.254', '10.20.30.40'] },
    });
    const ana = bridge.teamsUser();
    const chatId = await liveChat(bridge, ana);
    const privateNet = /its address is on a private network, which the bridge does not download from\. The chat goes on\.$/;
    await expectRefused(
      bridge,
      ana,
      chatId,
      'loopback.pdf',
      sharepoint.serve('/personal/ana/loopback.pdf', { body: '%PDF-1.7' }),
      privateNet,
    );
    await expectRefused(
      bridge,
      ana,
      chatId,
      'metadata.pdf',
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      privateNet,
    );
    await expectRefused(bridge, ana, chatId, 'office.pdf', 'http://10.20.30.40/share/report.pdf', privateNet);
    expect(sharepoint.requests).toEqual([]);

    // The chat goes on.
    await ana.say('still there?');
    await eventually(async () => expect((await bridge.beth.messages(chatId)).map((m) => m.text)).toContain('still there?'));
  });

  it('refuses a host that is not on the list, and a redirect from an allowed host to one that is not', async () => {
    const other = await startFakeFileServer();
    try {
      // Only 127.0.0.1 is allowed; `localhost` (the same machine, another name) is not.
      const bridge = await start({ server: { outboundFetch: TEST_OUTBOUND }, teams: { fileHosts: ['127.0.0.1'] } });
      const ana = bridge.teamsUser();
      const chatId = await liveChat(bridge, ana);
      const elsewhere = other
        .serve('/stolen.pdf', { body: '%PDF-1.7 secret', contentType: 'application/pdf' })
        .replace('127.0.0.1', 'localhost');
      await expectRefused(
        bridge,
        ana,
        chatId,
        'elsewhere.pdf',
        elsewhere,
        /it is stored somewhere the bridge does not download files from/,
      );
      const hop = sharepoint.serve('/personal/ana/hop.aspx', { redirectTo: elsewhere });
      await expectRefused(
        bridge,
        ana,
        chatId,
        'hop.pdf',
        hop,
        /the download was sent on to a place the bridge does not download files from/,
      );
      expect(sharepoint.requestsFor('/personal/ana/hop.aspx')).toHaveLength(1);
      expect(other.requests).toEqual([]);

      // An allowed host still works.
      await ana.say('', {
        attachments: [
          shared('ok.pdf', sharepoint.serve('/personal/ana/ok.pdf', { body: '%PDF-1.7 fine', contentType: 'application/pdf' })),
        ],
      });
      await eventually(async () => {
        const files = (await bridge.beth.messages(chatId)).flatMap((m) => (m as { files?: { name: string }[] }).files ?? []);
        expect(files.map((f) => f.name)).toEqual(['ok.pdf']);
      });
    } finally {
      await other.close();
    }
  });

  it("by default takes only Teams' own hosts, over https", async () => {
    const bridge = await start({
      server: { outboundFetch: { allowPrivateNetworks: true, allowHttp: false } },
      teams: { fileHosts: undefined },
    });
    expect(bridge.bridge.config.teams.fileHosts).toEqual(expect.arrayContaining(['*.sharepoint.com', 'smba.trafficmanager.net']));
    const ana = bridge.teamsUser();
    const chatId = await liveChat(bridge, ana);
    await expectRefused(
      bridge,
      ana,
      chatId,
      'plain.pdf',
      'http://contoso-my.sharepoint.com/personal/ana/plain.pdf',
      /no secure \(https\) address/,
    );
    await expectRefused(
      bridge,
      ana,
      chatId,
      'local.pdf',
      sharepoint.serve('/personal/ana/local.pdf', { body: '%PDF' }).replace('http:', 'https:'),
      /stored somewhere the bridge does not download files from/,
    );
    expect(sharepoint.requests).toEqual([]);
  });
});
