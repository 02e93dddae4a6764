/**
 * The page at `/`: where a new user finds both roles. After `npm start`, one browser tab opens the
 * web chat as an employee and another the agent console, and they can chat with each other.
 */
import type express from 'express';

export interface LandingOptions {
  /** Whether the web chat is mounted at `/chat`. */
  chat?: boolean;
}

const style = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}
a{color:#0b5cad}li{margin:.5rem 0}code{background:#f3f3f3;padding:0 .25rem}.muted{color:#666}`;

function page(options: LandingOptions): string {
  const chat = options.chat
    ? `<li><a href="/chat" target="_blank" rel="noopener">Web chat</a>: talk to the bot as an employee; ask for an agent.</li>`
    : `<li class="muted">The web chat is turned off (web.enabled).</li>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Live Agent Bridge</title>
<style>${style}</style></head>
<body><h1>Live Agent Bridge</h1>
<p>Brokers chats between employees in Microsoft Teams, Slack or the web chat and live agents.</p>
<p class="muted">Try both roles: open the web chat in one tab and the agent console in another.</p>
<ul>
${chat}
<li><a href="/console" target="_blank" rel="noopener">Agent console</a>: sign in with the agent token printed at start-up.</li>
<li>Employees reach the bot through Teams (Bot Framework endpoint <code>/api/messages</code>).</li>
<li><a href="/healthz">Health</a> · <a href="/readyz">Readiness</a></li>
</ul></body></html>`;
}

export function mountLanding(app: express.Express, options: LandingOptions = {}): void {
  const html = page(options);
  // Browsers ask for it on every page; answering 204 keeps their consoles free of 404 noise.
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  app.get('/', (_req, res) => {
    res.type('html').send(html);
  });
}
