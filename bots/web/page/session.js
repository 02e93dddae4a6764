// Calls to the web chat API with the user's credential, and getting that credential: a token from
// the embedding site, the stored credential, or a guest.

import { $, CREDENTIAL_KEY, state } from './state.js';
const { ApiError, callApi, setConnection } = window.LabCommon;

// API
// ---------------------------------------------------------------------------------------------

export async function api(method, path, body, options) {
  const headers = {};
  if (state.credential) headers.Authorization = `Bearer ${state.credential}`;
  let payload;
  if (options?.raw) {
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

export async function signIn() {
  const token = tokenFromHash();
  if (token) return exchange(token);
  state.credential = localStorage.getItem(CREDENTIAL_KEY) || '';
  if (state.credential) return null; // checked by the history load
  return startGuest();
}

export function startGuest() {
  const mode = state.config?.signIn;
  if (mode === 'guest' || mode === 'token_or_guest') return exchange(null);
  throw new ApiError(401, 'unauthorized', 'Open this chat from your company site: it signs you in.');
}

export function showBlocked(message) {
  $('chat').hidden = true;
  $('blocked').hidden = false;
  $('blocked-text').textContent = message;
  setConnection('offline', 'Signed out');
}
