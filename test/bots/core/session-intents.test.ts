/**
 * What a message means before any chat logic: stop phrases (the whole message, never a guess)
 * and requests for an agent (a phrase the sentence asks for, not a word anywhere).
 */
import { isAgentRequest, isStopPhrase } from '../../../bots/core/intents';
import { transition } from '../../../bots/core/session';
import { conversation, ctx, effectTypes, fromUser, live, queued, settings, ue } from '../../helpers/core-builders';

const S = settings();

describe('stop phrases: the whole message, ignoring case, surrounding space and final punctuation', () => {
  it.each([
    ['stop chat', true],
    ['stop chat.', true],
    ['Stop chat!', true],
    ['  STOP CHAT?! ', true],
    ['stop chat…', true],
    ['stop chat 。', true],
    ['\tStop chat.\n', true],
    ['stop chat please', false],
    ['please stop chat', false],
    ['stop  chat', false],
    ['stop-chat', false],
    ['.stop chat', false],
    ['stop chatting', false],
    ['!', false],
    ['', false],
  ])('%j → %s', (text, stop) => {
    expect(isStopPhrase(text, S)).toBe(stop);
  });

  it('configured phrases get the same treatment, including their own punctuation', () => {
    const s = settings({ stopPhrases: ['End chat.', 'bye agent'] });
    expect(isStopPhrase('end chat', s)).toBe(true);
    expect(isStopPhrase('Bye agent!', s)).toBe(true);
    expect(isStopPhrase('stop chat', s)).toBe(false);
  });

  it.each([
    ['live', live],
    ['queued', queued],
  ])('%s × "stop chat." / "Stop chat!" → ends the chat, nothing relayed to the agent', (_name, state) => {
    for (const text of ['stop chat.', 'Stop chat!']) {
      const r = transition(state(), fromUser(ue.message(text)), ctx());
      expect(effectTypes(r.effects)).toContain('deskEnd');
      expect(effectTypes(r.effects)).not.toContain('deskSend');
      expect(r.state.session).toBeUndefined();
    }
  });
});

describe('agent requests: a phrase the sentence asks for', () => {
  const positives = [
    'agent',
    'Agent.',
    'human!',
    'live agent please',
    'an agent please',
    'hi, an agent pls',
    'talk to an agent',
    'TALK TO AN AGENT!',
    'I need to talk to an agent',
    'can I speak to a human',
    'Can I speak to a human please?',
    'I need a person',
    'connect me to an agent',
    'I want an agent about my VPN',
    'I’d like to speak with an agent',
    'is there a human I can talk to',
    'My VPN is down. Agent please',
    'real person',
    'I want a real person',
    'I need someone to fix my printer',
    'I need help from an agent',
    'agent please help',
  ];
  const nearMisses = [
    'my browser user agent string is wrong',
    'my agent id is wrong',
    'the human resources portal',
    'I need the human resources portal',
    "agents' dashboard",
    'the agents dashboard is empty',
    "the agent's reply was rude",
    'Agent Smith is my manager',
    'I need to update the agent on my laptop',
    'how do I install the monitoring agent',
    'someone deleted my files',
    'I am a human',
    'personal drive is full',
    'agentless backup fails',
    'help me configure the agent',
    'I want to be an agent',
  ];

  it.each(positives)('%j → request', (text) => expect(isAgentRequest(text, S)).toBe(true));
  it.each(nearMisses)('%j → not a request', (text) => expect(isAgentRequest(text, S)).toBe(false));

  it('a near-miss is a problem description: the offer comes with "cannot help" and it is kept for the agent', () => {
    const r = transition(conversation(), fromUser(ue.message('my browser user agent string is wrong')), ctx());
    expect(effectTypes(r.effects)).toEqual(['offer']);
    expect(r.state.lastUtterance?.text).toBe('my browser user agent string is wrong');
  });

  it('configured phrases: several words match anywhere, one word only as a request', () => {
    const s = settings({ agentRequestPhrases: ['mitarbeiter sprechen', 'servicedesk'] });
    expect(isAgentRequest('Ich möchte einen Mitarbeiter sprechen', s)).toBe(true);
    expect(isAgentRequest('Servicedesk!', s)).toBe(true);
    expect(isAgentRequest('I need the servicedesk', s)).toBe(true);
    expect(isAgentRequest('the servicedesk portal is down', s)).toBe(false);
    expect(isAgentRequest('agent', s)).toBe(false);
  });
});
