/**
 * The outbound payloads an instance posts to the bot, built the way agent-apis.md §1.6/§1.8
 * documents them (field names from ServiceNow's docs; the `System` wordings are the observed ones).
 */
import { randomUUID } from 'node:crypto';
import type { SimAgent, SimConversation } from './state';

type Body = Record<string, unknown>[];

function envelope(conv: SimConversation, body: Body, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    requestId: conv.lastRequestId,
    clientSessionId: conv.id,
    nowSessionId: conv.nowSessionId,
    userId: conv.userId,
    interactionId: conv.interactionId,
    body,
    ...(conv.clientVariables ? { clientVariables: conv.clientVariables } : {}),
    ...extra,
  };
}

function agentInfo(agent: SimAgent) {
  return { sentFromAgent: true, agentName: agent.name, ...(agent.avatarUrl ? { agentAvatar: agent.avatarUrl } : {}), agentId: agent.id };
}

const action = (actionType: string, extra: Record<string, unknown> = {}) => ({ uiType: 'ActionMsg', actionType, ...extra });

/** Right after START_CONVERSATION / AGENT: stand-by text, queue subscription, wait-time spinner. */
export function queued(conv: SimConversation, waitTime: string): Record<string, unknown> {
  return envelope(
    conv,
    [
      { uiType: 'OutputText', group: 'DefaultText', value: 'Please stand by while I connect you to a live agent.', maskType: 'NONE' },
      action('SubscribeToSupportQueue', { supportQueue: 'f3b5a1c2d3e4f5a6b7c8d9e0f1a2b3c4' }),
      action('StartSpinner', { spinnerType: 'wait_time', message: 'Routing you to a live agent...', waitTime }),
    ],
    { agentChat: true, score: 1 },
  );
}

/** An agent accepts: the first one switches the chat to live; later ones only "enter". */
export function accepted(conv: SimConversation, agent: SimAgent, first: boolean): Record<string, unknown> {
  const entered = action('System', { message: `${agent.name} has entered the chat.` });
  return envelope(conv, first ? [action('EndSpinner'), action('SwitchToLiveAgent'), entered] : [entered], { agentChat: true });
}

export function agentText(
  conv: SimConversation,
  agent: SimAgent,
  text: string,
  messageId = randomUUID().replace(/-/g, ''),
): Record<string, unknown> {
  return envelope(
    conv,
    [{ uiType: 'OutputText', group: 'DefaultText', value: text, maskType: 'NONE', messageId, agentInfo: agentInfo(agent) }],
    { agentChat: true },
  );
}

export function agentImage(conv: SimConversation, agent: SimAgent, url: string, altText: string): Record<string, unknown> {
  return envelope(conv, [{ uiType: 'OutputImage', group: 'DefaultOutputImage', value: url, altText, agentInfo: agentInfo(agent) }], {
    agentChat: true,
  });
}

export function agentLink(conv: SimConversation, agent: SimAgent, url: string, label: string): Record<string, unknown> {
  return envelope(
    conv,
    [
      {
        uiType: 'OutputLink',
        group: 'DefaultOutputLink',
        label,
        header: label,
        type: 'link',
        value: { action: url, target: '_blank' },
        agentInfo: agentInfo(agent),
      },
    ],
    { agentChat: true },
  );
}

export function typing(conv: SimConversation, on: boolean): Record<string, unknown> {
  return envelope(conv, [action(on ? 'StartTypingIndicator' : 'EndTypingIndicator')], { agentChat: true });
}

export function left(conv: SimConversation, agent: SimAgent): Record<string, unknown> {
  return envelope(conv, [action('System', { message: `${agent.name} has left the chat.` })], { agentChat: true });
}

/** The agent closes: System line + back to the virtual agent; the VA then speaks again. */
export function closedByAgent(conv: SimConversation, agent: SimAgent): Record<string, unknown>[] {
  return [
    envelope(conv, [action('System', { message: `${agent.name} has closed the support session.` }), action('SwitchToVirtualAgent')], {
      agentChat: false,
    }),
    envelope(conv, [
      { uiType: 'OutputText', group: 'DefaultText', value: 'Is there anything else I can help you with?', maskType: 'NONE' },
    ]),
  ];
}

/** After the bot's END_CONVERSATION. */
export function closedByUser(conv: SimConversation): Record<string, unknown> {
  return envelope(
    conv,
    [{ uiType: 'OutputText', group: 'DefaultText', value: 'The conversation has ended. Thank you for contacting us.', maskType: 'NONE' }],
    { completed: true },
  );
}

/** Nobody accepted in time (AWA's queue timeout): the VA takes control back. */
export function queueTimedOut(conv: SimConversation): Record<string, unknown> {
  return envelope(conv, [action('System', { message: 'Your conversation with a live agent has timed out.' })], { takeControl: true });
}
