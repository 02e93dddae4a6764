/**
 * ServiceNow wire <-> core, both directions, on payloads shaped as agent-apis.md §1 documents
 * them (fixtures in test/fixtures/servicenow/), including the variants the reference is unsure of.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenChatRequest } from '../../../../bots/core/ports';
import { servicenowDeskSchema } from '../../../../adapters/desks/servicenow/config';
import { mapOutbound, type ChatState, type MappedPayload } from '../../../../adapters/desks/servicenow/mapper';
import {
  actionRequest,
  contextVariables,
  openRequest,
  openingText,
  receiptsRequest,
  requesterOf,
} from '../../../../adapters/desks/servicenow/requests';
import { classifySystem, htmlToText, parseWaitSeconds } from '../../../../adapters/desks/servicenow/render';
import type { OutboundPayload } from '../../../../adapters/desks/servicenow/wire-types';

const fixture = (name: string): OutboundPayload =>
  JSON.parse(readFileSync(join(__dirname, '../../../fixtures/servicenow', `${name}.json`), 'utf8'));
const opts = { sessionId: 'sess-1', payloadId: 'p1', defaultAgentName: 'Agent', instanceOrigin: 'https://inst.service-now.com' };
const queued: ChatState = { status: 'queued', agents: [] };

/** Apply fixtures in order, as the connector does, returning every event and the final state. */
function run(names: string[], start: ChatState = queued): { state: ChatState; events: MappedPayload['events']; last: MappedPayload } {
  let state = start;
  const events: MappedPayload['events'] = [];
  let last!: MappedPayload;
  names.forEach((name, i) => {
    last = mapOutbound(fixture(name), state, { ...opts, payloadId: `p${i}` });
    state = last.state;
    events.push(...last.events);
  });
  return { state, events, last };
}

