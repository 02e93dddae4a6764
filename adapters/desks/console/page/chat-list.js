// The sidebar: the chats grouped as queue, live and recent, with unread counts in the tab title,
// and Alt+Up / Alt+Down to move between them.

import { LONG_WAIT_MS, state } from './state.js';
import { timeOf, waited } from './format.js';
import { select } from './events.js';
const { el } = window.LabCommon;

// ---------------------------------------------------------------------------------------------
// Rendering: the list
// ---------------------------------------------------------------------------------------------

export function joined(chat) {
  return !!state.me && chat.agents.some((a) => a.id === state.me.id);
}

export function renderList() {
  const all = [...state.chats.values()];
  const groups = {
    // The queue reads oldest first: whoever has waited longest is served first.
    queued: all.filter((c) => c.status === 'queued').sort((a, b) => a.createdAt - b.createdAt),
    // Live: my chats first, then the rest, newest first.
    live: all.filter((c) => c.status === 'live').sort((a, b) => Number(joined(b)) - Number(joined(a)) || b.createdAt - a.createdAt),
    ended: all.filter((c) => c.status === 'ended').sort((a, b) => (b.endedAt || 0) - (a.endedAt || 0)),
  };
  for (const [group, chats] of Object.entries(groups)) {
    const section = document.querySelector(`.group[data-group="${group}"]`);
    const count = section.querySelector('.count');
    count.textContent = String(chats.length);
    if (chats.length === 0) count.dataset.zero = '';
    else delete count.dataset.zero;
    section.querySelector('.empty').hidden = chats.length > 0;
    const list = section.querySelector('.chat-list');
    list.replaceChildren(...chats.map((c) => el('li', {}, listItem(c))));
  }
  // The tab title tells an agent working elsewhere that someone waits or wrote.
  const waiting = groups.queued.length;
  let unseen = 0;
  for (const [id, n] of state.unread) if (state.chats.has(id) && state.chats.get(id).status !== 'queued') unseen += n;
  const counts = [waiting > 0 ? `${waiting} waiting` : '', unseen > 0 ? `${unseen} new` : ''].filter(Boolean);
  document.title = counts.length ? `(${counts.join(' · ')}) Agent console` : 'Agent console';
}

function listItem(chat) {
  const current = state.selected && state.selected.id === chat.id;
  const when = chat.status === 'queued' ? waited(chat.createdAt) : timeOf(chat.endedAt || chat.acceptedAt || chat.createdAt);
  const sub = [chat.user.name, chat.topic?.label].filter(Boolean).join(' · ');
  const last = chat.lastMessage;
  const preview = last
    ? `${last.from === 'agent' ? `${last.agentName || 'Agent'}${last.private ? ' (note)' : ''}: ` : last.from === 'system' ? '' : `${chat.user.name}: `}${last.text}`
    : '';
  const unread = state.unread.has(chat.id) && !current ? state.unread.get(chat.id) : -1;
  const longWait = chat.status === 'queued' && Date.now() - chat.createdAt >= LONG_WAIT_MS;
  return el(
    'button',
    {
      type: 'button',
      class: `chat-item${unread >= 0 ? ' has-unread' : ''}`,
      'aria-current': current ? 'true' : 'false',
      'data-id': chat.id,
      onclick: () => void select(chat.id),
    },
    el(
      'div',
      { class: 'row' },
      unread > 0
        ? el(
            'span',
            { class: 'unread', title: `${unread} new message${unread === 1 ? '' : 's'}` },
            String(unread),
            el('span', { class: 'sr-only' }, ' new'),
          )
        : unread === 0
          ? el('span', { class: 'unread dot', title: 'New' }, el('span', { class: 'sr-only' }, 'New'))
          : null,
      el('span', { class: 'title' }, chat.title || '(no title)'),
      el('span', { class: `when${longWait ? ' long' : ''}` }, when),
    ),
    el('div', { class: 'sub' }, sub, joined(chat) ? el('span', { class: 'mine' }, ' · yours') : null),
    preview ? el('div', { class: 'preview' }, preview) : null,
  );
}

// Alt+Up / Alt+Down: the previous / next chat in the list, without reaching for the mouse.
document.addEventListener('keydown', (event) => {
  if (!event.altKey || (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') || !state.me) return;
  const ids = [...document.querySelectorAll('.chat-item')].map((b) => b.dataset.id);
  if (ids.length === 0) return;
  event.preventDefault();
  const at = state.selected ? ids.indexOf(state.selected.id) : -1;
  const next = event.key === 'ArrowDown' ? Math.min(ids.length - 1, at + 1) : Math.max(0, at - 1);
  if (ids[next] && (!state.selected || ids[next] !== state.selected.id)) void select(ids[next]);
});

// Keep "waited 3 min" fresh.
setInterval(() => {
  if (state.me) renderList();
}, 30000);
