// The console page's settings and the one state object every part of it reads and updates.
// The page is ES modules (index.html loads console.js as type="module"), vanilla JS, no build step.

export const TOKEN_KEY = 'liveAgentConsole.token';
export const TYPING_SHOW_MS = 6000; // how long "is typing…" stays after the last typing event
export const TYPING_SEND_MS = 3000; // at most one typing call per this interval while the agent types
// A caption travels in the upload's URL; a longer one goes as its own message first.
export const MAX_CAPTION_URL_CHARS = 4000;
// Shown as thumbnails; every other type is a link.
export const THUMBNAIL_TYPES = /^image\/(png|jpeg|gif|webp)$/i;
// A queued request waiting this long is marked in the list.
export const LONG_WAIT_MS = 2 * 60 * 1000;

export const $ = (id) => document.getElementById(id);

export const state = {
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
