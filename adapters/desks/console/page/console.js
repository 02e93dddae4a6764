// The agent console page: vanilla JS ES modules, no build step. This entry loads the page's parts
// (each registers its own listeners) and signs in with a saved token. What it shares with the web
// chat page (DOM helpers, API calls, the event stream) is `window.LabCommon`, loaded first
// (/assets/lab-common.js). Every piece of user or agent text is put on the page with textContent
// (see `el`), never as HTML.

import { $, state } from './state.js';
import { signIn, signOut } from './session.js';
// The parts that only listen (the sidebar's keys, the composer, file drops) are loaded for that.
import './chat-list.js';
import './composer.js';
import './uploads.js';

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
