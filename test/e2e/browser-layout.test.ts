/**
 * Both pages at the widths people use them: a phone (390 px), a small window (900 px), laptops
 * (1280 and 1440 px) and a wide screen (1920 px). One live chat with a long title is set up once
 * through the UI, then each width is checked by measuring what a person would see: nothing runs
 * off the side, the headers are one line, the chat's title is whole where it fits, the "Private
 * note" label stays on one line. Screenshots of each width go to test/artifacts/browser/layout/.
 *
 * Needs Chromium at /usr/bin/chromium, like browser.test.ts.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startBridgeHarness, type BridgeHarness } from '../helpers/bridge-harness';
import { ARTIFACTS_DIR, describeWithChromium, launchChromium, PageProblems, Screenshots, textOf, until } from '../helpers/browser';

const BETH = { name: 'Beth Jones', token: 'layout-beth-token-0123456789' };
// Longer than the 120 characters the core keeps as the request's title (it cuts at 117 + "...").
const FIRST_LINE =
  'After the Windows update last night my laptop fan runs at full speed all the time, even when idle, and the battery lasts two hours';
const DESCRIPTION = `${FIRST_LINE}\nIt is a ThinkPad T14 from 2023.`;

/** Widths people use, with the title that must show whole there (undefined: may be cut with "…"). */
const WIDTHS: { name: string; width: number; height: number; titleFits: boolean }[] = [
  { name: 'phone', width: 390, height: 844, titleFits: false },
  { name: 'small-window', width: 900, height: 800, titleFits: false },
  { name: 'laptop', width: 1280, height: 800, titleFits: true },
  { name: 'laptop-large', width: 1440, height: 900, titleFits: true },
  { name: 'wide', width: 1920, height: 1080, titleFits: true },
];

jest.setTimeout(240_000);

/** What was measured in a page: each entry names the element and what is wrong with it. */
interface LayoutReport {
  pageOverflow: number; // document.scrollWidth - innerWidth
  overflowing: string[]; // elements whose content runs past their own box, sideways
  wrapped: string[]; // elements that must be one line but take more
  offscreen: string[]; // visible elements whose box goes past the window's right edge
  unreachable: string[]; // controls that must be on screen without scrolling the page, and are not
}

/**
 * Measure the page: `oneLine` selectors must hold their text on a single line, `noOverflow`
 * selectors must not scroll sideways, `onScreen` ones must be inside the window; no visible
 * element may go past the right edge.
 */
async function measure(page: Page, oneLine: string[], noOverflow: string[], onScreen: string[]): Promise<LayoutReport> {
  return page.evaluate(
    ({ oneLine, noOverflow, onScreen }) => {
      const visible = (el: Element) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
      };
      /** Lines of text the element takes: its text's boxes, grouped where they overlap vertically. */
      const lines = (el: Element) => {
        const boxes: DOMRect[] = [];
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const range = document.createRange();
          range.selectNodeContents(node);
          boxes.push(...Array.from(range.getClientRects()));
        }
        const rows: { top: number; bottom: number }[] = [];
        for (const r of boxes) {
          if (r.width === 0 || r.height === 0) continue;
          const row = rows.find((l) => r.top < l.bottom - 2 && r.bottom > l.top + 2);
          if (row) Object.assign(row, { top: Math.min(row.top, r.top), bottom: Math.max(row.bottom, r.bottom) });
          else rows.push({ top: r.top, bottom: r.bottom });
        }
        return rows.length;
      };
      const wrapped: string[] = [];
      for (const sel of oneLine) {
        const found = Array.from(document.querySelectorAll(sel)).filter(visible);
        if (found.length === 0) wrapped.push(`${sel}: not on the page`);
        for (const el of found)
          if (lines(el) > 1) wrapped.push(`${sel}: ${lines(el)} lines ("${(el.textContent ?? '').trim().slice(0, 40)}")`);
      }
      const overflowing: string[] = [];
      for (const sel of noOverflow) {
        for (const el of Array.from(document.querySelectorAll(sel)).filter(visible)) {
          if (el.scrollWidth > el.clientWidth + 1) overflowing.push(`${sel}: ${el.scrollWidth} px of content in ${el.clientWidth} px`);
        }
      }
      const offscreen: string[] = [];
      for (const el of Array.from(document.querySelectorAll('body *')).filter(visible)) {
        const box = el.getBoundingClientRect();
        // Inside a pane that scrolls or clips sideways it is not off the window.
        let clipped = false;
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
          if (getComputedStyle(p).overflowX !== 'visible') clipped = true;
        }
        if (!clipped && box.right > innerWidth + 1)
          offscreen.push(
            `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className}: right edge at ${Math.round(box.right)} px`,
          );
      }
      const unreachable: string[] = [];
      for (const sel of onScreen) {
        const el = document.querySelector(sel);
        const box = el?.getBoundingClientRect();
        if (!el || !box || !visible(el)) unreachable.push(`${sel}: not shown`);
        else if (box.top < 0 || box.left < 0 || box.bottom > innerHeight + 1 || box.right > innerWidth + 1) {
          unreachable.push(
            `${sel}: at ${Math.round(box.left)},${Math.round(box.top)} to ${Math.round(box.right)},${Math.round(box.bottom)} in ${innerWidth}×${innerHeight}`,
          );
        }
      }
      return { pageOverflow: document.documentElement.scrollWidth - innerWidth, overflowing, wrapped, offscreen, unreachable };
    },
    { oneLine, noOverflow, onScreen },
  );
}

