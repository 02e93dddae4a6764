/** The page at `/`: where a new user finds the agent console (and, later, the web chat). */
import type express from 'express';

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Live Agent Bridge</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}
a{color:#0b5cad}li{margin:.5rem 0}code{background:#f3f3f3;padding:0 .25rem}</style></head>
<body><h1>Live Agent Bridge</h1>
<p>Brokers chats between employees in Microsoft Teams or Slack and live agents.</p>
<ul>
<li><a href="/console">Agent console</a>: sign in with the agent token printed at start-up.</li>
<li>Employees reach the bot through Teams (Bot Framework endpoint <code>/api/messages</code>).</li>
<li><a href="/healthz">Health</a> · <a href="/readyz">Readiness</a></li>
</ul></body></html>`;

export function mountLanding(app: express.Express): void {
  app.get('/', (_req, res) => {
    res.type('html').send(page);
  });
}
