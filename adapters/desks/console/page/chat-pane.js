// The open chat: its heading and details, the composer's state, and its message log.

import { $, state } from './state.js';
import { clear, reasonText, surfaceName, timeOf } from './format.js';
import { joined } from './chat-list.js';
import { messageItem } from './messages.js';
const { el, linkified, stickyLog } = window.LabCommon;

// ---------------------------------------------------------------------------------------------
// Rendering: the chat pane
// ---------------------------------------------------------------------------------------------

/**
 * The chat's heading. The core keeps at most 120 characters of the request's first line as its
 * title (117 and "...", for lists and cards); the header has room for more, so when the title is
 * that line cut short, the whole first line of the details is shown instead.
 */
function headingOf(chat) {
  const title = chat.title || '';
  const firstLine =
    (chat.details || '')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .find(Boolean) || '';
  const cut = title.endsWith('...') ? title.slice(0, -3) : undefined;
  if (cut && firstLine.length > cut.length && firstLine.startsWith(cut)) return firstLine;
  return title || '(no title)';
}

export function renderChat() {
  const chat = state.selected;
  $('placeholder').hidden = !!chat;
  $('chat').hidden = !chat;
  if (!chat) return;

  const heading = headingOf(chat);
  $('chat-title').textContent = heading;
  $('chat-title').title = heading; // the stylesheet keeps two lines of it; all of it on hover
  const user = chat.user.email ? `${chat.user.name} <${chat.user.email}>` : chat.user.name;
  const meta = [user, `via ${surfaceName(chat.surface)}`, chat.topic && `Topic: ${chat.topic.label}`, `Opened ${timeOf(chat.createdAt)}`];
  if (chat.user.locale) meta.push(chat.user.locale);
  if (chat.user.timeZone) meta.push(chat.user.timeZone);
  $('chat-meta').textContent = meta.filter(Boolean).join(' · ');
  $('chat-agents').textContent = chat.agents.length ? `Agents: ${chat.agents.map((a) => a.name).join(', ')}` : '';

  const status = $('chat-status');
  status.dataset.status = chat.status;
  status.textContent =
    chat.status === 'queued'
      ? 'Waiting'
      : chat.status === 'live'
        ? 'Live'
        : `Ended${chat.endedReason ? ` (${reasonText(chat.endedReason)})` : ''}`;

  const mine = joined(chat);
  const accept = $('accept');
  accept.hidden = chat.status === 'ended' || mine;
  accept.textContent = chat.status === 'queued' ? 'Accept' : 'Join chat';
  $('end').hidden = chat.status === 'ended' || (chat.status === 'live' && !mine);
  $('end').textContent = chat.status === 'queued' ? 'Close request' : 'End chat';

  const details = $('chat-details');
  clear(details);
  details.append(linkified(chat.details || '(no details given)'));

  const routing = $('chat-routing');
  clear(routing);
  for (const [key, value] of Object.entries(chat.routing || {})) {
    routing.append(el('div', {}, el('dt', {}, key), el('dd', {}, value)));
  }

  const history = $('history');
  clear(history);
  $('history-block').hidden = !chat.history || chat.history.length === 0;
  for (const entry of chat.history || []) {
    history.append(el('li', {}, el('span', { class: 'who' }, entry.from === 'bot' ? 'Bot' : chat.user.name), linkified(entry.text)));
  }

  renderComposer();
}

export function renderComposer() {
  const chat = state.selected;
  const canWrite = !!chat && chat.status === 'live' && joined(chat);
  const note = $('composer-note');
  if (!chat) return;
  if (chat.status === 'ended') note.textContent = 'This chat has ended.';
  else if (chat.status === 'queued') note.textContent = 'Accept this chat to reply. The user’s messages so far are shown above.';
  else if (!canWrite) note.textContent = 'Join this chat to write in it.';
  else note.textContent = '';
  // An ended chat has nothing to write in: the note alone says so.
  $('composer').classList.toggle('closed', chat.status === 'ended');
  $('text').disabled = !canWrite;
  $('private').disabled = !canWrite;
  $('send').disabled = !canWrite;
  const isNote = $('private').checked;
  // Files always go to the user, so not from a private note.
  $('attach').hidden = !state.files.enabled;
  $('attach').disabled = !canWrite || isNote || state.uploading > 0;
  $('composer').classList.toggle('note', isNote);
  $('send').textContent = isNote ? 'Add note' : 'Send';
  $('text').placeholder = isNote
    ? 'Private note for agents. The user will not see it.'
    : 'Write to the user… (Enter sends, Shift+Enter for a new line)';
}

/** The open chat's messages; `scrollToEnd` for a chat just opened or a message the agent just sent. */
export function renderMessages(scrollToEnd) {
  const chat = state.selected;
  if (!chat) return;
  const list = $('messages');
  const before = list.children.length;
  // Reuse the node of a message that did not change, so its picture is not loaded again and
  // what the agent is reading back does not move.
  const nodes = new Map();
  const wanted = chat.messages.map((m) => {
    const key = JSON.stringify([m, chat.agents]);
    const cached = state.messageNodes.get(m.id);
    const node = cached && cached.key === key ? cached.node : messageItem(chat, m);
    nodes.set(m.id, { key, node });
    return node;
  });
  state.messageNodes = nodes;
  wanted.forEach((node, i) => {
    if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
  });
  while (list.children.length > wanted.length) list.lastChild.remove();
  if (scrollToEnd || state.stick) stickToEnd();
  else if (wanted.length > before) $('jump').hidden = false;
}

// Keep the latest message in view while the agent is at the end of the open chat.
const stickToEnd = stickyLog(state, $('scroller'), $('jump'), () => {
  if (!$('text').disabled) $('text').focus();
});

export function addMessage(chatId, message) {
  if (state.selected && state.selected.id === chatId && !state.selected.messages.some((m) => m.id === message.id)) {
    state.selected.messages.push(message);
    renderMessages(true);
  }
}
