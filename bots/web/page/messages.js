// Drawing the conversation: entries and pending sends as list items, kept in order without
// re-creating the ones that did not change. Text goes on the page with textContent (see `el`).

import { $, IMAGE_TYPES, state } from './state.js';
import { initials, safeUrl, sizeOf, timeOf } from './format.js';
import { renderCard } from './cards.js';
import { renderHint } from './events.js';
import { resend } from './composer.js';
const { el, linkified, link, paperclip, stickyLog } = window.LabCommon;

// ---------------------------------------------------------------------------------------------

export function render() {
  const list = $('messages');
  const wanted = [];
  for (const id of state.order) {
    const entry = state.entries.get(id);
    if (entry) wanted.push(nodeFor(id, entry.rev, () => renderEntry(entry)));
  }
  for (const [clientId, p] of state.pending) {
    wanted.push(nodeFor(`pending:${clientId}`, p.failed ? 1 : 0, () => renderPending(clientId, p)));
  }
  const before = list.children.length;
  // Put nodes in order without re-creating (or moving) the ones already in place, so a card
  // the user is filling in keeps its inputs and focus while messages arrive.
  wanted.forEach((node, i) => {
    if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null);
  });
  while (list.children.length > wanted.length) list.lastChild.remove();
  const live = new Set(wanted);
  for (const [key, cached] of state.nodes) if (!live.has(cached.node)) state.nodes.delete(key);
  $('empty').hidden = wanted.length > 0;
  renderHint();
  if (state.stick) scrollToBottom();
  else if (wanted.length > before) $('jump').hidden = false; // new below while reading back
}

function nodeFor(key, rev, make) {
  const cached = state.nodes.get(key);
  if (cached && cached.rev === rev) return cached.node;
  const node = make();
  state.nodes.set(key, { rev, node });
  return node;
}

function renderEntry(entry) {
  const from = entry.from;
  const who = from === 'agent' && entry.agent ? entry.agent.name : from === 'bot' ? 'Bot' : 'You';
  const body = el('div', { class: 'body' });
  if (entry.card) body.append(renderCard(entry));
  if (entry.text) body.append(el('p', { class: 'text' }, linkified(entry.text)));
  if (entry.files?.length) body.append(renderFiles(entry.files));
  return el(
    'li',
    { class: `msg from-${from}${entry.card ? ' has-card' : ''}`, 'data-id': entry.id },
    from === 'user' ? null : avatar(from, entry.agent),
    el(
      'div',
      { class: 'bubble-wrap' },
      el('div', { class: 'meta' }, el('span', { class: 'who' }, who), ' ', el('time', {}, timeOf(entry.at))),
      body,
    ),
  );
}

function renderPending(clientId, p) {
  const status = p.failed
    ? el(
        'span',
        { class: 'failed' },
        'Not sent. ',
        el('button', { type: 'button', class: 'link', onclick: () => void resend(clientId) }, 'Retry'),
      )
    : el('span', { class: 'sending' }, 'Sending…');
  return el(
    'li',
    { class: 'msg from-user pending' },
    el(
      'div',
      { class: 'bubble-wrap' },
      el('div', { class: 'meta' }, el('span', { class: 'who' }, 'You'), ' ', status),
      el(
        'div',
        { class: 'body' },
        p.text ? el('p', { class: 'text' }, p.text) : null,
        p.files.length ? el('p', { class: 'text muted' }, p.files.map((f) => `📎 ${f.name}`).join('  ')) : null,
      ),
    ),
  );
}

function avatar(from, agent) {
  if (from === 'agent' && agent && agent.avatarUrl && safeUrl(agent.avatarUrl)) {
    const img = el('img', { class: 'avatar', alt: '', width: 32, height: 32 });
    img.src = agent.avatarUrl;
    img.addEventListener('error', () =>
      img.replaceWith(el('span', { class: 'avatar initials', 'aria-hidden': 'true' }, initials(agent.name))),
    );
    return img;
  }
  if (from === 'agent') return el('span', { class: 'avatar initials agent', 'aria-hidden': 'true' }, initials(agent?.name));
  return el('span', { class: 'avatar initials bot', 'aria-hidden': 'true' }, '?');
}

function renderFiles(files) {
  const list = el('ul', { class: 'files' });
  for (const file of files) {
    const url = safeUrl(file.url);
    if (!url) continue;
    if (IMAGE_TYPES.test(file.contentType)) {
      const img = el('img', { class: 'thumb', alt: file.name, loading: 'lazy' });
      img.src = url;
      const a = link(url, img);
      list.append(el('li', { class: 'file image' }, a));
    } else {
      list.append(
        el(
          'li',
          { class: 'file' },
          link(url, el('span', { class: 'file-name' }, paperclip(), file.name)),
          file.size !== undefined ? el('span', { class: 'muted' }, ` ${sizeOf(file.size)}`) : null,
        ),
      );
    }
  }
  return list;
}

// Keep the latest message in view while the reader is at the end of the conversation.
export const scrollToBottom = stickyLog(state, $('scroller'), $('jump'), () => $('text').focus());
