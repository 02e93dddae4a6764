// Adaptive Cards: the server's card JSON (the same templates Teams gets), drawn by the official
// renderer (window.AdaptiveCards, served from node_modules), told not to process markdown.

import { $ } from './state.js';
import { newId, safeUrl } from './format.js';
import { api } from './session.js';
import { setError } from './composer.js';
import { reauthenticate } from './chat.js';
const { el } = window.LabCommon;

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
      actions: {
        maxActions: 6,
        spacing: 'default',
        buttonSpacing: 8,
        actionsOrientation: 'horizontal',
        actionAlignment: 'left',
        showCard: { actionMode: 'inline' },
      },
      containerStyles: {
        default: {
          backgroundColor: '#FFFFFF',
          foregroundColors: {
            default: { default: '#1F2328', subtle: '#59636E' },
            accent: { default: '#0B5CAD', subtle: '#0B5CAD' },
            good: { default: '#1A7F37', subtle: '#1A7F37' },
            attention: { default: '#CF222E', subtle: '#CF222E' },
          },
        },
      },
    });
  }
  return true;
}

export function renderCard(entry) {
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