describeWithChromium('both pages at the widths people use: phone, small window, laptop, wide', () => {
  let h: BridgeHarness;
  let browser: Browser;
  let chat: Page;
  let desk: Page;
  const problems = new PageProblems();

  beforeAll(async () => {
    h = await startBridgeHarness({ config: { console: { agents: [BETH] } } });
    browser = await launchChromium();
    chat = await (await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' })).newPage();
    desk = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })).newPage();
    for (const page of [chat, desk]) page.setDefaultTimeout(20_000);
    await problems.watch(chat, 'chat page');
    await problems.watch(desk, 'console page');

    // One live chat with a long first line, set up through the pages as people would.
    await chat.goto(`${h.url}/chat`);
    await chat.locator('#conn[data-state="live"]').waitFor();
    await desk.goto(`${h.url}/console`);
    await desk.locator('#token').fill(BETH.token);
    await desk.getByRole('button', { name: 'Sign in' }).click();
    await desk.locator('#conn[data-state="live"]').waitFor();
    await chat.locator('#text').fill(DESCRIPTION);
    await chat.getByRole('button', { name: 'Send' }).click();
    await chat.getByRole('button', { name: 'Start agent chat' }).click();
    await chat.getByRole('button', { name: 'Cancel' }).waitFor(); // its words are the details: queued at once
    await desk.locator('.group[data-group="queued"] .chat-item').first().click();
    await desk.getByRole('button', { name: 'Accept' }).click();
    await until(async () => expect(await textOf(desk.locator('#chat-status'))).toBe('Live'));
    await chat.locator('#messages > li', { hasText: 'Beth Jones joined the chat' }).waitFor();
    await desk.locator('#text').fill('Hi, I am Beth. Does it happen on battery too?');
    await desk.locator('#text').press('Enter');
    await chat.locator('#messages > li', { hasText: 'Does it happen on battery too?' }).waitFor();
  });

  afterAll(async () => {
    // eslint-disable-next-line no-console
    if (problems.list.length) console.warn(`Problems seen in the pages:\n${problems.list.join('\n')}`);
    await browser?.close();
    await h?.close();
  });

  it("the console shows the whole first line of the request as its title, not the core's 117-character cut", async () => {
    expect(await textOf(desk.locator('#chat-title'))).toBe(FIRST_LINE);
    expect(await desk.locator('#chat-title').getAttribute('title')).toBe(FIRST_LINE);
    // The list keeps the short title: it is one line with an ellipsis anyway.
    expect(await textOf(desk.locator('.chat-item .title').first())).toMatch(/\.\.\.$/);
  });

  const shots = () => new Screenshots(path.join(ARTIFACTS_DIR, 'layout'), { chat, console: desk });
  let screenshots: Screenshots | undefined;

  for (const size of WIDTHS) {
    it(`fits a ${size.name} (${size.width}×${size.height})`, async () => {
      screenshots ??= shots();
      await chat.setViewportSize({ width: size.width, height: size.height });
      await desk.setViewportSize({ width: size.width, height: size.height });
      await screenshots.take(`${size.width}-${size.name}`);

      const deskLayout = await measure(
        desk,
        ['.topbar .brand', '.topbar .conn', '.topbar .me', '#sign-out', '#chat-status', '#end', 'label.check'],
        ['.topbar', '.chat-head', '.composer-row', 'label.check', '.chat-actions'],
        ['.topbar', '#chat-title', '#end', '#text', '#private', '#send', '.group[data-group="live"] .chat-item'],
      );
      expect(deskLayout).toEqual({ pageOverflow: 0, overflowing: [], wrapped: [], offscreen: [], unreachable: [] });

      const chatLayout = await measure(
        chat,
        ['.topbar .title', '.topbar .me', '.topbar .conn'],
        ['.topbar', '.composer-row'],
        ['.topbar', '#messages > li:last-child', '#hint', '#text', '#send'],
      );
      expect(chatLayout).toEqual({ pageOverflow: 0, overflowing: [], wrapped: [], offscreen: [], unreachable: [] });

      // The web chat's message box is as tall as its text (here its placeholder) at this width.
      const box = await chat.locator('#text').evaluate((t: HTMLTextAreaElement) => ({ height: t.clientHeight, content: t.scrollHeight }));
      expect(box.height).toBeGreaterThanOrEqual(Math.min(box.content, 160) - 3); // its 2 px border aside
      if (size.width >= 1280) expect(box.height).toBeLessThan(48); // one line of it: the placeholder fits

      // Each header is one line high: no taller than its tallest item and its padding.
      for (const page of [desk, chat]) {
        const header = await page.locator('.topbar').evaluate((bar: HTMLElement) => {
          const style = getComputedStyle(bar);
          const chrome =
            parseFloat(style.paddingTop) +
            parseFloat(style.paddingBottom) +
            parseFloat(style.borderTopWidth) +
            parseFloat(style.borderBottomWidth);
          const tallest = Math.max(...Array.from(bar.children).map((c) => c.getBoundingClientRect().height));
          return { height: Math.round(bar.getBoundingClientRect().height), oneLine: Math.round(tallest + chrome) };
        });
        expect(header.height).toBe(header.oneLine);
      }

      // The title is whole wherever there is room for it; where it is cut, an ellipsis and the
      // full text on hover say so (and the Details below show all of it).
      const title = await desk.locator('#chat-title').evaluate((el: HTMLElement) => ({
        cutSideways: el.scrollWidth > el.clientWidth + 1,
        cutBelow: el.scrollHeight > el.clientHeight + 1,
        text: el.textContent,
      }));
      expect(title.text).toBe(FIRST_LINE);
      expect(title.cutSideways).toBe(false);
      if (size.titleFits) expect(title.cutBelow).toBe(false);
      expect(await textOf(desk.locator('#chat-details'))).toBe(DESCRIPTION.replace(/\s+/g, ' '));
    });
  }

  it('raised no script error, console error or CSP violation', () => {
    expect(problems.list).toEqual([]);
  });
});