describe('ServiceNow outbound payloads -> desk events', () => {
  it('queued: the stand-by text is a system message and the spinner gives the wait', () => {
    const { events, state } = run(['queued']);
    expect(events).toEqual([
      { type: 'systemMessage', sessionId: 'sess-1', messageId: 'p0:0', text: 'Please stand by while I connect you to a live agent.' },
      { type: 'queued', sessionId: 'sess-1' },
      { type: 'queued', sessionId: 'sess-1', estimatedWaitSeconds: 13 },
    ]);
    expect(state.status).toBe('queued');
  });

  it('agent accepted (SwitchToLiveAgent + "has entered"): one join, named from the System line, no duplicate text', () => {
    const { events, state } = run(['queued', 'agent-accepted']);
    const joins = events.filter((e) => e.type === 'agentJoined');
    expect(joins).toEqual([{ type: 'agentJoined', sessionId: 'sess-1', agent: { id: 'name:beth-anglin', name: 'Beth Anglin' } }]);
    expect(JSON.stringify(events)).not.toContain('has entered');
    expect(state.status).toBe('live');
  });

  it('keeps the id it first reported when the agent later shows their sys_id, and confirms messages with an id', () => {
    const { events, last } = run(['agent-accepted', 'agent-message']);
    expect(events.filter((e) => e.type === 'agentJoined')).toHaveLength(1);
    expect(last.events).toEqual([
      {
        type: 'agentMessage',
        sessionId: 'sess-1',
        agent: { id: 'name:beth-anglin', name: 'Beth Anglin', avatarUrl: 'https://inst.service-now.com/beth.iix?t=small' },
        messageId: '9f0e1d2c3b4a',
        text: 'Hi, how can I help?',
      },
    ]);
    expect(last.receipts).toEqual(['9f0e1d2c3b4a']);
  });

  it('accepts agentInfo on SwitchToLiveAgent, body as an object and booleans as strings', () => {
    const { events } = run(['agent-accepted-with-info', 'agent-message']);
    expect(events[0]).toEqual({
      type: 'agentJoined',
      sessionId: 'sess-1',
      agent: { id: '5e3f8a1b2c', name: 'Beth Anglin', avatarUrl: 'https://inst.service-now.com/beth.iix?t=small' },
    });
    expect(events[1]).toMatchObject({ type: 'agentMessage', agent: { id: '5e3f8a1b2c' } });
  });

  it('a bare SwitchToLiveAgent joins a placeholder agent, who takes the name of the first agent to speak', () => {
    const bare: OutboundPayload = { clientSessionId: 'sess-1', body: [{ uiType: 'ActionMsg', actionType: 'SwitchToLiveAgent' }] };
    const first = mapOutbound(bare, queued, opts);
    expect(first.events).toEqual([{ type: 'agentJoined', sessionId: 'sess-1', agent: { id: 'agent:1', name: 'Agent' } }]);
    const second = mapOutbound(fixture('agent-message'), first.state, { ...opts, payloadId: 'p2' });
    expect(second.events).toEqual([
      expect.objectContaining({ type: 'agentMessage', agent: expect.objectContaining({ id: 'agent:1', name: 'Beth Anglin' }) }),
    ]);
  });

  it('a second agent joins and each message is attributed to its own agent', () => {
    const { events } = run(['agent-accepted', 'agent-message', 'second-agent']);
    expect(events.filter((e) => e.type === 'agentJoined').map((e) => (e.type === 'agentJoined' ? e.agent.name : ''))).toEqual([
      'Beth Anglin',
      'Carl Moss',
    ]);
    const messages = events.flatMap((e) => (e.type === 'agentMessage' ? [`${e.agent.id} ${e.agent.name}: ${e.text}`] : []));
    expect(messages).toEqual([
      'name:beth-anglin Beth Anglin: Hi, how can I help?',
      'name:carl-moss Carl Moss: Hello, Carl here, I look after VPN.',
    ]);
  });

  it('an agent leaving is agentLeft; an unknown leaver is just a system line', () => {
    const live = run(['agent-accepted']).state;
    const leave = (name: string) =>
      mapOutbound(
        { clientSessionId: 'sess-1', body: [{ uiType: 'ActionMsg', actionType: 'System', message: `${name} has left the chat.` }] },
        live,
        opts,
      ).events;
    expect(leave('Beth Anglin')).toEqual([
      { type: 'agentLeft', sessionId: 'sess-1', agent: { id: 'name:beth-anglin', name: 'Beth Anglin' } },
    ]);
    expect(leave('Zed Unknown')).toEqual([expect.objectContaining({ type: 'systemMessage', text: 'Zed Unknown has left the chat.' })]);
  });

  it('typing start/end under both documented action names, only while live', () => {
    expect(run(['typing']).events).toEqual([]);
    const { last } = run(['agent-message', 'typing']);
    expect(last.events).toEqual([
      { type: 'typing', sessionId: 'sess-1', on: true },
      {
        type: 'typing',
        sessionId: 'sess-1',
        on: false,
        agent: { id: '5e3f8a1b2c', name: 'Beth Anglin', avatarUrl: 'https://inst.service-now.com/beth.iix?t=small' },
      },
    ]);
  });

  it.each([
    ['System closed + SwitchToVirtualAgent + completed', 'agent-closed', 'Beth Anglin has closed the support session.'],
    ['SwitchToVirtualAgent alone', 'switch-to-va', undefined],
    ['completed:"true" alone', 'completed', undefined],
    ['takeControl alone', 'take-control', undefined],
  ])('the agent ends a live chat: %s -> one ended/agent_ended, nothing after', (_label, name, message) => {
    const { last, state } = run(['agent-accepted', name]);
    const ends = last.events.filter((e) => e.type === 'ended');
    expect(ends).toEqual([{ type: 'ended', sessionId: 'sess-1', reason: 'agent_ended', ...(message ? { message } : {}) }]);
    expect(last.events[last.events.length - 1].type).toBe('ended');
    expect(JSON.stringify(last.events)).not.toContain('anything else');
    expect(state.status).toBe('ended');
  });

  it('a queue timeout (System "timed out" + takeControl) while queued is queue_timeout with the desk words', () => {
    const { events } = run(['queued', 'queue-timeout']);
    expect(events.filter((e) => e.type === 'ended')).toEqual([
      { type: 'ended', sessionId: 'sess-1', reason: 'queue_timeout', message: 'Your conversation with a live agent has timed out.' },
    ]);
  });

  it('relays nothing once the chat has ended (late lines, the VA, our own END echo)', () => {
    const ended: ChatState = { status: 'ended', agents: [] };
    for (const name of ['agent-message', 'completed', 'queued', 'typing'])
      expect(mapOutbound(fixture(name), ended, opts).events).toEqual([]);
  });

  it('agent files: an image or an attachment link is a file; a page link is a markdown link', () => {
    const image = run(['agent-image']).last.events.find((e) => e.type === 'agentMessage');
    expect(image).toMatchObject({
      type: 'agentMessage',
      text: '',
      files: [
        { name: 'vpn-settings.png', contentType: 'image/png', url: 'https://inst.service-now.com/sys_attachment.do?sys_id=0a1b2c3d' },
      ],
    });
    const links = run(['agent-links']).last.events.filter((e) => e.type === 'agentMessage');
    expect(links[0]).toMatchObject({
      files: [
        { name: 'vpn-guide.pdf', contentType: 'application/pdf', url: 'https://inst.service-now.com/sys_attachment.do?sys_id=4e5f6a7b' },
      ],
    });
    expect(links[1]).toMatchObject({
      text: '[VPN troubleshooting (KB0010042)](https://inst.service-now.com/kb_view.do?sysparm_article=KB0010042)',
    });
    expect(links[1]).not.toHaveProperty('files');
  });

  it('cards and HTML are rendered as readable text, never raw JSON', () => {
    const texts = run(['agent-card']).last.events.flatMap((e) => (e.type === 'agentMessage' ? [e.text] : []));
    expect(texts).toEqual([
      '**INC0010042**\nState: In Progress\nAssigned to: Beth Anglin',
      'See [the VPN page](https://intranet.example/vpn) & retry.',
    ]);
    expect(texts.join()).not.toContain('{');
  });

  it('unknown uiType/actionType values are reported, not relayed, and do not stop the rest', () => {
    const { last } = run(['agent-accepted', 'unknown']);
    expect(last.ignored).toEqual(['FancyWidget', 'ActionMsg/Teleport', 'Picker']);
    expect(last.events).toEqual([expect.objectContaining({ type: 'agentMessage', text: 'still relayed' })]);
  });

  it('derives stable ids for items without messageId, so a redelivery de-duplicates', () => {
    const a = mapOutbound(fixture('queued'), queued, { ...opts, payloadId: 'same' });
    const b = mapOutbound(fixture('queued'), queued, { ...opts, payloadId: 'same' });
    expect(a.events).toEqual(b.events);
  });
});

