// Sending: the text box, a message with its files (uploaded first, kept across retries), resending
// a failed one, and typing notices.

import { $, state, TYPING_SEND_MS } from './state.js';
import { newId } from './format.js';
import { api } from './session.js';
import { upsert } from './conversation.js';
import { render, scrollToBottom } from './messages.js';
import { renderAttachments, uploadFile } from './attachments.js';
import { reauthenticate } from './chat.js';

// ---------------------------------------------------------------------------------------------
// Sending: text, files (paperclip, drag and drop, paste), typing
// ---------------------------------------------------------------------------------------------

export function setError(message) {
  $('composer-error').textContent = message || '';
}

async function send() {
  const text = $('text').value;
  const ready = state.attachments.filter((a) => a.status !== 'error');
  if (!text.trim() && ready.length === 0) return;
  setError('');
  const clientId = newId();
  const files = ready.map((a) => a.file);
  state.pending.set(clientId, { text, files, uploads: ready, failed: false });
  $('text').value = '';
  state.attachments = [];
  renderAttachments();
  autosize();
  render();
  scrollToBottom();
  await deliver(clientId);
}

async function deliver(clientId) {
  const p = state.pending.get(clientId);
  if (!p) return;
  try {
    // Upload first (once per file, kept across retries), then send the message naming them.
    for (const upload of p.uploads) {
      if (!upload.id) upload.id = (await uploadFile(upload.file)).id;
    }
    const result = await api('POST', '/messages', { id: clientId, text: p.text, files: p.uploads.map((u) => u.id) });
    upsert(result.entry);
  } catch (e) {
    const still = state.pending.get(clientId);
    if (!still) return;
    if (e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 408 && e.status !== 429) {
      // The server refused it (too big, wrong type): retrying the same thing cannot help.
      // Give the words back, so only the refused part has to be fixed.
      state.pending.delete(clientId);
      if (!$('text').value) $('text').value = p.text;
      render();
    } else {
      still.failed = true;
      render();
    }
    setError(e.message);
    if (e.status === 401) void reauthenticate();
  }
}

export function resend(clientId) {
  const p = state.pending.get(clientId);
  if (!p) return;
  p.failed = false;
  render();
  return deliver(clientId);
}

export function typing() {
  if (state.chat.phase !== 'live') return;
  const now = Date.now();
  if (now - state.lastTypingSent < TYPING_SEND_MS) return;
  state.lastTypingSent = now;
  api('POST', '/typing').catch(() => undefined);
}

function autosize() {
  const t = $('text');
  t.style.height = 'auto';
  t.style.height = `${Math.min(t.scrollHeight, 160)}px`;
}

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  void send();
});
$('text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    void send();
  }
});
$('text').addEventListener('input', () => {
  autosize();
  typing();
});
// The box's height follows its text's lines, which change with the window's width.
window.addEventListener('resize', autosize);
