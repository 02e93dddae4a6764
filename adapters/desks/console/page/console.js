// The agent console page: vanilla JS, no build step. What it shares with the web chat page
// (DOM helpers, API calls, the event stream) is `window.LabCommon`, loaded first (/assets/lab-common.js).
// Every piece of user or agent text is put on the page with textContent (see `el`), never as HTML.
'use strict';

(() => {
  const { el, linkified, safeUrl, link, paperclip, stickyLog, callApi, setConnection, followEvents } = window.LabCommon;
  const TOKEN_KEY = 'liveAgentConsole.token';
  const TYPING_SHOW_MS = 6000; // how long "is typing…" stays after the last typing event
  const TYPING_SEND_MS = 3000; // at most one typing call per this interval while the agent types
  // A caption travels in the upload's URL; a longer one goes as its own message first.
  const MAX_CAPTION_URL_CHARS = 4000;
  // Shown as thumbnails; every other type is a link.
  const THUMBNAIL_TYPES = /^image\/(png|jpeg|gif|webp)$/i;
  // A queued request waiting this long is marked in the list.
  const LONG_WAIT_MS = 2 * 60 * 1000;

  const $ = (id) => document.getElementById(id);

  const state = {
    token: localStorage.getItem(TOKEN_KEY) || '',
    me: null,
    chats: new Map(), // id -> summary
    selected: null, // the full chat shown in the pane
    unread: new Map(), // chat id -> messages from the user (or other agents) not seen yet; 0: a new request
    drafts: new Map(), // chat id -> unsent text, so a reply never lands in another chat
    typingTimer: 0,
    lastTypingSent: 0,
    outgoing: null, // { chatId, text, private, key }: the message last sent and not yet answered
    stream: null, // AbortController of the open event stream
    streamGeneration: 0,
    files: { enabled: false, maxBytes: 0, allowedTypes: [] }, // from GET /api/settings
    uploading: 0,
    stick: true, // the agent is at the end of the open chat: keep them there as it grows
    messageNodes: new Map(), // message id -> { key, node } of the open chat, so pictures are not reloaded
  };

  // ---------------------------------------------------------------------------------------------
  // DOM helpers
  // ---------------------------------------------------------------------------------------------

  function clear(node) {
    node.replaceChildren();
  }

  function timeOf(at) {
    const d = new Date(at);
    const sameDay = d.toDateString() === new Date().toDateString();
    const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return sameDay ? time : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
  }

  function waited(since) {
    const minutes = Math.floor((Date.now() - since) / 60000);
    if (minutes < 1) return 'just now';
    if (minutes < 60) return `${minutes} min`;
    return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }

  // ---------------------------------------------------------------------------------------------
  // API
  // ---------------------------------------------------------------------------------------------

  /** JSON `body`, or `raw: { body: Blob, type }` sent as it is (file uploads). */
  async function api(method, path, body, raw, extraHeaders) {
    const headers = { ...extraHeaders, Authorization: `Bearer ${state.token}` };
    let payload;
    if (raw) {
      headers['Content-Type'] = raw.type;
      payload = raw.body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    return callApi(`api${path}`, { method, headers, body: payload }, 'Cannot reach the server. Check your connection.', (status) => {
      if (status === 401 && path !== '/me') signOut('Your sign-in is no longer valid. Sign in again.');
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Sign-in
  // ---------------------------------------------------------------------------------------------

  async function signIn(token) {
    state.token = token;
    try {
      state.me = await api('GET', '/me');
    } catch (e) {
      state.token = '';
      throw e;
    }
    localStorage.setItem(TOKEN_KEY, token);
    $('login').hidden = true;
    $('app').hidden = false;
    $('me').textContent = state.me.name;
    $('me').title = state.me.name; // a long name is cut with an ellipsis on a narrow bar
    try {
      state.files = (await api('GET', '/settings')).files;
    } catch {
      state.files = { enabled: false, maxBytes: 0, allowedTypes: [] };
    }
    void runEvents();
  }

  /** Back to the sign-in form; `keepToken` when the server was only unreachable. */
  function signOut(message, keepToken) {
    if (!keepToken) localStorage.removeItem(TOKEN_KEY);
    state.token = '';
    state.me = null;
    state.streamGeneration++;
    if (state.stream) state.stream.abort();
    state.chats.clear();
    state.selected = null;
    state.unread.clear();
    state.drafts.clear();
    $('app').hidden = true;
    $('login').hidden = false;
    $('token').value = '';
    $('login-error').textContent = message || '';
    $('token').focus();
    document.title = 'Agent console';
  }

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = $('token').value.trim();
    $('login-error').textContent = '';
    if (!token) {
      $('login-error').textContent = 'Enter your agent token.';
      return;
    }
    try {
      await signIn(token);
    } catch (e) {
      $('login-error').textContent = e.status === 401 ? 'That token was not accepted.' : e.message;
    }
  });

  $('sign-out').addEventListener('click', () => signOut(''));

  // ---------------------------------------------------------------------------------------------
  // Live updates: Server-Sent Events read with fetch, so the Authorization header can be sent.
  // ---------------------------------------------------------------------------------------------

  function runEvents() {
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
      summary.lastMessage = { from: message.from, agentName: message.agentName, text: previewText(message), private: message.private, at: message.at };
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

  async function select(chatId) {
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
    const id = state.selected && state.selected.id;
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

  function toastInPane(message) {
    $('composer-error').textContent = message;
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering: the list
  // ---------------------------------------------------------------------------------------------

  function joined(chat) {
    return !!state.me && chat.agents.some((a) => a.id === state.me.id);
  }

  function renderList() {
    const all = [...state.chats.values()];
    const groups = {
      // The queue reads oldest first: whoever has waited longest is served first.
      queued: all.filter((c) => c.status === 'queued').sort((a, b) => a.createdAt - b.createdAt),
      // Live: my chats first, then the rest, newest first.
      live: all
        .filter((c) => c.status === 'live')
        .sort((a, b) => Number(joined(b)) - Number(joined(a)) || b.createdAt - a.createdAt),
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
    const sub = [chat.user.name, chat.topic && chat.topic.label].filter(Boolean).join(' · ');
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
          ? el('span', { class: 'unread', title: `${unread} new message${unread === 1 ? '' : 's'}` }, String(unread), el('span', { class: 'sr-only' }, ' new'))
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
    const firstLine = (chat.details || '').split(/\r?\n/).map((line) => line.trim()).find(Boolean) || '';
    const cut = title.endsWith('...') ? title.slice(0, -3) : undefined;
    if (cut && firstLine.length > cut.length && firstLine.startsWith(cut)) return firstLine;
    return title || '(no title)';
  }

  function renderChat() {
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
    status.textContent = chat.status === 'queued' ? 'Waiting' : chat.status === 'live' ? 'Live' : `Ended${chat.endedReason ? ` (${reasonText(chat.endedReason)})` : ''}`;

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
      history.append(
        el('li', {}, el('span', { class: 'who' }, entry.from === 'bot' ? 'Bot' : chat.user.name), linkified(entry.text)),
      );
    }

    renderComposer();
  }

  function renderComposer() {
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
  function renderMessages(scrollToEnd) {
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

  function messageItem(chat, m) {
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
    const initials = el('span', { class: 'avatar initials', 'aria-hidden': 'true' }, initialsOf(m.agentName || (agent && agent.name) || 'A'));
    const url = agent && agent.avatarUrl && safeUrl(agent.avatarUrl);
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

  function previewText(message) {
    if (message.text.trim() === '' && message.files && message.files.length) return message.files.map((f) => `📎 ${f.name}`).join(', ');
    return message.text;
  }

  /** "2.5 MB", as the server words its limits. */
  function formatBytes(bytes) {
    if (bytes < 1024) return `${bytes} bytes`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
    return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
  }

  function typeAllowed(type, allowed) {
    if (!allowed || allowed.length === 0) return true;
    const t = type.toLowerCase();
    return allowed.some((a) => {
      const p = a.toLowerCase();
      return p.endsWith('/*') ? t.startsWith(p.slice(0, -1)) : t === p;
    });
  }

  function surfaceName(surface) {
    return { teams: 'Microsoft Teams', slack: 'Slack', web: 'web chat' }[surface] || surface;
  }

  function reasonText(reason) {
    return (
      {
        user_stopped: 'the user ended it',
        user_cancelled: 'the user cancelled',
        agent_ended: 'an agent ended it',
        queue_timeout: 'nobody accepted in time',
        desk_error: 'an error',
      }[reason] || reason
    );
  }

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
  async function sendMessage(chatId, text, isPrivate) {
    const key = messageKey(chatId, text, isPrivate);
    try {
      const message = await api('POST', `/chats/${encodeURIComponent(chatId)}/messages`, { text, private: isPrivate }, undefined, { 'Idempotency-Key': key });
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

  // ---------------------------------------------------------------------------------------------
  // Files: the paperclip, drag and drop, pasted images. The text being written goes along as the
  // file's caption.
  // ---------------------------------------------------------------------------------------------

  function canSendFiles() {
    const chat = state.selected;
    return !!chat && chat.status === 'live' && joined(chat) && state.files.enabled && !$('private').checked;
  }

  /** Why this file cannot be sent, checked here first for a quick answer (the server checks too). */
  function fileProblem(file) {
    if (file.size === 0) return `"${file.name}" is empty.`;
    if (file.size > state.files.maxBytes) return `"${file.name}" is too large: ${formatBytes(state.files.maxBytes)} at most.`;
    const type = file.type || 'application/octet-stream';
    if (!typeAllowed(type, state.files.allowedTypes)) return `Files of type ${type} cannot be sent. Allowed: ${state.files.allowedTypes.join(', ')}.`;
    return '';
  }

  async function sendFiles(files) {
    const chat = state.selected;
    if (!chat || files.length === 0) return;
    if (!canSendFiles()) {
      $('composer-error').textContent = $('private').checked ? 'Files cannot be private notes: untick "Private note" first.' : 'You cannot send files in this chat now.';
      return;
    }
    $('composer-error').textContent = '';
    let caption = $('text').value.trim() ? $('text').value : '';
    for (const file of files) {
      const problem = fileProblem(file);
      if (problem) {
        $('composer-error').textContent = problem;
        continue;
      }
      state.uploading++;
      renderComposer();
      $('upload-status').textContent = `Sending ${file.name} (${formatBytes(file.size)})…`;
      try {
        if (caption && encodeURIComponent(caption).length > MAX_CAPTION_URL_CHARS) {
          addMessage(chat.id, await sendMessage(chat.id, caption, false));
          caption = '';
        }
        const params = new URLSearchParams({ name: file.name });
        if (caption) params.set('text', caption);
        const message = await api('POST', `/chats/${encodeURIComponent(chat.id)}/files?${params}`, undefined, {
          body: file,
          type: file.type || 'application/octet-stream',
        });
        addMessage(chat.id, message);
        if (caption) {
          caption = '';
          state.drafts.delete(chat.id);
          if (state.selected && state.selected.id === chat.id) $('text').value = '';
        }
      } catch (e) {
        if (e.status === 502 && caption && state.selected && state.selected.id === chat.id) $('text').value = '';
        $('composer-error').textContent = e.status === 502 ? e.message : `"${file.name}" was not sent: ${e.message}`;
      } finally {
        state.uploading--;
        $('upload-status').textContent = '';
        renderComposer();
      }
    }
  }

  function addMessage(chatId, message) {
    if (state.selected && state.selected.id === chatId && !state.selected.messages.some((m) => m.id === message.id)) {
      state.selected.messages.push(message);
      renderMessages(true);
    }
  }

  $('attach').addEventListener('click', () => $('file').click());
  $('file').addEventListener('change', () => {
    const files = [...$('file').files];
    $('file').value = '';
    void sendFiles(files);
  });

  const hasFiles = (event) => !!event.dataTransfer && [...event.dataTransfer.types].includes('Files');
  $('chat').addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = canSendFiles() ? 'copy' : 'none';
    $('chat').classList.toggle('dropping', canSendFiles());
  });
  $('chat').addEventListener('dragleave', (event) => {
    if (!$('chat').contains(event.relatedTarget)) $('chat').classList.remove('dropping');
  });
  $('chat').addEventListener('drop', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    $('chat').classList.remove('dropping');
    void sendFiles([...event.dataTransfer.files]);
  });
  // A pasted screenshot is sent; pasted text (even with a picture of it, as Office copies) is text.
  $('text').addEventListener('paste', (event) => {
    const data = event.clipboardData;
    const files = data ? [...data.files] : [];
    if (files.length === 0 || data.getData('text/plain') || !canSendFiles()) return;
    event.preventDefault();
    void sendFiles(files);
  });
  // A file dropped anywhere else must not replace the console with the file.
  window.addEventListener('dragover', (event) => {
    if (hasFiles(event) && !$('chat').contains(event.target)) event.preventDefault();
  });
  window.addEventListener('drop', (event) => {
    if (hasFiles(event) && !$('chat').contains(event.target)) event.preventDefault();
  });

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

  // ---------------------------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------------------------

  if (state.token) {
    const saved = state.token;
    signIn(saved).catch((e) => {
      signOut(e.status === 401 ? 'Your sign-in is no longer valid. Sign in again.' : e.message, e.status !== 401);
      if (e.status !== 401) $('token').value = saved;
    });
  } else {
    signOut('');
  }
})();