describe('System lines and small parsers', () => {
  it.each([
    ['Beth Anglin has entered the chat.', { kind: 'entered', name: 'Beth Anglin' }],
    ['Carl Moss joined the conversation', { kind: 'entered', name: 'Carl Moss' }],
    ['Beth Anglin has left the chat.', { kind: 'left', name: 'Beth Anglin' }],
    ['Beth Anglin has closed the support session', { kind: 'closed' }],
    ['The agent ended the chat.', { kind: 'closed' }],
    ['Your live agent conversation has timed out', { kind: 'timedOut' }],
    ['Your chat was transferred to Network', { kind: 'other' }],
  ])('%s', (text, expected) => expect(classifySystem(text)).toEqual(expected));

  it.each([
    ['13 Seconds', 13],
    ['2 Minutes', 120],
    ['1 Hour 5 Minutes', 3900],
    [90, 90],
    ['45', 45],
    ['soon', undefined],
  ])('waitTime %p -> %p s', (value, seconds) => expect(parseWaitSeconds(value)).toBe(seconds));

  it('html to text keeps links and decodes entities', () => {
    expect(htmlToText('<b>Hi</b>&nbsp;there<br/>line &#8212; <a href="https://x.example">x</a>')).toBe(
      'Hi there\nline — [x](https://x.example)',
    );
  });
});

