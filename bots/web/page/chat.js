// The web chat page: vanilla JS, no build step. Cards are drawn by the Adaptive Cards renderer
// (window.AdaptiveCards, served from node_modules) from the card JSON the server rendered with
// the same templates Teams gets. Every other piece of text goes on the page with textContent
// (see `el`), never as HTML, and the renderer is told not to process markdown (plain text only).
// What it shares with the agent console page (DOM helpers, API calls, the event stream) is
// `window.LabCommon`, loaded first (/assets/lab-common.js).
'use strict';

(() => {
  const { el, linkified, link, paperclip, stickyLog, ApiError, callApi, setConnection, followEvents } = window.LabCommon;
  const CREDENTIAL_KEY = 'liveAgentChat.credential';
  const TYPING_SHOW_MS = 6000; // how long "is typing…" stays after the last typing event
  const TYPING_SEND_MS = 3000; // at most one typing call per this interval while the user types
  const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp)$/i;

  const $ = (id) => document.getElementById(id);

  const state = {
    config: null,
    credential: '',
    user: null,
    entries: new Map(), // id -> entry (the server's ChatEntry)
    order: [], // entry ids, conversation order
    version: 0, // log version of the last history load
    pending: new Map(), // client id -> { text, files, failed } not yet confirmed by the server
    nodes: new Map(), // entry or pending id -> { rev, node }: cards keep their inputs while others change
    chat: { phase: 'none' },
    attachments: [], // files chosen but not sent: { file, id?, status }
    lastTypingSent: 0,
    typingTimer: 0,
    streamGeneration: 0,
    stream: null,
    stick: true, // the reader is at the end of the conversation: keep them there as it grows
  };

  // ---------------------------------------------------------------------------------------------
  // DOM helpers
  // ---------------------------------------------------------------------------------------------

  /** http(s) URLs and our own paths (`/files/...`) only: never `javascript:` or `data:`. */
  function safeUrl(raw) {
    return window.LabCommon.safeUrl(raw, location.href);
  }

  function timeOf(at) {
    return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function sizeOf(bytes) {
    if (typeof bytes !== 'number') return '';
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }

  /** An id for each send, so a retried POST is recognised (works without a secure context). */
  function newId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function initials(name) {
    const parts = String(name || '?').trim().split(/\s+/);
    return ((parts[0] || '?')[0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
  }

  // ---------------------------------------------------------------------------------------------
  // API
  // ---------------------------------------------------------------------------------------------

  async function api(method, path, body, options) {
    const headers = {};
    if (state.credential) headers.Authorization = `Bearer ${state.credential}`;
    let payload;
    if (options && options.raw) {
      payload = body;
      Object.assign(headers, options.headers);
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    return callApi(`api${path}`, { method, headers, body: payload }, 'Cannot reach the chat server. Check your connection.');
  }

  // ---------------------------------------------------------------------------------------------
  // Sign-in: a token from the embedding site (#token=…), else the stored credential, else a guest.
  // ---------------------------------------------------------------------------------------------

  function tokenFromHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    const token = params.get('token');
    if (token) {
      // Out of the address bar (and history) at once: it is a credential.
      history.replaceState(null, '', location.pathname + location.search);
    }
    return token;
  }

  function browserContext() {
    const context = {};
    try {
      context.timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
    } catch {
      /* no zone */
    }
    if (navigator.language) context.locale = navigator.language;
    return context;
  }

  async function exchange(token) {
    state.credential = '';
    const body = Object.assign(browserContext(), token ? { token } : {});
    let result;
    try {
      result = await api('POST', '/session', body);
    } catch (e) {
      // A browser value the server does not know must not lock the user out.
      if (e.status !== 400) throw e;
      result = await api('POST', '/session', token ? { token } : {});
    }
    state.credential = result.credential;
    localStorage.setItem(CREDENTIAL_KEY, result.credential);
    return result.user;
  }

  async function signIn() {
    const token = tokenFromHash();
    if (token) return exchange(token);
    state.credential = localStorage.getItem(CREDENTIAL_KEY) || '';
    if (state.credential) return null; // checked by the history load
    return startGuest();
  }

  function startGuest() {
    const mode = state.config && state.config.signIn;
    if (mode === 'guest' || mode === 'token_or_guest') return exchange(null);
    throw new ApiError(401, 'unauthorized', 'Open this chat from your company site: it signs you in.');
  }

  function showBlocked(message) {
    $('chat').hidden = true;
    $('blocked').hidden = false;
    $('blocked-text').textContent = message;
    setConnection('offline', 'Signed out');
  }

  $('blocked-retry').addEventListener('click', () => void boot());

  // ---------------------------------------------------------------------------------------------
  // Conversation state
  // ---------------------------------------------------------------------------------------------

  /**
   * Take the server's log. Entries that arrived over the stream after the log was read (a
   * higher rev) win over the log's copy, so a history load racing an event loses nothing.
   */
  function applyHistory(history) {
    const incoming = new Map(history.entries.map((e) => [e.id, e]));
    const order = history.entries.map((e) => e.id);
    for (const id of state.order) {
      const local = state.entries.get(id);
      if (!incoming.has(id) && local && local.rev > history.version) order.push(id);
    }
    for (const [id, entry] of incoming) {
      const local = state.entries.get(id);
      if (!local || local.rev <= entry.rev) state.entries.set(id, entry);
    }
    for (const id of [...state.entries.keys()]) if (!order.includes(id)) state.entries.delete(id);
    state.order = order;
    state.version = Math.max(state.version, history.version);
    if (history.state) state.chat = history.state;
    if (state.chat.phase !== 'live') showTyping(false);
    for (const entry of incoming.values()) if (entry.clientId) state.pending.delete(entry.clientId);
    render();
  }

  function upsert(entry) {
    const known = state.entries.get(entry.id);
    if (known && known.rev >= entry.rev) return;
    state.entries.set(entry.id, entry);
    if (!known) state.order.push(entry.id);
    if (entry.clientId) state.pending.delete(entry.clientId);
    // A new line from the agent or the bot (every end of a chat has one) ends "… is typing".
    if (!known && entry.from !== 'user') showTyping(false);
    render();
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering
  // ---------------------------------------------------------------------------------------------

  function render() {
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
    if (entry.files && entry.files.length) body.append(renderFiles(entry.files));
    return el(
      'li',
      { class: `msg from-${from}${entry.card ? ' has-card' : ''}`, 'data-id': entry.id },
      from === 'user' ? null : avatar(from, entry.agent),
      el('div', { class: 'bubble-wrap' }, el('div', { class: 'meta' }, el('span', { class: 'who' }, who), ' ', el('time', {}, timeOf(entry.at))), body),
    );
  }

  function renderPending(clientId, p) {
    const status = p.failed
      ? el('span', { class: 'failed' }, 'Not sent. ', el('button', { type: 'button', class: 'link', onclick: () => void resend(clientId) }, 'Retry'))
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
      img.addEventListener('error', () => img.replaceWith(el('span', { class: 'avatar initials', 'aria-hidden': 'true' }, initials(agent.name))));
      return img;
    }
    if (from === 'agent') return el('span', { class: 'avatar initials agent', 'aria-hidden': 'true' }, initials(agent && agent.name));
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
        list.append(el('li', { class: 'file' }, link(url, el('span', { class: 'file-name' }, paperclip(), file.name)), file.size !== undefined ? el('span', { class: 'muted' }, ` ${sizeOf(file.size)}`) : null));
      }
    }
    return list;
  }

  // ---------------------------------------------------------------------------------------------
  // Adaptive Cards: the server's card JSON, drawn by the official renderer.
  // ---------------------------------------------------------------------------------------------

  let hostConfig = null;

  function cardsReady() {
    if (!window.AdaptiveCards) return false;
    if (!hostConfig) {
      // Plain text only: markdown would be turned into HTML, and message text is never HTML here.
      window.AdaptiveCards.AdaptiveCard.onProcessMarkdown = (_text, result) => {
        result.didProcess = false;
      };
      hostConfig = new window.AdaptiveCards.HostConfig({
        fontFamily: 'inherit',
        spacing: { small: 4, default: 8, medium: 12, large: 16, extraLarge: 24, padding: 12 },
        actions: { maxActions: 6, spacing: 'default', buttonSpacing: 8, actionsOrientation: 'horizontal', actionAlignment: 'left', showCard: { actionMode: 'inline' } },
        containerStyles: {
          default: { backgroundColor: '#FFFFFF', foregroundColors: { default: { default: '#1F2328', subtle: '#59636E' }, accent: { default: '#0B5CAD', subtle: '#0B5CAD' }, good: { default: '#1A7F37', subtle: '#1A7F37' }, attention: { default: '#CF222E', subtle: '#CF222E' } } },
        },
      });
    }
    return true;
  }

  function renderCard(entry) {
    const wrapper = el('div', { class: 'card' });
    if (!cardsReady()) {
      wrapper.append(el('p', { class: 'text' }, entry.cardText || 'This card cannot be shown.'));
      return wrapper;
    }
    try {
      const card = new window.AdaptiveCards.AdaptiveCard();
      card.hostConfig = hostConfig;
      card.onExecuteAction = (action) => void onCardAction(entry, action, wrapper);
      card.parse(entry.card);
      const rendered = card.render();
      if (!rendered) throw new Error('nothing rendered');
      wrapper.append(rendered);
    } catch (e) {
      console.warn('chat: card could not be drawn', e);
      wrapper.append(el('p', { class: 'text' }, entry.cardText || 'This card cannot be shown.'));
    }
    return wrapper;
  }

  async function onCardAction(entry, action, wrapper) {
    const type = action.getJsonTypeName();
    if (type === 'Action.OpenUrl') {
      const url = safeUrl(action.url);
      if (url) window.open(url, '_blank', 'noopener,noreferrer');
      return;
    }
    if (type !== 'Action.Submit' && type !== 'Action.Execute') return;
    if (wrapper.classList.contains('busy')) return;
    // The renderer has checked required inputs and merged their values into `data`.
    wrapper.classList.add('busy');
    const release = setTimeout(() => wrapper.classList.remove('busy'), 5000);
    try {
      await api('POST', '/actions', { id: newId(), messageId: entry.id, data: action.data || {} });
      setError('');
      // Done with the card: back to the message box, so the user can go on typing.
      $('text').focus();
    } catch (e) {
      clearTimeout(release);
      wrapper.classList.remove('busy');
      setError(e.message);
      if (e.status === 401) void reauthenticate();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Hint and typing
  // ---------------------------------------------------------------------------------------------

  function renderHint() {
    const stop = (state.config && state.config.stopPhrase) || 'stop chat';
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

  function showTyping(on, name) {
    clearTimeout(state.typingTimer);
    $('typing').textContent = on ? `${typeof name === 'string' && name ? name : 'The agent'} is typing…` : '';
    if (on) state.typingTimer = setTimeout(() => ($('typing').textContent = ''), TYPING_SHOW_MS);
  }

  // ---------------------------------------------------------------------------------------------
  // Live updates: Server-Sent Events read with fetch, so the Authorization header can be sent.
  // ---------------------------------------------------------------------------------------------

  function runEvents() {
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
        showTyping(!(data && data.on === false), data && data.agent);
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sending: text, files (paperclip, drag and drop, paste), typing
  // ---------------------------------------------------------------------------------------------

  function setError(message) {
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

  function resend(clientId) {
    const p = state.pending.get(clientId);
    if (!p) return;
    p.failed = false;
    render();
    return deliver(clientId);
  }

  async function uploadFile(file) {
    const maxBytes = state.config && state.config.files.maxBytes;
    if (maxBytes && file.size > maxBytes) throw new ApiError(413, 'too_large', `"${file.name}" is larger than ${sizeOf(maxBytes)}.`);
    const result = await api('POST', '/files', file, {
      raw: true,
      headers: { 'Content-Type': file.type || 'application/octet-stream', 'X-File-Name': encodeURIComponent(file.name || 'file') },
    });
    return result.file;
  }

  function addFiles(fileList) {
    const files = Array.from(fileList || []);
    if (files.length === 0) return;
    if (state.config && !state.config.files.enabled) {
      setError('Sending files is turned off here.');
      return;
    }
    for (const file of files) state.attachments.push({ file, status: 'ready' });
    renderAttachments();
    $('text').focus();
  }

  function renderAttachments() {
    const list = $('attachments');
    list.replaceChildren(
      ...state.attachments.map((a, i) =>
        el(
          'li',
          { class: 'chip' },
          el('span', { class: 'file-name' }, paperclip(), `${a.file.name} `),
          el('span', { class: 'muted' }, sizeOf(a.file.size)),
          el('button', { type: 'button', class: 'chip-x', 'aria-label': `Remove ${a.file.name}`, onclick: () => removeAttachment(i) }, '×'),
        ),
      ),
    );
  }

  function removeAttachment(index) {
    state.attachments.splice(index, 1);
    renderAttachments();
  }

  function typing() {
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

  // Keep the latest message in view while the reader is at the end of the conversation.
  const scrollToBottom = stickyLog(state, $('scroller'), $('jump'), () => $('text').focus());

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
  $('attach').addEventListener('click', () => $('file-input').click());
  $('file-input').addEventListener('change', (event) => {
    addFiles(event.target.files);
    event.target.value = '';
  });
  $('text').addEventListener('paste', (event) => {
    const files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) {
      event.preventDefault();
      addFiles(files);
    }
  });
  let dragDepth = 0;
  const chatPane = $('chat');
  chatPane.addEventListener('dragenter', (event) => {
    if (!event.dataTransfer || !Array.from(event.dataTransfer.types).includes('Files')) return;
    dragDepth++;
    $('drop').hidden = false;
  });
  chatPane.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) $('drop').hidden = true;
  });
  chatPane.addEventListener('dragover', (event) => event.preventDefault());
  chatPane.addEventListener('drop', (event) => {
    event.preventDefault();
    dragDepth = 0;
    $('drop').hidden = true;
    addFiles(event.dataTransfer && event.dataTransfer.files);
  });

  // ---------------------------------------------------------------------------------------------
  // Start-up
  // ---------------------------------------------------------------------------------------------

  /** The stored sign-in stopped working: a guest starts over, a token user must come back via the site. */
  async function reauthenticate() {
    localStorage.removeItem(CREDENTIAL_KEY);
    state.credential = '';
    state.streamGeneration++;
    if (state.stream) state.stream.abort();
    try {
      await startGuest();
      await loadAndFollow();
    } catch (e) {
      showBlocked(e.message);
    }
  }

  async function loadAndFollow() {
    let history;
    try {
      history = await api('GET', '/history');
    } catch (e) {
      if (e.status !== 401) throw e;
      localStorage.removeItem(CREDENTIAL_KEY);
      await startGuest();
      history = await api('GET', '/history');
    }
    state.user = history.user;
    $('me').textContent = history.user.guest ? `${history.user.name} (guest)` : history.user.name;
    $('me').title = $('me').textContent; // cut with an ellipsis when the bar is narrow
    $('blocked').hidden = true;
    $('chat').hidden = false;
    applyHistory(history);
    scrollToBottom();
    $('text').focus();
    void runEvents();
  }

  async function boot() {
    setConnection('connecting', 'Connecting…');
    try {
      state.config = await api('GET', '/config');
      $('title').textContent = state.config.title;
      $('title').title = state.config.title;
      document.title = state.config.title;
      await signIn();
      await loadAndFollow();
    } catch (e) {
      showBlocked(e.message);
    }
  }

  void boot();
})();
