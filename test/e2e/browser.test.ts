/**
 * The product in a real browser: an employee in the web chat (`/chat`) and an agent in the
 * console (`/console`), both pages in Debian's Chromium driven through their UI only (clicks,
 * typing, file pickers), against the real app. The broadcast is sent through the HTTP API, as an
 * admin would. A second employee shows the agent's view of a chat she is not looking at.
 * Screenshots of the pages at each step go to test/artifacts/browser/; any script error, console
 * error or CSP violation in a page fails the test.
 *
 * Needs Chromium at /usr/bin/chromium (`apt-get install -y chromium`): skipped with a message
 * when it is missing, except under CI=true, where it fails.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AGENTS, startBridgeHarness, type BridgeHarness } from '../helpers/bridge-harness';
import {
  ARTIFACTS_DIR,
  avatarSvg,
  describeWithChromium,
  inView,
  launchChromium,
  PageProblems,
  Screenshots,
  serveExternal,
  textOf,
  until,
} from '../helpers/browser';

const BROADCAST_TOKEN = 'browser-broadcast-token-0123456789';
const BETH = { ...AGENTS.beth, name: 'Beth Jones', avatarUrl: 'https://cdn.example.com/avatars/beth.svg' };
const CARL = { ...AGENTS.carl, name: 'Carl Diaz', avatarUrl: 'https://cdn.example.com/avatars/carl.svg' };
const BROADCAST_IMAGE = 'https://intranet.example/img/maintenance.svg';
const DESCRIPTION = 'My laptop fan is very loud since this morning';
const GUIDE = 'Step 1: shut the laptop down.\nStep 2: clean the fan with compressed air.\n';

jest.setTimeout(240_000);

describeWithChromium('the product in a real browser: web chat and agent console', () => {
  let h: BridgeHarness;
  let browser: Browser;
  let employeeContext: BrowserContext;
  let agentContext: BrowserContext;
  let chat: Page;
  let desk: Page;
  let otherChat: Page; // a second employee, for a chat the agent is not looking at
  const problems = new PageProblems();

  beforeAll(async () => {
    h = await startBridgeHarness({
      config: {
        bot: {
          topics: [
            { id: 'hardware', label: 'Hardware' },
            { id: 'access', label: 'Access and accounts' },
          ],
        },
        console: { agents: [BETH, CARL] },
        broadcasts: { token: BROADCAST_TOKEN, minIntervalPerUserMs: 0 },
      },
    });
    browser = await launchChromium();
    // Two browsers in effect: the employee's and the agent's, sharing nothing.
    employeeContext = await browser.newContext({ viewport: { width: 820, height: 900 }, locale: 'en-US', timezoneId: 'Europe/Paris' });
    agentContext = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'en-US' });
    const otherContext = await browser.newContext({ viewport: { width: 640, height: 760 }, locale: 'de-CH', timezoneId: 'Europe/Zurich' });
    const external = {
      [BETH.avatarUrl]: { contentType: 'image/svg+xml', body: avatarSvg('BJ', '#8a3ffc') },
      [CARL.avatarUrl]: { contentType: 'image/svg+xml', body: avatarSvg('CD', '#198038') },
      [BROADCAST_IMAGE]: {
        contentType: 'image/svg+xml',
        body: '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="120"><rect width="600" height="120" fill="#fdf1d6"/><text x="300" y="72" font-family="sans-serif" font-size="32" text-anchor="middle" fill="#7a5200">VPN maintenance</text></svg>',
      },
    };
    await serveExternal(employeeContext, external);
    await serveExternal(agentContext, external);
    await serveExternal(otherContext, external);
    chat = await employeeContext.newPage();
    desk = await agentContext.newPage();
    otherChat = await otherContext.newPage();
    // Generous waits: CI has two cores shared with other test files.
    for (const page of [chat, desk, otherChat]) page.setDefaultTimeout(20_000);
    await problems.watch(chat, 'chat page');
    await problems.watch(desk, 'console page');
    await problems.watch(otherChat, 'second chat page');
  });

  afterAll(async () => {
    // eslint-disable-next-line no-console
    if (problems.list.length) console.warn(`Problems seen in the pages:\n${problems.list.join('\n')}`);
    await browser?.close();
    await h?.close();
  });

  it('an employee reaches an agent, they talk and swap files, a broadcast waits out the chat, stop chat ends it', async () => {
    const shots = new Screenshots(ARTIFACTS_DIR, { chat, console: desk, 'second-chat': otherChat });
    const entries = chat.locator('#messages > li');
    const entry = (text: string | RegExp) => entries.filter({ hasText: text });
    const deskMessages = desk.locator('#messages > li');
    const group = (name: 'queued' | 'live' | 'ended') => desk.locator(`.group[data-group="${name}"]`);

    // 1. The employee opens the chat as a guest; the agent signs in to the console with her token.
    await chat.goto(`${h.url}/chat`);
    await chat.locator('#conn[data-state="live"]').waitFor();
    expect(await textOf(chat.locator('#me'))).toMatch(/\(guest\)$/);
    await desk.goto(`${h.url}/console`);
    await desk.locator('#token').fill(BETH.token);
    await desk.getByRole('button', { name: 'Sign in' }).click();
    await desk.locator('#conn[data-state="live"]').waitFor();
    expect(await textOf(desk.locator('#me'))).toContain('Beth Jones');
    expect(await textOf(group('queued'))).toContain('Nobody is waiting');
    await shots.take('signed-in', ['chat', 'console']);

    // 2. Asking for a person brings the offer card with its Start button.
    await chat.locator('#text').fill('I need to talk to an agent');
    await chat.locator('#text').press('Enter');
    const offer = entry('I can connect you with a live agent');
    const start = offer.getByRole('button', { name: 'Start agent chat' });
    await start.waitFor();
    await shots.take('offer', ['chat']);

    // 3. Start: the details form; the renderer refuses it empty, then it goes with a topic.
    await start.click();
    const form = entries.filter({ has: chat.locator('textarea') });
    await form.locator('textarea').waitFor();
    await start.waitFor({ state: 'detached' }); // the offer's button is gone once used
    await form.getByRole('button', { name: 'Start chat' }).click();
    await form.getByText('Please tell us what you need help with.').waitFor();
    await form.locator('textarea').fill(DESCRIPTION);
    await form.locator('select').selectOption({ label: 'Hardware' });
    await shots.take('details', ['chat']);
    await form.getByRole('button', { name: 'Start chat' }).click();
    const waiting = entry(DESCRIPTION).filter({ hasText: 'Waiting for an agent' });
    await waiting.getByRole('button', { name: 'Cancel' }).waitFor();
    await until(async () => expect(await textOf(chat.locator('#hint'))).toMatch(/Waiting for an agent/));

    // 4. The request is in the agent's queue, marked new, with who is asking and the topic.
    const queued = group('queued').locator('.chat-item', { hasText: DESCRIPTION });
    await queued.waitFor();
    await until(async () => expect(await textOf(group('queued').locator('.count'))).toBe('1'));
    expect(await textOf(queued)).toMatch(/Guest .* · Hardware/);
    expect(await queued.locator('.unread').count()).toBe(1); // marked new until opened
    expect(await desk.title()).toBe('(1 waiting) Agent console');
    await shots.take('queued', ['chat', 'console']);

    // 5. The agent opens it: details, topic, the conversation with the bot; and accepts.
    await queued.click();
    await until(async () => expect(await textOf(desk.locator('#chat-title'))).toBe(DESCRIPTION));
    expect(await textOf(desk.locator('#chat-status'))).toBe('Waiting');
    expect(await textOf(desk.locator('#chat-meta'))).toMatch(/via web chat · Topic: Hardware/);
    expect(await textOf(desk.locator('#history'))).toContain('I need to talk to an agent');
    expect(await desk.locator('#text').isDisabled()).toBe(true);
    expect(await group('queued').locator('.chat-item .unread').count()).toBe(0);
    await desk.getByRole('button', { name: 'Accept' }).click();
    await until(async () => expect(await textOf(desk.locator('#chat-status'))).toBe('Live'));
    await until(async () => expect(await desk.locator('#text').isEnabled()).toBe(true));
    await group('live').locator('.chat-item', { hasText: DESCRIPTION }).waitFor();
    expect(await textOf(group('queued'))).toContain('Nobody is waiting');
    await until(async () => expect(await desk.title()).toBe('Agent console'));

    // 6. The employee sees who joined, with her avatar; the waiting card loses Cancel.
    const joined = entry('Beth Jones joined the chat');
    await joined.waitFor();
    await until(async () =>
      expect(
        await joined
          .locator(`img[src="${BETH.avatarUrl}"]`)
          .first()
          .evaluate((img: HTMLImageElement) => img.naturalWidth),
      ).toBeGreaterThan(0),
    );
    await entry(DESCRIPTION).filter({ hasText: 'Connected to Beth Jones' }).waitFor();
    expect(await entry(DESCRIPTION).getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    await until(async () =>
      expect(await textOf(chat.locator('#hint'))).toBe('You are chatting with Beth Jones. Type "stop chat" to end the chat.'),
    );
    await shots.take('accepted', ['chat', 'console']);

    // 7. Messages both ways, each with its author's name; Enter sends.
    await desk.locator('#text').fill('Hi, I am Beth. Does it happen on battery too? 🙂');
    await desk.locator('#text').press('Enter');
    const fromBeth = entry('Does it happen on battery too?');
    await fromBeth.waitFor();
    expect(await textOf(fromBeth.locator('.who'))).toBe('Beth Jones');
    expect(await fromBeth.locator(`img.avatar[src="${BETH.avatarUrl}"]`).count()).toBe(1);
    expect(await fromBeth.getAttribute('class')).toContain('from-agent');
    await until(async () => expect(await desk.locator('#text').inputValue()).toBe('')); // sent: the box is empty again

    await chat.locator('#text').fill('Yes, on battery too. It started after https://intranet.example/kb/42');
    await chat.locator('#text').press('Enter');
    const fromEmployee = deskMessages.filter({ hasText: 'Yes, on battery too.' });
    await fromEmployee.waitFor();
    expect(await textOf(fromEmployee.locator('.name'))).toMatch(/^Guest /);
    expect(await fromEmployee.getByRole('link', { name: 'https://intranet.example/kb/42' }).count()).toBe(1);
    const bethAtDesk = deskMessages.filter({ hasText: 'Does it happen on battery' });
    await until(async () => expect(await textOf(bethAtDesk.locator('.name'))).toBe('Beth Jones'));
    expect(await bethAtDesk.locator(`img.avatar[src="${BETH.avatarUrl}"]`).count()).toBe(1);

    // 8. A file from the employee (paperclip): the agent sees the picture and its name.
    const photo = await desk.screenshot({ clip: { x: 0, y: 0, width: 320, height: 200 } });
    await chat.locator('#file-input').setInputFiles({ name: 'fan-noise.png', mimeType: 'image/png', buffer: photo });
    await chat.locator('#attachments').getByText('fan-noise.png').waitFor();
    await chat.locator('#text').fill('Here is a photo of the error');
    await chat.locator('#text').press('Enter');
    const sentPhoto = entry('Here is a photo of the error');
    await until(async () => expect(await sentPhoto.locator('img.thumb').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320));
    const photoAtDesk = deskMessages.filter({ hasText: 'Here is a photo of the error' });
    await photoAtDesk.locator('a', { hasText: 'fan-noise.png' }).waitFor(); // the name, and the picture, both open the file
    expect(await photoAtDesk.getByRole('link', { name: 'fan-noise.png', exact: true }).count()).toBe(2);
    await until(async () => expect(await photoAtDesk.locator('img.thumb').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320));
    // Both pages keep the latest message in view once the picture has its height.
    await until(async () => expect(await inView(sentPhoto)).toBe(true));
    await until(async () => expect(await inView(photoAtDesk)).toBe(true));

    // 9. A file from the agent (paperclip, with what she typed as its caption): a link for the employee.
    await desk.locator('#text').fill('Here is the cleaning guide');
    await desk.locator('#file').setInputFiles({ name: 'fan-guide.txt', mimeType: 'text/plain', buffer: Buffer.from(GUIDE) });
    const guide = entry('Here is the cleaning guide');
    const guideLink = guide.getByRole('link', { name: /fan-guide\.txt/ });
    await guideLink.waitFor();
    expect(await textOf(guide.locator('.who'))).toBe('Beth Jones');
    const href = await guideLink.evaluate((a: HTMLAnchorElement) => a.href);
    expect(await (await fetch(href)).text()).toBe(GUIDE);
    await deskMessages
      .filter({ hasText: 'Here is the cleaning guide' })
      .getByRole('link', { name: /fan-guide\.txt/ })
      .waitFor();
    await until(async () => expect(await desk.locator('#text').inputValue()).toBe('')); // sent: the box is empty again
    await until(async () => expect(await inView(guide)).toBe(true));
    await until(async () => expect(await inView(deskMessages.last())).toBe(true));
    await shots.take('files', ['chat', 'console']);

    // The employee scrolls back to read; a new message does not yank them down, a pill says so.
    await chat.locator('#scroller').hover();
    await chat.mouse.wheel(0, -5000);
    await until(async () => expect(await chat.locator('#scroller').evaluate((el) => el.scrollTop)).toBe(0));
    await desk.locator('#text').fill('Did the guide help?');
    await desk.locator('#text').press('Enter');
    const jump = chat.getByRole('button', { name: 'New messages ↓' });
    await jump.waitFor();
    expect(await inView(entry('Did the guide help?'))).toBe(false);
    await jump.click();
    await until(async () => expect(await inView(entry('Did the guide help?'))).toBe(true));
    await jump.waitFor({ state: 'hidden' });

    // 10. A second employee: Beth takes that chat too, goes back to the first one with the
    //     keyboard, and sees at a glance when the other one has something new from its user.
    const OTHER = 'VPN drops every ten minutes';
    await otherChat.goto(`${h.url}/chat`);
    await otherChat.locator('#conn[data-state="live"]').waitFor();
    await otherChat.locator('#text').fill(OTHER);
    await otherChat.locator('#text').press('Enter');
    await otherChat.getByRole('button', { name: 'Start agent chat' }).click();
    // Its words are the details; topics are required, so the form asks for the topic only.
    const topicForm = otherChat.locator('#messages > li').filter({ has: otherChat.locator('select') });
    await topicForm.locator('select').waitFor();
    expect(await topicForm.locator('textarea').count()).toBe(0);
    expect(await textOf(topicForm)).toMatch(/Which topic is this about/);
    await topicForm.locator('select').selectOption({ label: 'Access and accounts' });
    await topicForm.getByRole('button', { name: 'Start chat' }).click();
    await otherChat.getByRole('button', { name: 'Cancel' }).waitFor();
    const otherQueued = group('queued').locator('.chat-item', { hasText: OTHER });
    await otherQueued.locator('.unread').waitFor();
    await until(async () => expect(await desk.title()).toBe('(1 waiting) Agent console'));
    await otherQueued.click();
    await desk.getByRole('button', { name: 'Accept' }).click();
    await until(async () => expect(await textOf(desk.locator('#chat-status'))).toBe('Live'));
    await otherChat.locator('#messages > li', { hasText: 'Beth Jones joined the chat' }).waitFor();
    await desk.locator('#text').press('Alt+ArrowDown'); // Live lists newest first: the fan chat is next
    await until(async () => expect(await textOf(desk.locator('#chat-title'))).toBe(DESCRIPTION));
    await otherChat.locator('#text').fill('Are you still there?');
    await otherChat.locator('#text').press('Enter');
    const otherLive = group('live').locator('.chat-item', { hasText: OTHER });
    await until(async () => expect(await textOf(otherLive.locator('.unread'))).toBe('1 new'));
    expect(await textOf(otherLive.locator('.preview'))).toMatch(/: Are you still there\?$/);
    expect(await desk.title()).toBe('(1 new) Agent console');
    await shots.take('unread-other-chat', ['console', 'second-chat']);
    await otherLive.click();
    await deskMessages.filter({ hasText: 'Are you still there?' }).waitFor();
    expect(await otherLive.locator('.unread').count()).toBe(0);
    expect(await desk.title()).toBe('Agent console');
    await desk.locator('#text').fill('Yes, one moment please.');
    await desk.locator('#text').press('Enter');
    await otherChat.locator('#messages > li', { hasText: 'Yes, one moment please.' }).waitFor();
    await group('live').locator('.chat-item', { hasText: DESCRIPTION }).click();
    await until(async () => expect(await textOf(desk.locator('#chat-title'))).toBe(DESCRIPTION));

    // 11. A broadcast during the chat: shown to the employee without its buttons, with a note why;
    //     the agent never sees it.
    const summary = (await h.beth.chats()).find((c) => c.title === DESCRIPTION)!;
    const employeeId = (summary.user as { id: string }).id;
    const sent = await fetch(`${h.url}/api/broadcasts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BROADCAST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        recipients: [{ surface: 'web', user: employeeId }],
        message: {
          title: 'Planned maintenance',
          text: 'The VPN will be down on Saturday from 02:00 to 04:00.',
          imageUrl: BROADCAST_IMAGE,
          facts: [{ title: 'Systems', value: 'VPN, remote desktop' }],
          actions: [
            { title: 'Read more', url: 'https://intranet.example/maintenance' },
            { title: 'Got it', data: { ack: true } },
          ],
        },
      }),
    });
    expect(sent.status).toBe(202);
    const broadcastId = ((await sent.json()) as { id: string }).id;
    const broadcast = entry('Planned maintenance');
    await broadcast.waitFor();
    const broadcastText = await textOf(broadcast);
    expect(broadcastText).toContain('The VPN will be down on Saturday from 02:00 to 04:00.');
    expect(broadcastText).toContain('VPN, remote desktop');
    expect(broadcastText).toContain('Buttons are disabled while you are chatting with an agent. They come back when the chat ends.');
    expect(await broadcast.locator('.ac-pushButton, button, [role="button"], [role="link"]').count()).toBe(0);
    await until(async () =>
      expect(await broadcast.locator(`img[src="${BROADCAST_IMAGE}"]`).evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(600),
    );
    await until(async () => expect(await inView(broadcast)).toBe(true));
    await until(async () => expect((await broadcastReport(broadcastId)).recipients[0].outcome).toBe('delivered_buttons_disabled'));
    expect(await textOf(desk.locator('#messages'))).not.toMatch(/maintenance/i);
    await shots.take('broadcast-in-chat', ['chat', 'console']);

    // 12. stop chat while the agent is typing: both sides are told, "is typing" goes with the
    //     chat, the broadcast gets its buttons back, the console files the chat under Recent.
    await h.beth.typing(summary.id);
    await until(async () => expect(await textOf(chat.locator('#typing'))).toBe('Beth Jones is typing…'));
    await chat.locator('#text').fill('stop chat');
    await chat.locator('#text').press('Enter');
    await entry('You ended the chat with the agent').waitFor();
    expect(await textOf(chat.locator('#typing'))).toBe('');
    await broadcast.getByRole('button', { name: 'Got it' }).waitFor();
    await broadcast.getByRole('link', { name: 'Read more' }).waitFor(); // an Action.OpenUrl: a link drawn as a button
    expect(await textOf(broadcast)).not.toContain('Buttons are disabled');
    await until(async () => expect(await textOf(chat.locator('#hint'))).toBe(''));
    await until(async () => expect(await textOf(desk.locator('#chat-status'))).toMatch(/^Ended/));
    expect(await textOf(desk.locator('#chat-status'))).toContain('the user ended it');
    await group('ended').locator('.chat-item', { hasText: DESCRIPTION }).waitFor();
    expect(await group('live').locator('.chat-item', { hasText: DESCRIPTION }).count()).toBe(0);
    await group('live').locator('.chat-item', { hasText: OTHER }).waitFor(); // the other chat goes on
    expect(await desk.locator('#text').isVisible()).toBe(false); // nothing to write in any more
    expect(await textOf(desk.locator('#composer-note'))).toBe('This chat has ended.');
    await shots.take('stopped', ['chat', 'console']);

    // 13. The restored buttons work: an answer is recorded and shown in place.
    await broadcast.getByRole('button', { name: 'Got it' }).click();
    await broadcast.getByText('You answered: Got it').waitFor();
    await until(async () => expect(await inView(entries.last())).toBe(true));
    await until(async () => expect((await broadcastReport(broadcastId)).recipients[0].answer).toBe('Got it'));
    await shots.take('answered', ['chat']);

    expect(problems.list).toEqual([]);
    expect(shots.taken.length).toBeGreaterThanOrEqual(12);
  });

  async function broadcastReport(id: string): Promise<{ recipients: { outcome: string; answer?: string }[] }> {
    const res = await fetch(`${h.url}/api/broadcasts/${id}`, { headers: { authorization: `Bearer ${BROADCAST_TOKEN}` } });
    return (await res.json()) as { recipients: { outcome: string; answer?: string }[] };
  }
});