describe('core -> ServiceNow inbound requests', () => {
  const settings = servicenowDeskSchema.parse({
    instanceUrl: 'https://inst.service-now.com/',
    auth: { mode: 'basic', username: 'u', password: 'p' },
    webhook: { auth: { secret: 'x'.repeat(16) } },
    contextVariables: { LiveAgent_queue: 'q-sysid' },
    topicContextVariables: { network: { LiveAgent_mandatory_skills: 'skill-vpn' } },
  });
  const request: OpenChatRequest = {
    sessionId: 'sess-1',
    surface: 'teams',
    user: { id: 'aad-1', name: 'Jordan Example', email: 'jordan@example.com', locale: 'en-US', timeZone: 'America/Chicago' },
    title: 'VPN drops every hour',
    details: 'VPN drops every hour\nSince Monday',
    topic: { id: 'network', label: 'Network' },
    routing: { language: 'en', region: 'US', domain: 'it' },
    history: [
      { from: 'user', text: 'vpn broken', at: 1_700_000_000_000 },
      { from: 'bot', text: 'Try restarting', at: 1_700_000_001_000 },
    ],
  };

  it('START_CONVERSATION carries identity, opening text, routing, history and our ids', () => {
    const who = requesterOf(request, settings);
    const body = openRequest({ request, who, requestId: 'r-1', now: 1_700_000_002_000, incidentNumber: 'INC0010001' }, settings);
    expect(body).toEqual({
      requestId: 'r-1',
      clientSessionId: 'sess-1',
      userId: 'aad-1',
      emailId: 'jordan@example.com',
      timestamp: 1_700_000_002_000,
      timezone: 'America/Chicago',
      action: 'START_CONVERSATION',
      message: {
        text: 'VPN drops every hour\nSince Monday\n\nTopic: Network\nTicket: INC0010001',
        typed: true,
        clientMessageId: 'sess-1:opening',
      },
      contextVariables: {
        live_agent_only: 'true',
        language: 'en',
        region: 'US',
        domain: 'it',
        requester_session_language: 'en',
        deviceTimeZone: 'America/Chicago',
        topic: 'network',
        topic_label: 'Network',
        LiveAgent_queue: 'q-sysid',
        LiveAgent_mandatory_skills: 'skill-vpn',
        incident_number: 'INC0010001',
      },
      clientVariables: { bridgeSessionId: 'sess-1', surface: 'teams', bridgeUserId: 'aad-1', incidentNumber: 'INC0010001' },
      history: [
        { displayName: 'Jordan Example', isBotMessage: false, timestamp: '1700000000000', type: 'text', value: 'vpn broken' },
        { displayName: 'Virtual Agent', isBotMessage: true, timestamp: '1700000001000', type: 'text', value: 'Try restarting' },
      ],
    });
  });

  it('AGENT mode: no live_agent_only; userId from email when configured', () => {
    const agentMode = { ...settings, start: { action: 'AGENT' as const }, userIdFrom: 'email' as const };
    const body = openRequest({ request, who: requesterOf(request, agentMode), requestId: 'r', now: 1 }, agentMode);
    expect(body.action).toBe('AGENT');
    expect(body.userId).toBe('jordan@example.com');
    expect(body.contextVariables).not.toHaveProperty('live_agent_only');
    expect(contextVariables({ ...request, topic: undefined }, agentMode)).not.toHaveProperty('topic');
  });

  it('opening text puts the title first when the details do not start with it', () => {
    expect(openingText({ ...request, details: 'It started Monday', topic: undefined })).toBe('VPN drops every hour\n\nIt started Monday');
  });

  describe('the history: the extract in the first message, the structured field, or both (servicenow.history)', () => {
    const extract = '[2023-11-14 22:13 UTC] User: vpn broken\n[2023-11-14 22:13 UTC] Bot: Try restarting';
    const withText: OpenChatRequest = { ...request, historyText: extract };
    const field = [
      { displayName: 'Jordan Example', isBotMessage: false, timestamp: '1700000000000', type: 'text', value: 'vpn broken' },
      { displayName: 'Virtual Agent', isBotMessage: true, timestamp: '1700000001000', type: 'text', value: 'Try restarting' },
    ];
    const open = (mode?: 'text' | 'structured' | 'both', req = withText) => {
      const s = mode ? { ...settings, history: mode } : settings;
      return openRequest({ request: req, who: requesterOf(req, s), requestId: 'r', now: 1 }, s);
    };

    it('by default (text): the extract ends the first message, under a heading; no history field', () => {
      const body = open();
      expect(body.message).toMatchObject({
        text: `VPN drops every hour\nSince Monday\n\nTopic: Network\n\nConversation with the bot before the handoff:\n${extract}`,
      });
      expect(body).not.toHaveProperty('history');
    });
    it('structured: the history field only, the first message as before', () => {
      const body = open('structured');
      expect(body.message).toMatchObject({ text: 'VPN drops every hour\nSince Monday\n\nTopic: Network' });
      expect(body.history).toEqual(field);
    });
    it('both: the extract and the field', () => {
      const body = open('both');
      expect((body.message as { text: string }).text).toContain(extract);
      expect(body.history).toEqual(field);
    });
    it('text, but no extract (bot.history.maxTextBytes 0): the field still carries the history', () => {
      const body = open('text', request);
      expect((body.message as { text: string }).text).not.toContain('Conversation with the bot');
      expect(body.history).toEqual(field);
    });
  });

  it('END_CONVERSATION has an empty text; receipts are an array', () => {
    const who = requesterOf(request, settings);
    expect(actionRequest(who, 'r', 1, 'END_CONVERSATION').message).toEqual({ text: '', typed: true });
    expect(receiptsRequest(who, 'r', 1, [{ id: 'm', status: 'sent_to_user' }])).toMatchObject({
      action: 'UPDATE_MESSAGES',
      message: [{ id: 'm', status: 'sent_to_user' }],
    });
  });
});
