// What the agent console and the web chat pages share: vanilla JS, no build step, loaded before
// each page's own script. It defines one global, `window.LabCommon`, and nothing else.
// Every piece of text it puts on a page goes in as a text node (see `el`), never as HTML.

window.LabCommon = (() => {
  // ---------------------------------------------------------------------------------------------
  // DOM helpers
  // ---------------------------------------------------------------------------------------------

  /** Create an element; string children become text nodes, so nothing is ever parsed as HTML. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const URL_PATTERN = /\bhttps?:\/\/[^\s<>"')\]]+/gi;

  /** Text with its http(s) links made clickable; the link text and href are set as plain values. */
  function linkified(text) {
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(URL_PATTERN)) {
      const url = safeUrl(match[0]);
      if (!url) continue;
      frag.append(document.createTextNode(text.slice(last, match.index)));
      frag.append(link(url, match[0]));
      last = match.index + match[0].length;
    }
    frag.append(document.createTextNode(text.slice(last)));
    return frag;
  }

  /**
   * The URL if it is http(s), else null: never `javascript:` or `data:`. With `base`, paths (our
   * own `/files/...`) are resolved against it; without, only absolute URLs pass.
   */
  function safeUrl(raw, base) {
    try {
      const url = new URL(raw, base);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch {
      return null;
    }
  }

  function link(href, label) {
    const a = el('a', { target: '_blank', rel: 'noopener noreferrer' }, label);
    a.href = href;
    return a;
  }

  /** A paperclip drawn as SVG (no emoji font needed), built node by node: nothing is parsed. */
  function paperclip() {
    const NS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(NS, 'svg');
    for (const [k, v] of Object.entries({
      viewBox: '0 0 24 24',
      width: '14',
      height: '14',
      fill: 'none',
      stroke: 'currentColor',
      'stroke-width': '2',
      'stroke-linecap': 'round',
      'stroke-linejoin': 'round',
      'aria-hidden': 'true',
      class: 'clip',
    })) {
      svg.setAttribute(k, v);
    }
    const path = document.createElementNS(NS, 'path');
    path.setAttribute(
      'd',
      'M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48',
    );
    svg.append(path);
    return svg;
  }

  /**
   * Keep the scrolling log `scroller` at its end while the reader is there (`state.stick`), and
   * the "New messages" button `jump` hidden then. Pictures take their height only once loaded,
   * so the end is kept on their `load` too (it does not bubble: listened to on capture).
   * Returns the function that scrolls to the end.
   */
  function stickyLog(state, scroller, jump, afterJump) {
    const toEnd = () => {
      scroller.scrollTop = scroller.scrollHeight;
      state.stick = true;
      jump.hidden = true;
    };
    scroller.addEventListener('scroll', () => {
      state.stick = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
      if (state.stick) jump.hidden = true;
    });
    scroller.addEventListener(
      'load',
      (event) => {
        if (state.stick && event.target instanceof HTMLImageElement) toEnd();
      },
      true,
    );
    jump.addEventListener('click', () => {
      toEnd();
      afterJump();
    });
    return toEnd;
  }

  // ---------------------------------------------------------------------------------------------
  // JSON API calls
  // ---------------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  /**
   * `fetch` a JSON API: the answer's JSON, null for 204. An unreachable server is
   * `ApiError(0, 'network', offline)`; an error answer an ApiError with the server's code and
   * message. `onStatus` sees every status that came back, before it is thrown.
   */
  async function callApi(url, init, offline, onStatus) {
    let res;
    try {
      res = await fetch(url, { ...init, cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'network', offline);
    }
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (onStatus) onStatus(res.status);
    if (!res.ok) {
      const error = data?.error || {};
      throw new ApiError(res.status, error.code || 'error', error.message || `The server answered ${res.status}.`);
    }
    return data;
  }

  // ---------------------------------------------------------------------------------------------
  // Live updates: Server-Sent Events read with fetch, so the Authorization header can be sent.
  // ---------------------------------------------------------------------------------------------

  const STREAM_SILENCE_MS = 50000; // heartbeats come every ~20 s; longer silence means a dead stream
  const MAX_BACKOFF_MS = 30000;

  /** The connection badge (`#conn`): its state for the styles, its words for people. */
  function setConnection(kind, text) {
    const conn = document.getElementById('conn');
    conn.dataset.state = kind;
    conn.textContent = text;
  }

  /**
   * Follow `api/events` for as long as `credential()` gives one and no newer stream was started
   * (`state.streamGeneration`; `state.stream` is the open one's AbortController, to abort it).
   * A dead or broken stream is reopened with backoff. Options:
   * - `onUnauthorized()`: the stream answered 401; following stops after it.
   * - `onOpen()`: the stream is open (events may have been missed while away: reload here).
   * - `onEvent(name, data)`: each event; `label` names the page in warnings.
   */
  async function followEvents(state, options) {
    const generation = ++state.streamGeneration;
    let backoff = 1000;
    while (options.credential() && generation === state.streamGeneration) {
      const controller = new AbortController();
      state.stream = controller;
      let watchdog = 0;
      const feed = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), STREAM_SILENCE_MS);
      };
      try {
        const res = await fetch('api/events', {
          headers: { Authorization: `Bearer ${options.credential()}`, Accept: 'text/event-stream' },
          signal: controller.signal,
          cache: 'no-store',
        });
        if (res.status === 401) {
          await options.onUnauthorized();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
        feed();
        backoff = 1000;
        await options.onOpen();
        await readEvents(res.body, feed, options.onEvent, options.label);
      } catch {
        // Fall through to reconnect.
      } finally {
        clearTimeout(watchdog);
      }
      if (!options.credential() || generation !== state.streamGeneration) return;
      setConnection('reconnecting', 'Reconnecting…');
      await new Promise((r) => setTimeout(r, backoff + Math.random() * 500));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  async function readEvents(body, onData, onEvent, label) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onData();
      buffer += value;
      for (let boundary = buffer.search(/\r?\n\r?\n/); boundary >= 0; boundary = buffer.search(/\r?\n\r?\n/)) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, '');
        dispatchBlock(block, onEvent, label);
      }
    }
  }

  function dispatchBlock(block, onEvent, label) {
    let name = 'message';
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue; // comment (heartbeat)
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    try {
      onEvent(name, JSON.parse(data.join('\n')));
    } catch (e) {
      console.warn(`${label}: bad event`, name, e);
    }
  }

  return Object.freeze({ el, linkified, safeUrl, link, paperclip, stickyLog, ApiError, callApi, setConnection, followEvents });
})();
