/** The desks part of the config: the list, the DESK shortcut, routing rules and their errors. */
import { loadConfig, parseConfig } from '../../config/load';
import { envMapping } from '../../config/env';
import { deskRegistry } from '../../adapters/desks/registry';

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};
const errorLines = (message: string) => message.split('\n').filter((l) => l.startsWith('  - '));

const servicenow = {
  instanceUrl: 'https://acme.service-now.com',
  auth: { username: 'bridge', password: 'p4ss' },
  webhook: { auth: { secret: 'a-webhook-secret-of-some-length' } },
};
const topics = [
  { id: 'vpn', label: 'VPN' },
  { id: 'benefits', label: 'Benefits' },
  { id: 'payroll', label: 'Payroll' },
];
const yaml = (text: string) => ({ env: { BRIDGE_CONFIG: '/etc/b.yaml' }, readFile: () => text });

describe('desks config', () => {
  it('with nothing configured: one console desk, no rules', () => {
    const config = loadConfig({ env: {} });
    expect(config.desk).toBe('console');
    expect(config.desks).toEqual([{ id: 'console', system: 'console', settings: config.console }]);
    expect(config.routing).toEqual([]);
  });

  it('DESK=<system> with its variables is the one-desk shortcut, the desk id being the system', () => {
    const config = loadConfig({
      env: {
        DESK: 'servicenow',
        SERVICENOW_INSTANCE_URL: 'https://acme.service-now.com',
        SERVICENOW_USERNAME: 'u',
        SERVICENOW_PASSWORD: 'p',
        SERVICENOW_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length',
      },
    });
    expect(config.desks).toHaveLength(1);
    expect(config.desks[0]).toMatchObject({
      id: 'servicenow',
      system: 'servicenow',
      settings: { instanceUrl: 'https://acme.service-now.com' },
    });
    expect(config.desks[0].settings).toBe(config.servicenow);
  });

  it('each desk variable comes from its descriptor and lands in its section', () => {
    for (const d of deskRegistry) {
      for (const [name, path] of Object.entries(d.env)) expect(envMapping[name]).toEqual([d.name, ...path]);
    }
    expect(envMapping.SERVICENOW_WEBHOOK_SECRET).toEqual(['servicenow', 'webhook', 'auth', 'secret']);
  });

  it('reads the list shape from the file: each desk its own keys, the first the default', () => {
    const config = loadConfig(
      yaml(
        [
          'bot: { topics: [{ id: benefits, label: Benefits }, { id: payroll, label: Payroll }] }',
          'desks:',
          `  - { id: it, system: servicenow, instanceUrl: "${servicenow.instanceUrl}", auth: { username: b, password: p }, webhook: { auth: { secret: ${servicenow.webhook.auth.secret} } } }`,
          '  - { id: hr, system: console, agents: [{ name: Beth, token: beth-token-0123456789 }] }',
          'routing:',
          '  - { when: { topic: [benefits, payroll] }, desk: hr }',
          '  - { desk: it, fallback: [hr] }',
        ].join('\n'),
      ),
    );
    expect(config.desk).toBe('servicenow');
    expect(config.desks.map((d) => [d.id, d.system])).toEqual([
      ['it', 'servicenow'],
      ['hr', 'console'],
    ]);
    expect(config.desks[0].settings).toMatchObject({ instanceUrl: servicenow.instanceUrl, webhook: { path: '/servicenow/webhook' } });
    expect(config.desks[1].settings).toMatchObject({ agents: [{ name: 'Beth' }], recentChatsHours: 24 });
    expect(config.routing).toEqual([
      { when: { topic: ['benefits', 'payroll'] }, desk: 'hr', fallback: [] },
      { desk: 'it', fallback: ['hr'] },
    ]);
  });

  it('a listed desk takes its system section and variables as defaults, its own keys winning', () => {
    const config = loadConfig({
      env: { BRIDGE_CONFIG: 'b.json', SERVICENOW_PASSWORD: 'from-env', SERVICENOW_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length' },
      readFile: () =>
        JSON.stringify({
          servicenow: { instanceUrl: 'https://shared.service-now.com', auth: { username: 'shared' } },
          desks: [
            { id: 'it', system: 'servicenow', auth: { username: 'it-user' } },
            { id: 'emea', system: 'servicenow', instanceUrl: 'https://emea.service-now.com', webhook: { path: '/servicenow/emea' } },
          ],
        }),
    });
    expect(config.desks[0].settings).toMatchObject({
      instanceUrl: 'https://shared.service-now.com',
      auth: { username: 'it-user', password: 'from-env' },
    });
    expect(config.desks[1].settings).toMatchObject({
      instanceUrl: 'https://emea.service-now.com',
      auth: { username: 'shared', password: 'from-env' },
      webhook: { path: '/servicenow/emea', auth: { secret: 'a-webhook-secret-of-some-length' } },
    });
  });

  it('validates every listed desk against its own schema, one message for all wrong keys', () => {
    const message = errorOf(() =>
      parseConfig({
        desks: [
          { id: 'it', system: 'servicenow', instanceUrl: 'not a url' },
          { id: 'hr', system: 'console', agents: [{ name: 'Beth', token: 'short' }] },
          { id: 'x', system: 'zendesk' },
          { id: 'hr', system: 'console' },
        ],
      }),
    );
    expect(message).toMatch(/desks\.0\.instanceUrl \(from config\): Invalid url/);
    expect(message).toMatch(/desks\.0\.auth\.username .*SERVICENOW_USERNAME/);
    expect(message).toMatch(/desks\.0\.webhook\.auth\.secret .*SERVICENOW_WEBHOOK_SECRET/);
    expect(message).toMatch(/desks\.1\.agents\.0\.token \(from config\): at least 16 characters/);
    expect(message).toMatch(/desks\.2\.system \(from config\): one of console, servicenow/);
    expect(message).toMatch(/desks\.3\.id \(from config\): "hr" is used by another desk/);
  });

  it('says which variable a listed desk’s wrong key came from', () => {
    const message = errorOf(() =>
      loadConfig({
        env: { BRIDGE_CONFIG: 'b.json', SERVICENOW_INSTANCE_URL: 'nope', SERVICENOW_WEBHOOK_SECRET: 'short' },
        readFile: () =>
          JSON.stringify({
            desks: [{ id: 'it', system: 'servicenow', auth: { mode: 'none' }, messageAuth: { mode: 'token', secret: 's' } }],
          }),
      }),
    );
    expect(message).toMatch(/desks\.0\.instanceUrl \(from environment variable SERVICENOW_INSTANCE_URL\)/);
    expect(message).toMatch(/desks\.0\.webhook\.auth\.secret \(from environment variable SERVICENOW_WEBHOOK_SECRET\): at least 16/);
  });

  it('routing errors name the rule and the key', () => {
    const message = errorOf(() =>
      parseConfig({
        bot: { topics },
        desks: [
          { id: 'it', system: 'servicenow', ...servicenow },
          { id: 'console', system: 'console' },
        ],
        routing: [
          { when: { topic: ['vpn'] }, desk: 'it' },
          { when: { topic: ['benfits'] }, desk: 'hr', fallback: ['console', 'helpdesk', 'hr'] },
          { when: { surface: ['fax'], attributes: { region: [] } }, desk: 'console' },
          { when: { weekday: ['mon'] }, desk: 'it' },
          { desk: 'it', fallback: ['it'] },
        ],
      }),
    );
    const lines = errorLines(message);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}- routing\.1\.desk \(from config\): no desk with id "hr" \(desks: it, console\)$/),
        expect.stringMatching(/^ {2}- routing\.1\.fallback\.1 \(from config\): no desk with id "helpdesk"/),
        expect.stringMatching(/^ {2}- routing\.1\.fallback\.2 \(from config\): no desk with id "hr"/),
        expect.stringMatching(/^ {2}- routing\.1\.when\.topic\.0 \(from config\): no topic with id "benfits" in bot\.topics$/),
        expect.stringMatching(/^ {2}- routing\.2\.when\.surface\.0 \(from config\): .*'teams' \| 'slack' \| 'web'/),
        expect.stringMatching(/^ {2}- routing\.2\.when\.attributes\.region \(from config\): at least one value$/),
        expect.stringMatching(/^ {2}- routing\.3\.when \(from config\): Unrecognized key\(s\) in object: 'weekday'$/),
        expect.stringMatching(/^ {2}- routing\.4\.fallback\.0 \(from config\): "it" is the rule's own desk$/),
      ]),
    );
    expect(lines).toHaveLength(8);
  });

  it('lists desk and rule errors with every other wrong key, in one message', () => {
    const lines = errorLines(
      errorOf(() =>
        parseConfig({ server: { port: 'eighty' }, desks: [{ id: 'it', system: 'servicenow' }], routing: [{ desk: 'hr', when: 'x' }] }),
      ),
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}- server\.port /),
        expect.stringMatching(/^ {2}- desks\.0\.instanceUrl .*SERVICENOW_INSTANCE_URL/),
        expect.stringMatching(/^ {2}- routing\.0\.when /),
        expect.stringMatching(/^ {2}- routing\.0\.desk \(from config\): no desk with id "hr"/),
      ]),
    );
  });

  it('rules work with the shortcut too, naming its desk by the system', () => {
    expect(parseConfig({ routing: [{ desk: 'console' }] }).routing).toEqual([{ desk: 'console', fallback: [] }]);
    expect(errorOf(() => parseConfig({ routing: [{ desk: 'it' }] }))).toMatch(
      /routing\.0\.desk \(from config\): no desk with id "it" \(desks: console\)/,
    );
  });

  it('refuses a desk the registry does not know, and the shortcut beside a list', () => {
    expect(errorOf(() => loadConfig({ env: { DESK: 'zendesk' } }))).toMatch(
      /desk \(from environment variable DESK\): one of console, servicenow/,
    );
    expect(errorOf(() => parseConfig({ desk: 'console', desks: [{ id: 'hr', system: 'console' }] }))).toMatch(
      /desk \(from config\): leave it out when `desks` lists the desks/,
    );
    expect(errorOf(() => parseConfig({ desks: [] }))).toMatch(/desks \(from config\): at least one desk/);
  });
});
