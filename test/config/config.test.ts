import { loadConfig, parseConfig } from '../../config/load';
import { isBridgeError } from '../../bots/core/errors';

const files = (map: Record<string, string>) => (path: string) => {
  if (!(path in map)) throw new Error(`ENOENT: no such file ${path}`);
  return map[path];
};

describe('loadConfig', () => {
  it('runs on embedded defaults with an empty environment', () => {
    const config = loadConfig({ env: {} });
    expect(config.server).toMatchObject({ port: 3978, host: '127.0.0.1' });
    expect(config.store.redisUrl).toBeUndefined();
    expect(config.desk).toBe('console');
    expect(config.bot.queueTimeoutSeconds).toBe(120);
    expect(config.bot.history).toEqual({ maxMessages: 6, stripLinks: false, dropUserMessages: false, maxTextBytes: 10_240 });
    expect(config.bot.stopPhrases).toEqual(['stop chat']);
    expect(config.teams.MicrosoftAppId).toBe('');
  });

  it('reads a YAML file named by BRIDGE_CONFIG, and the environment wins over it', () => {
    const yaml = [
      'server: { port: 4000 }',
      'bot:',
      '  queueTimeoutSeconds: 300',
      '  topics: [{ id: billing, label: Billing }]',
      '  offer: { policy: hours, hours: { timeZone: America/Los_Angeles, weekly: { mon: [{ start: "08:00", end: "17:00" }] } } }',
      'console:',
      '  agents: [{ name: Beth, token: beth-token-0123456789 }]',
    ].join('\n');
    const config = loadConfig({ env: { BRIDGE_CONFIG: '/etc/bridge.yaml', PORT: '5000' }, readFile: files({ '/etc/bridge.yaml': yaml }) });
    expect(config.server.port).toBe(5000);
    expect(config.bot.queueTimeoutSeconds).toBe(300);
    expect(config.bot.topics).toEqual([{ id: 'billing', label: 'Billing' }]);
    expect(config.bot.offer.policy).toBe('hours');
    expect(config.bot.offer.hours.weekly.mon).toEqual([{ start: '08:00', end: '17:00' }]);
    expect(config.bot.offer.hours.weekly.tue).toEqual([]);
    expect(config.console.agents[0].name).toBe('Beth');
  });

  it('reads JSON files too', () => {
    const config = loadConfig({
      env: { BRIDGE_CONFIG: 'c.json' },
      readFile: files({ 'c.json': JSON.stringify({ bot: { stopPhrases: ['end chat', 'stop chat'] } }) }),
    });
    expect(config.bot.stopPhrases).toEqual(['end chat', 'stop chat']);
  });

  it('reads the outbound-fetch switches from the environment as booleans, "false" staying false', () => {
    expect(loadConfig({ env: {} }).server.outboundFetch).toEqual({ allowPrivateNetworks: false, allowHttp: false });
    const on = loadConfig({ env: { OUTBOUND_FETCH_ALLOW_PRIVATE_NETWORKS: 'true', OUTBOUND_FETCH_ALLOW_HTTP: '1' } });
    expect(on.server.outboundFetch).toEqual({ allowPrivateNetworks: true, allowHttp: true });
    const off = loadConfig({ env: { OUTBOUND_FETCH_ALLOW_PRIVATE_NETWORKS: 'false', OUTBOUND_FETCH_ALLOW_HTTP: 'no' } });
    expect(off.server.outboundFetch).toEqual({ allowPrivateNetworks: false, allowHttp: false });
    expect(() => loadConfig({ env: { OUTBOUND_FETCH_ALLOW_HTTP: 'maybe' } })).toThrow(
      /server\.outboundFetch\.allowHttp \(from environment variable OUTBOUND_FETCH_ALLOW_HTTP\): true or false/,
    );
  });

  it('maps Microsoft-named and other environment variables', () => {
    const config = loadConfig({
      env: {
        MicrosoftAppId: '00000000-0000-0000-0000-000000000001',
        MicrosoftAppPassword: 'secret',
        MicrosoftAppType: 'SingleTenant',
        MicrosoftAppTenantId: 'tenant',
        REDIS_URL: 'redis://127.0.0.1:6379',
        LOG_LEVEL: 'warn',
      },
    });
    expect(config.teams).toMatchObject({ MicrosoftAppId: '00000000-0000-0000-0000-000000000001', MicrosoftAppType: 'SingleTenant' });
    expect(config.store.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.server.logLevel).toBe('warn');
  });

  it('lists every wrong key in one message, saying where each came from and what is expected', () => {
    const yaml = [
      'bot:',
      '  queueTimeoutSeconds: soon',
      '  offer: { policy: sometimes }',
      'console:',
      '  agents: [{ name: Beth, token: short }]',
    ].join('\n');
    let error: unknown;
    try {
      loadConfig({ env: { BRIDGE_CONFIG: 'b.yaml', PORT: 'eighty', REDIS_URL: 'http://x' }, readFile: files({ 'b.yaml': yaml }) });
    } catch (e) {
      error = e;
    }
    expect(isBridgeError(error, 'config_invalid')).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/^Invalid configuration:/);
    expect(message).toMatch(/server\.port \(from environment variable PORT\)/);
    expect(message).toMatch(/store\.redisUrl \(from environment variable REDIS_URL\): a redis:\/\/ or rediss:\/\/ URL/);
    expect(message).toMatch(/bot\.queueTimeoutSeconds \(from b\.yaml\)/);
    expect(message).toMatch(/bot\.offer\.policy \(from b\.yaml\)/);
    expect(message).toMatch(/console\.agents\.0\.token \(from b\.yaml\): at least 16 characters/);
    expect(message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(5);
  });

  it('explains a missing or malformed file', () => {
    expect(() => loadConfig({ env: { BRIDGE_CONFIG: 'missing.yaml' }, readFile: files({}) })).toThrow(/cannot read missing\.yaml/);
    expect(() => loadConfig({ env: { BRIDGE_CONFIG: 'bad.json' }, readFile: files({ 'bad.json': '{ nope' }) })).toThrow(
      /bad\.json is not valid JSON/,
    );
    expect(() => loadConfig({ env: { BRIDGE_CONFIG: 'list.yaml' }, readFile: files({ 'list.yaml': '- a\n- b' }) })).toThrow(
      /must hold an object/,
    );
  });

  it('rejects time zones and hours that make no sense', () => {
    expect(() => parseConfig({ bot: { offer: { hours: { timeZone: 'Mars/Olympus' } } } })).toThrow(/IANA time zone/);
    expect(() => parseConfig({ bot: { offer: { hours: { weekly: { mon: [{ start: '17:00', end: '08:00' }] } } } } })).toThrow(
      /start must be before end/,
    );
    expect(() => parseConfig({ bot: { offer: { hours: { weekly: { mon: [{ start: '8am', end: '17:00' }] } } } } })).toThrow(/HH:MM/);
  });

  it('accepts only https:// agent avatars, saying why (Teams and the web chat show no others)', () => {
    const agent = (avatarUrl: string) => ({ console: { agents: [{ name: 'Beth', token: 'beth-token-0123456789', avatarUrl }] } });
    for (const bad of [
      'http://cdn.example.com/beth.png',
      'beth.png',
      '//cdn.example.com/beth.png',
      'data:image/png;base64,AAAA',
      'ftp://cdn.example.com/beth.png',
    ]) {
      expect(() => parseConfig(agent(bad))).toThrow(
        /console\.agents\.0\.avatarUrl.*must be an https:\/\/ URL: Teams and the web chat show only https images/,
      );
    }
    expect(parseConfig(agent('https://cdn.example.com/beth.png')).console.agents[0].avatarUrl).toBe('https://cdn.example.com/beth.png');
    expect(
      parseConfig({ console: { agents: [{ name: 'Beth', token: 'beth-token-0123456789' }] } }).console.agents[0].avatarUrl,
    ).toBeUndefined();
  });

  it('requires the tenant for single-tenant bots and a password with an app id', () => {
    expect(() => parseConfig({ teams: { MicrosoftAppId: 'x', MicrosoftAppPassword: 'p', MicrosoftAppType: 'SingleTenant' } })).toThrow(
      /MicrosoftAppTenantId.*required when MicrosoftAppType is SingleTenant/,
    );
    expect(() => parseConfig({ teams: { MicrosoftAppId: 'x' } })).toThrow(/MicrosoftAppPassword.*required/);
  });
});

describe('no process.env outside config/', () => {
  it('is read only in config/', () => {
    const { execSync } = require('node:child_process') as typeof import('node:child_process');
    const out = execSync('grep -rn "process\\.env" --include=*.ts bots adapters cards manifest || true', { encoding: 'utf8' });
    // Comments may name it (to explain why it is not read); code may not.
    const code = out.split('\n').filter((line) => line && !/^[^:]+:\d+:\s*(\*|\/\/)/.test(line));
    expect(code).toEqual([]);
  });
});
