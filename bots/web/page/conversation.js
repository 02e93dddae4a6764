// The conversation as the page holds it: the server's log merged with what the stream brought.

import { state } from './state.js';
import { render } from './messages.js';
import { showTyping } from './events.js';

// ---------------------------------------------------------------------------------------------
// Conversation state
// ---------------------------------------------------------------------------------------------

/**
 * Take the server's log. Entries that arrived over the stream after the log was read (a
 * higher rev) win over the log's copy, so a history load racing an event loses nothing.
 */
export function applyHistory(history) {
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

export function upsert(entry) {
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
