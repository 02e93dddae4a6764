// The web chat page's settings and the one state object every part of it reads and updates.
// The page is ES modules (index.html loads chat.js as type="module"), vanilla JS, no build step.

export const CREDENTIAL_KEY = 'liveAgentChat.credential';
export const TYPING_SHOW_MS = 6000; // how long "is typing…" stays after the last typing event
export const TYPING_SEND_MS = 3000; // at most one typing call per this interval while the user types
export const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp)$/i;

export const $ = (id) => document.getElementById(id);

export const state = {
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
