/** The `servicenow` config section: environment variables, defaults, and clear errors. */
import { loadConfig } from '../../../../config/load';
import { OOB_AVAILABLE_STATE, OOB_CHAT_CHANNEL } from '../../../../adapters/desks/servicenow/config';

const env = {
  DESK: 'servicenow',
  SERVICENOW_INSTANCE_URL: 'https://acme.service-now.com/',
  SERVICENOW_USERNAME: 'bridge.integration',
  SERVICENOW_PASSWORD: 'p4ss',
  SERVICENOW_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length',
};

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('servicenow config', () => {
  it('reads the instance and secrets from the environment, with documented defaults', () => {
    const config = loadConfig({ env });
    expect(config.desk).toBe('servicenow');
    expect(config.servicenow).toMatchObject({
      instanceUrl: 'https://acme.service-now.com',
      auth: { mode: 'basic', username: 'bridge.integration', password: 'p4ss' },
      messageAuth: { mode: 'none' },
      webhook: { path: '/servicenow/webhook', auth: { mode: 'header', secret: env.SERVICENOW_WEBHOOK_SECRET } },
      start: { action: 'START_CONVERSATION' },
      availability: { enabled: true, channelSysId: OOB_CHAT_CHANNEL, availableStateSysId: OOB_AVAILABLE_STATE, cacheSeconds: 15 },
      incident: { enabled: false },
      files: { mode: 'url', urlTtlMinutes: 15 },
      deliveryReceipts: true,
    });
  });

  it('OAuth and message-auth secrets come from their own variables', () => {
    const config = loadConfig({
      env: { ...env, SERVICENOW_CLIENT_ID: 'cid', SERVICENOW_CLIENT_SECRET: 'csecret', SERVICENOW_SHARED_SECRET: 'shared' },
    });
    expect(config.servicenow?.auth).toMatchObject({ clientId: 'cid', clientSecret: 'csecret' });
    expect(config.servicenow?.messageAuth.secret).toBe('shared');
  });

  it('names every missing key and the variable to set', () => {
    const message = errorOf(() => loadConfig({ env: { DESK: 'servicenow', SERVICENOW_INSTANCE_URL: 'https://acme.service-now.com' } }));
    expect(message).toMatch(/servicenow\.auth\.username .*SERVICENOW_USERNAME/);
    expect(message).toMatch(/servicenow\.auth\.password .*SERVICENOW_PASSWORD/);
    expect(message).toMatch(/servicenow\.webhook\.auth\.secret .*SERVICENOW_WEBHOOK_SECRET/);
  });

  it('refuses Table API features without REST credentials, and OAuth without a client', () => {
    const base = { ...env, SERVICENOW_USERNAME: '', SERVICENOW_PASSWORD: '' };
    const file = (yaml: string) => () => loadConfig({ env: { ...base, BRIDGE_CONFIG: '/etc/b.yaml' }, readFile: () => yaml });
    expect(errorOf(file('servicenow: { auth: { mode: none }, messageAuth: { mode: token, secret: s } }'))).toMatch(
      /servicenow\.availability\.enabled .*REST credentials/,
    );
    expect(errorOf(file('servicenow: { auth: { mode: none }, availability: { enabled: false } }'))).toMatch(
      /messageAuth must be token or signature/,
    );
    expect(errorOf(file('servicenow: { auth: { mode: oauth, grantType: client_credentials } }'))).toMatch(
      /servicenow\.auth\.clientId .*SERVICENOW_CLIENT_ID/,
    );
    expect(
      loadConfig({
        env: { ...base, BRIDGE_CONFIG: '/etc/b.yaml' },
        readFile: () =>
          'servicenow: { auth: { mode: none }, messageAuth: { mode: signature, secret: s }, availability: { enabled: false } }',
      }).servicenow?.auth.mode,
    ).toBe('none');
  });

  it('desk servicenow without its section stops start-up with a clear message', () => {
    // Checked with the rest of the config when it loads, no longer when the desk is created.
    expect(() => loadConfig({ env: { DESK: 'servicenow' } })).toThrow(/servicenow: required when desk is "servicenow"/);
  });
});
