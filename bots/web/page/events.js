// The hint under the log, "is typing…", and the live updates that drive them.

import { $, state, TYPING_SHOW_MS } from './state.js';
import { api } from './session.js';
import { applyHistory, upsert } from './conversation.js';
import { reauthenticate } from './chat.js';
const { setConnection, followEvents } = window.LabCommon;

// ---------------------------------------------------------------------------------------------
// Hint and typing
// ---------------------------------------------------------------------------------------------

export function renderHint() {
  const stop = state.config?.stopPhrase || 'stop chat';
  const chat = state.chat || { phase: 'none' };
  let text = '';
  if (chat.phase === 'queued') text = `Waiting for an agent. You can keep writing; type "${stop}" to cancel.`;
  else if (chat.phase === 'live') {
    const names = (chat.agents || []).map((a) => a.name).join(', ') || 'an agent';
    text = `You are chatting with ${names}. Type "${stop}" to end the chat.`;
  }
  $('hint').textContent = text;
  document.body.dataset.phase = chat.phase;
}

export function showTyping(on, name) {
  clearTimeout(state.typingTimer);
  $('typing').textContent = on ? `${typeof name === 'string' && name ? name : 'The agent'} is typing…` : '';
  if (on) state.typingTimer = setTimeout(() => ($('typing').textContent = ''), TYPING_SHOW_MS);
}

// ---------------------------------------------------------------------------------------------
// Live updates: Server-Sent Events read with fetch, so the Authorization header can be sent.
// ---------------------------------------------------------------------------------------------

export function runEvents() {
  return followEvents(state, {
    credential: () => state.credential,
    onUnauthorized: reauthenticate,
    async onOpen() {
      setConnection('live', 'Connected');
      // Anything sent while we were away is in the log: load it, then follow the stream.
      applyHistory(await api('GET', '/history'));
    },
    onEvent,
    label: 'chat',
  });
}

function onEvent(name, data) {
  switch (name) {
    case 'message':
    case 'update':
      if (data.state) state.chat = data.state;
      // Nobody is typing in a chat that is over (or not started).
      if (state.chat.phase !== 'live') showTyping(false);
      upsert(data.entry);
      break;
    case 'typing':
      showTyping(!(data && data.on === false), data?.agent);
      break;
    default:
      break;
  }
}
