/**
 * Real-browser tests: Debian's Chromium (`apt-get install -y chromium`) driven by playwright-core.
 * No browser is ever downloaded. Pages are watched for script errors, console errors and CSP
 * violations, and screenshots go under test/artifacts/browser/ (ignored by git) for people to
 * look at.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { eventually } from './eventually';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
export const ARTIFACTS_DIR = path.join(__dirname, '..', 'artifacts', 'browser');

/**
 * `describe` for tests that need Chromium. Under `CI=true` they always run (a missing browser must
 * fail the build, not skip silently); locally they are skipped, loudly, when it is not installed.
 */
export function describeWithChromium(name: string, fn: () => void): void {
  if (process.env.CI === 'true' || existsSync(CHROMIUM_PATH)) {
    describe(name, fn);
    return;
  }
  // eslint-disable-next-line no-console
  console.warn(
    `SKIPPED "${name}": no Chromium at ${CHROMIUM_PATH}. Install it with \`sudo apt-get update && sudo apt-get install -y chromium\` ` +
      '(or set CHROMIUM_PATH). CI=true never skips.',
  );
  describe.skip(name, fn);
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: install it with \`apt-get update && apt-get install -y chromium\` (or set CHROMIUM_PATH).`,
    );
  }
  // Each launch gets a fresh temporary profile from playwright, removed on close.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

/** Everything that went wrong in the watched pages: script errors, console errors, CSP violations. */
export class PageProblems {
  readonly list: string[] = [];

  /** Watch a page of `context`; call before the page navigates anywhere. */
  async watch(page: Page, label: string): Promise<void> {
    page.on('pageerror', (e) => this.list.push(`${label}: uncaught ${e.name}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') this.list.push(`${label}: console.${m.type()}: ${m.text()}`);
    });
    page.on('crash', () => this.list.push(`${label}: the page crashed`));
    // A CSP violation is reported to the page as an event; hand each one to the test.
    await page.exposeFunction('__reportCspViolation', (text: string) => this.list.push(`${label}: CSP violation: ${text}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { __reportCspViolation(t: string): void }).__reportCspViolation(
          `${e.effectiveDirective} refused ${e.blockedURI || '(inline)'} at ${e.sourceFile || '?'}:${e.lineNumber}`,
        );
      });
    });
  }
}

/** Numbered screenshots of several pages, e.g. `03-queued-chat.png` and `03-queued-console.png`. */
export class Screenshots {
  private step = 0;
  readonly taken: string[] = [];

  constructor(
    readonly dir: string,
    private readonly pages: Record<string, Page>,
  ) {
    // Only this folder's own screenshots go: another test file keeps its own in a subfolder.
    mkdirSync(dir, { recursive: true });
    for (const file of readdirSync(dir)) if (file.endsWith('.png')) rmSync(path.join(dir, file), { force: true });
  }

  /** One screenshot of every page (or of `only`), named after this step. */
  async take(name: string, only?: string[]): Promise<void> {
    this.step++;
    const prefix = String(this.step).padStart(2, '0');
    for (const [label, page] of Object.entries(this.pages)) {
      if (only && !only.includes(label)) continue;
      const file = path.join(this.dir, `${prefix}-${name}-${label}.png`);
      await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
      this.taken.push(file);
    }
  }
}

/**
 * Poll until `check` passes (its last failure is thrown at the deadline): an `expect` that waits,
 * for what a person would see appear on a page.
 */
export function until<T>(check: () => Promise<T> | T, timeoutMs = 20_000): Promise<T> {
  return eventually(check, timeoutMs, 50);
}

/** The visible text of a locator, whitespace collapsed (what a person reads). */
export async function textOf(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText, the rendered text a person reads
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

/**
 * Whether the element is fully inside its scrolling pane (`.scroller`), i.e. a person sees it
 * without scrolling. Pictures that load late must not push the latest message out of view.
 */
export async function inView(locator: Locator): Promise<boolean> {
  return locator.evaluate((node: Element) => {
    const box = node.getBoundingClientRect();
    const pane = (node.closest('.scroller') ?? document.documentElement).getBoundingClientRect();
    return box.height > 0 && box.top >= pane.top - 1 && box.bottom <= pane.bottom + 1;
  });
}

/** An SVG avatar with initials, served for the agents' (unreachable) https avatar URLs. */
export function avatarSvg(initials: string, color: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">` +
    `<circle cx="32" cy="32" r="32" fill="${color}"/>` +
    `<text x="32" y="41" font-family="sans-serif" font-size="26" font-weight="700" fill="#fff" text-anchor="middle">${initials}</text></svg>`
  );
}

/** Serve fixed bodies for https URLs the sandbox cannot reach (avatars, a broadcast's image). */
export async function serveExternal(
  context: BrowserContext,
  bodies: Record<string, { contentType: string; body: string | Buffer }>,
): Promise<void> {
  await context.route(
    (url) => url.protocol === 'https:',
    async (route) => {
      const found = bodies[route.request().url()];
      if (found)
        await route.fulfill({
          status: 200,
          contentType: found.contentType,
          body: found.body,
          headers: { 'cache-control': 'max-age=3600' },
        });
      else await route.fulfill({ status: 404, body: '' });
    },
  );
}
