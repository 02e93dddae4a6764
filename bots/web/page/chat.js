// The web chat page: vanilla JS ES modules, no build step. This entry loads the page's parts (each
// registers its own listeners), signs the user in and follows the conversation. Cards are drawn by
// the Adaptive Cards renderer (cards.js); every other piece of text goes on the page with
// textContent (see `el`), never as HTML. What it shares with the agent console page (DOM helpers,
// API calls, the event stream) is `window.LabCommon`, loaded first (/assets/lab-common.js).

import { $, CREDENTIAL_KEY, state } from './state.js';
import { api, showBlocked, signIn, startGuest } from './session.js';
import { applyHistory } from './conversation.js';
import { scrollToBottom } from './messages.js';
import { runEvents } from './events.js';
// The parts that only listen (the text box, the paperclip and file drops) are loaded for that.
import './composer.js';
import './attachments.js';
const { setConnection } = window.LabCommon;

$('blocked-retry').addEventListener('click', () => void boot());

// ---------------------------------------------------------------------------------------------
// Start-up
// ---------------------------------------------------------------------------------------------

/** The stored sign-in stopped working: a guest starts over, a token user must come back via the site. */
export async function reauthenticate() {
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
