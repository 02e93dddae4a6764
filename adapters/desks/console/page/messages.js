// One message of the open chat as a list item: name, avatar, time, text and files.
// Every piece of user or agent text goes on the page with textContent (see `el`), never as HTML.

import { state, THUMBNAIL_TYPES } from './state.js';
import { formatBytes, timeOf } from './format.js';
const { el, linkified, safeUrl, link, paperclip } = window.LabCommon;

export function messageItem(chat, m) {
  if (m.from === 'system') {
    return el('li', { class: 'msg system' }, el('div', { class: 'body' }, `${m.text} · ${timeOf(m.at)}`));
  }
  const isAgent = m.from === 'agent';
  const mine = isAgent && state.me && m.agentId === state.me.id;
  const classes = ['msg', m.from, mine ? 'mine' : '', m.private ? 'note' : ''].filter(Boolean).join(' ');
  const name = isAgent ? m.agentName || 'Agent' : chat.user.name;
  return el(
    'li',
    { class: classes },
    el(
      'div',
      { class: 'meta' },
      isAgent ? agentAvatar(chat, m) : null,
      el('span', { class: 'name' }, name),
      timeOf(m.at),
      m.private ? el('span', { class: 'tag' }, 'Note, not sent to the user') : null,
    ),
    el('div', { class: 'body' }, linkified(m.text), filesOf(m)),
    m.undelivered ? el('p', { class: 'failed' }, 'May not have reached the user.') : null,
  );
}

/** The agent's picture beside their name (several agents may write in one chat); initials without one. */
function agentAvatar(chat, m) {
  const agent = chat.agents.find((a) => a.id === m.agentId);
  const initials = el('span', { class: 'avatar initials', 'aria-hidden': 'true' }, initialsOf(m.agentName || agent?.name || 'A'));
  const url = agent?.avatarUrl && safeUrl(agent.avatarUrl);
  if (!url) return initials;
  const img = el('img', { class: 'avatar', alt: '', width: 20, height: 20, referrerpolicy: 'no-referrer' });
  img.addEventListener('error', () => img.replaceWith(initials));
  img.src = url;
  return img;
}

function initialsOf(name) {
  const parts = String(name).trim().split(/\s+/);
  return ((parts[0] || '?')[0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}

function filesOf(m) {
  if (!m.files || m.files.length === 0) return null;
  return el('ul', { class: 'files' }, m.files.map(fileItem));
}

/** A file: an image as a thumbnail (its link opens it), anything else as a link; name and size. */
function fileItem(f) {
  const url = f.url && safeUrl(f.url);
  const size = typeof f.size === 'number' ? el('span', { class: 'size' }, formatBytes(f.size)) : null;
  if (!url) return el('li', { class: 'file' }, el('span', {}, paperclip(), `${f.name} (not available here)`, size));
  const name = el('span', {}, link(url, el('span', { class: 'file-name' }, paperclip(), f.name)), size);
  if (!THUMBNAIL_TYPES.test(f.contentType || '')) return el('li', { class: 'file' }, name);
  const thumbLink = link(url, '');
  thumbLink.className = 'thumb-link';
  thumbLink.title = f.name;
  const img = el('img', { class: 'thumb', alt: f.name, loading: 'lazy', referrerpolicy: 'no-referrer' });
  // An expired link: keep the name, drop the broken picture.
  img.addEventListener('error', () => thumbLink.remove());
  img.src = url;
  thumbLink.append(img);
  return el('li', { class: 'file' }, thumbLink, name);
}
