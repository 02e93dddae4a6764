/**
 * The console page resends a message whose POST got no answer with the same Idempotency-Key, so
 * the user gets it once. In Chromium (skipped without it, as browser.test.ts): the first POST
 * reaches the bridge but its answer is cut off before the page sees it, as a dropped connection
 * would; the agent presses Send again.
 */
import type { Browser, Page, Request } from 'playwright-core';
import { AGENTS, startBridgeHarness, type BridgeHarness } from '../helpers/bridge-harness';
import { describeWithChromium, launchChromium, PageProblems, textOf, until } from '../helpers/browser';
import { eventually } from '../helpers/eventually';
import { hasButton, isDetailsCard, WebChatUser } from '../helpers/web-user';

jest.setTimeout(120_000);

describeWithChromium('console page: a resent message reaches the user once', () => {
  let h: BridgeHarness;
  let browser: Browser;
  let desk: Page;
  let user: WebChatUser;
  const problems = new PageProblems();

  beforeAll(async () => {
    h = await startBridgeHarness();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    desk = await context.newPage();
    desk.setDefaultTimeout(20_000);
    await problems.watch(desk, 'console page');
  });

  afterAll(async () => {
    await user?.disconnect();
    await browser?.close();
    await h?.close();
  });

  it('sends the same key again and shows one message', async () => {
    await desk.goto(`${h.url}/console`);
    await desk.locator('#token').fill(AGENTS.beth.token);
    await desk.getByRole('button', { name: 'Sign in' }).click();
    await desk.locator('#conn[data-state="live"]').waitFor();

    user = await WebChatUser.start(h.url);
    await user.say('agent');
    await user.click(await user.waitForCard(hasButton('startChat')), 'startChat');
    await user.click(await user.waitForCard(isDetailsCard), 'submitDetails', { description: 'Printer offline' });
    await desk.locator('.chat-item', { hasText: 'Printer offline' }).click();
    await desk.getByRole('button', { name: 'Accept' }).click();
    await until(async () => expect(await desk.locator('#text').isEnabled()).toBe(true));

    const posts: Request[] = [];
    desk.on('request', (r) => {
      if (r.method() === 'POST' && /\/console\/api\/chats\/[^/]+\/messages$/.test(r.url())) posts.push(r);
    });
    let cutOff = false;
    await desk.route('**/console/api/chats/*/messages', async (route) => {
      if (route.request().method() !== 'POST' || cutOff) return route.fallback();
      cutOff = true;
      await route.fetch(); // the bridge takes it and answers...
      await route.abort('connectionreset'); // ...but the answer never reaches the page
    });

    await desk.locator('#text').fill('Please restart the printer');
    await desk.locator('#text').press('Enter');
    await until(async () => expect(await textOf(desk.locator('#composer-error'))).toMatch(/Cannot reach the server/));
    expect(await desk.locator('#text').inputValue()).toBe('Please restart the printer');

    await desk.getByRole('button', { name: 'Send' }).click();
    await until(async () => expect(await desk.locator('#text').inputValue()).toBe(''));
    await until(async () => expect(await textOf(desk.locator('#composer-error'))).toBe(''));

    expect(posts).toHaveLength(2);
    const keys = await Promise.all(posts.map((r) => r.headerValue('idempotency-key')));
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(keys[1]).toBe(keys[0]);
    await eventually(async () => {
      const agentEntries = (await user.history()).entries.filter((e) => e.text === 'Please restart the printer');
      expect(agentEntries).toHaveLength(1);
    });
    await until(async () => expect(await desk.locator('#messages > li', { hasText: 'Please restart the printer' }).count()).toBe(1));

    // A new message is a new key.
    await desk.locator('#text').fill('Anything else?');
    await desk.locator('#text').press('Enter');
    await until(async () => expect(posts).toHaveLength(3));
    expect(await posts[2].headerValue('idempotency-key')).not.toBe(keys[0]);
    expect(problems.list.filter((p) => !/Failed to load resource|net::ERR_CONNECTION_RESET/.test(p))).toEqual([]);
  });
});
