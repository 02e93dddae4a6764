// Calls to the console API with the agent's token, and signing in and out with it.

import { $, state, TOKEN_KEY } from './state.js';
import { runEvents } from './events.js';
const { callApi } = window.LabCommon;

/** JSON `body`, or `raw: { body: Blob, type }` sent as it is (file uploads). */
export async function api(method, path, body, raw, extraHeaders) {
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

export async function signIn(token) {
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
export function signOut(message, keepToken) {
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
