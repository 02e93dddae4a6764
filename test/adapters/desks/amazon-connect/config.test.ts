/** The `amazon-connect` config section: the variables, defaults, and clear errors. */
import { loadConfig } from '../../../../config/load';

const env = {
  DESK: 'amazon-connect',
  AMAZON_CONNECT_INSTANCE_ID: '11111111-2222-3333-4444-555555555555',
  AMAZON_CONNECT_CONTACT_FLOW_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  AWS_REGION: 'eu-west-1',
};

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('amazon-connect config', () => {
  it('reads the instance, flow, region, endpoints and queue from the environment, with documented defaults', () => {
    const config = loadConfig({
      env: {
        ...env,
        AMAZON_CONNECT_ENDPOINT: 'https://vpce-1.connect.eu-west-1.vpce.amazonaws.com/',
        AMAZON_CONNECT_PARTICIPANT_ENDPOINT: 'https://participant.example.internal',
        AMAZON_CONNECT_QUEUE_ID: 'q-123',
      },
    });
    expect(config.desk).toBe('amazon-connect');
    expect(config['amazon-connect']).toEqual({
      instanceId: env.AMAZON_CONNECT_INSTANCE_ID,
      contactFlowId: env.AMAZON_CONNECT_CONTACT_FLOW_ID,
      region: 'eu-west-1',
      endpoint: 'https://vpce-1.connect.eu-west-1.vpce.amazonaws.com',
      participantEndpoint: 'https://participant.example.internal',
      defaultCustomerName: 'Employee',
      attributes: {},
      messageContentType: 'text/markdown',
      messageMaxChars: 1024,
      availability: { queueId: 'q-123', cacheSeconds: 15, whenUnknown: true },
      deliveryReceipts: true,
      heartbeatSeconds: 10,
      attachments: { enabled: true },
      requestTimeoutMs: 10_000,
      retry: { attempts: 4, baseDelayMs: 300, maxDelayMs: 5000 },
      chatTtlHours: 26,
    });
  });

  it('names every missing variable in one error', () => {
    const message = errorOf(() => loadConfig({ env: { DESK: 'amazon-connect', AMAZON_CONNECT_QUEUE_ID: 'q' } }));
    expect(message).toContain('AMAZON_CONNECT_INSTANCE_ID');
    expect(message).toContain('AMAZON_CONNECT_CONTACT_FLOW_ID');
    expect(message).toContain('AWS_REGION');
  });

  it('without any of its settings, says what to set', () => {
    expect(errorOf(() => loadConfig({ env: { DESK: 'amazon-connect' } }))).toContain('docs/amazon-connect.md');
  });

  it('refuses a region that is not one', () => {
    expect(errorOf(() => loadConfig({ env: { ...env, AWS_REGION: 'Ireland' } }))).toMatch(/amazon-connect\.region.*AWS_REGION/);
  });

  it('an AWS_REGION set for other software does not conjure a section when the desk is not used', () => {
    const config = loadConfig({ env: { AWS_REGION: 'eu-west-1' } });
    expect(config.desk).toBe('console');
    expect(config['amazon-connect']).toBeUndefined();
  });

  it('AWS_REGION feeds a listed Connect desk too', () => {
    const file = JSON.stringify({ desks: [{ id: 'it', system: 'amazon-connect', instanceId: 'i-1', contactFlowId: 'f-1' }] });
    const config = loadConfig({ env: { AWS_REGION: 'us-east-1', BRIDGE_CONFIG: 'bridge.json' }, readFile: () => file });
    expect(config.desks[0]).toMatchObject({ id: 'it', system: 'amazon-connect', settings: { region: 'us-east-1', instanceId: 'i-1' } });
  });
});
