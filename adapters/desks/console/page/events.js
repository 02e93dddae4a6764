// Live updates (the event stream) and loading chats: what keeps the list and the open chat current.

import { $, state, TYPING_SHOW_MS } from './state.js';
import { previewText } from './format.js';
import { api, signOut } from './session.js';
import { renderList } from './chat-list.js';
import { renderChat, renderMessages } from './chat-pane.js';
const { setConnection, followEvents } = window.LabCommon;

// ---------------------------------------------------------------------------------------------
// Live updates: Server-Sent Events read with fetch, so the Authorization header can be sent.
// ---------------------------------------------------------------------------------------------

export function runEvents() {
  return followEvents(state, {
    credential: () => state.token,
    onUnauthorized: () => signOut('Your sign-in is no longer valid. Sign in again.'),
    async onOpen() {
      setConnection('live', 'Live');
      // Events may have been missed while disconnected: reload what is on screen.
      await refreshAll();
    },
    onEvent,
    label: 'console',
  });
}

function onEvent(name, data) {
  switch (name) {
    case 'chat.created':
      state.chats.set(data.chat.id, data.chat);
      markUnread(data.chat.id, 0);
      renderList();
      break;
    case 'chat.updated':
      state.chats.set(data.chat.id, data.chat);
      renderList();
      if (state.selected && state.selected.id === data.chat.id) void reloadSelected();
      break;
    case 'message.created':
      onMessage(data.chatId, data.message);
      break;
    case 'message.updated':
      if (state.selected && state.selected.id === data.chatId) {
        const i = state.selected.messages.findIndex((m) => m.id === data.message.id);
        if (i >= 0) state.selected.messages[i] = data.message;
        renderMessages();
      }
      break;
    case 'typing':
      onTyping(data);
      break;
    default:
      break;
  }
}

function onMessage(chatId, message) {
  const summary = state.chats.get(chatId);
  if (summary) {
    summary.messageCount = (summary.messageCount || 0) + 1;
    summary.lastMessage = {
      from: message.from,
      agentName: message.agentName,
      text: previewText(message),
      private: message.private,
      at: message.at,
    };
  }
  const open = state.selected && state.selected.id === chatId;
  const fromOthers = message.from === 'user' || (message.from === 'agent' && (!state.me || message.agentId !== state.me.id));
  if (open) {
    if (!state.selected.messages.some((m) => m.id === message.id)) {
      state.selected.messages.push(message);
      renderMessages();
    }
    if (message.from === 'user') showTyping('');
  }
  // Open but in a hidden tab still counts as unseen: the tab's title says so until it is back.
  if (fromOthers && (!open || document.hidden)) markUnread(chatId, 1);
  renderList();
}

function markUnread(chatId, more) {
  state.unread.set(chatId, (state.unread.get(chatId) || 0) + more);
}

document.addEventListener('visibilitychange', () => {
  if (document.hidden || !state.selected || !state.unread.has(state.selected.id)) return;
  state.unread.delete(state.selected.id);
  renderList();
});

function onTyping(data) {
  if (!state.selected || state.selected.id !== data.chatId) return;
  if (data.from === 'agent' && state.me && data.agent && data.agent.id === state.me.id) return;
  const who = data.from === 'user' ? state.selected.user.name : data.agent ? data.agent.name : 'An agent';
  showTyping(`${who} is typing…`);
}

function showTyping(text) {
  clearTimeout(state.typingTimer);
  $('typing').textContent = text;
  if (text) state.typingTimer = setTimeout(() => ($('typing').textContent = ''), TYPING_SHOW_MS);
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

async function refreshAll() {
  const { chats } = await api('GET', '/chats');
  state.chats = new Map(chats.map((c) => [c.id, c]));
  renderList();
  if (state.selected) await reloadSelected();
}

export async function select(chatId) {
  if (state.selected) state.drafts.set(state.selected.id, $('text').value);
  state.unread.delete(chatId);
  $('composer-error').textContent = '';
  showTyping('');
  try {
    state.selected = await api('GET', `/chats/${encodeURIComponent(chatId)}`);
  } catch (e) {
    toastInPane(e.message);
    return;
  }
  // A fresh chat starts as a reply to the user, never as a leftover private note.
  $('private').checked = false;
  state.messageNodes = new Map();
  $('text').value = state.drafts.get(chatId) || '';
  renderList();
  renderChat();
  renderMessages(true);
}

async function reloadSelected() {
  const id = state.selected?.id;
  if (!id) return;
  try {
    const chat = await api('GET', `/chats/${encodeURIComponent(id)}`);
    if (state.selected && state.selected.id === id) {
      state.selected = chat;
      renderChat();
      renderMessages();
    }
  } catch (e) {
    if (e.status === 404) {
      state.selected = null;
      renderChat();
    }
  }
}

export function toastInPane(message) {
  $('composer-error').textContent = message;
}
