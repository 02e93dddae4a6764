// The agent's actions on the open chat: accept, end, typing, and sending a message or note
// (with an Idempotency-Key, so a retried send is not sent twice).

import { $, state, TYPING_SEND_MS } from './state.js';
import { api } from './session.js';
import { toastInPane } from './events.js';
import { addMessage, renderChat, renderComposer, renderMessages } from './chat-pane.js';

// ---------------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------------

$('accept').addEventListener('click', async () => {
  const chat = state.selected;
  if (!chat) return;
  $('accept').disabled = true;
  try {
    state.selected = await api('POST', `/chats/${encodeURIComponent(chat.id)}/accept`);
    renderChat();
    renderMessages(true);
    $('text').focus();
  } catch (e) {
    toastInPane(e.message);
  } finally {
    $('accept').disabled = false;
  }
});

$('end').addEventListener('click', async () => {
  const chat = state.selected;
  if (!chat) return;
  const question =
    chat.status === 'queued'
      ? 'Close this request without answering? The user will be told the chat ended.'
      : 'End this chat? The user will be told the agent ended it.';
  if (!window.confirm(question)) return;
  try {
    state.selected = await api('POST', `/chats/${encodeURIComponent(chat.id)}/end`);
    renderChat();
    renderMessages(true);
  } catch (e) {
    toastInPane(e.message);
  }
});

$('private').addEventListener('change', renderComposer);

$('text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $('composer').requestSubmit();
  }
});

$('text').addEventListener('input', () => {
  const chat = state.selected;
  if (!chat || $('private').checked || !$('text').value.trim()) return;
  const now = Date.now();
  if (now - state.lastTypingSent < TYPING_SEND_MS) return;
  state.lastTypingSent = now;
  api('POST', `/chats/${encodeURIComponent(chat.id)}/typing`).catch(() => {});
});

/** A fresh Idempotency-Key (getRandomValues also works on plain http, unlike randomUUID). */
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The Idempotency-Key of a message: sending the same text to the same chat again, after a
 * POST that got no answer, reuses the key, so the server answers it instead of sending it twice.
 */
function messageKey(chatId, text, isPrivate) {
  const o = state.outgoing;
  if (o && o.chatId === chatId && o.text === text && o.private === isPrivate) return o.key;
  state.outgoing = { chatId, text, private: isPrivate, key: newKey() };
  return state.outgoing.key;
}

/** Post an agent's message (text or note) with its Idempotency-Key. */
export async function sendMessage(chatId, text, isPrivate) {
  const key = messageKey(chatId, text, isPrivate);
  try {
    const message = await api('POST', `/chats/${encodeURIComponent(chatId)}/messages`, { text, private: isPrivate }, undefined, {
      'Idempotency-Key': key,
    });
    state.outgoing = null;
    return message;
  } catch (e) {
    // 502: stored (and marked undelivered); the text is cleared, a new message gets a new key.
    if (e.status === 502) state.outgoing = null;
    throw e;
  }
}

$('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const chat = state.selected;
  const text = $('text').value;
  if (!chat || !text.trim()) return;
  const isPrivate = $('private').checked;
  $('send').disabled = true;
  $('composer-error').textContent = '';
  try {
    const message = await sendMessage(chat.id, text, isPrivate);
    state.drafts.delete(chat.id);
    if (state.selected && state.selected.id === chat.id) $('text').value = '';
    addMessage(chat.id, message);
  } catch (e) {
    // 502: saved here but the relay failed; the message is marked, so do not offer it twice.
    if (e.status === 502 && state.selected && state.selected.id === chat.id) $('text').value = '';
    $('composer-error').textContent = e.message;
  } finally {
    renderComposer();
    $('text').focus();
  }
});
