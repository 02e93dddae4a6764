// Sending files: the paperclip, drag and drop, pasted images.

import { $, MAX_CAPTION_URL_CHARS, state } from './state.js';
import { formatBytes, typeAllowed } from './format.js';
import { api } from './session.js';
import { joined } from './chat-list.js';
import { addMessage, renderComposer } from './chat-pane.js';
import { sendMessage } from './composer.js';

// ---------------------------------------------------------------------------------------------
// Files: the paperclip, drag and drop, pasted images. The text being written goes along as the
// file's caption.
// ---------------------------------------------------------------------------------------------

function canSendFiles() {
  const chat = state.selected;
  return !!chat && chat.status === 'live' && joined(chat) && state.files.enabled && !$('private').checked;
}

/** Why this file cannot be sent, checked here first for a quick answer (the server checks too). */
function fileProblem(file) {
  if (file.size === 0) return `"${file.name}" is empty.`;
  if (file.size > state.files.maxBytes) return `"${file.name}" is too large: ${formatBytes(state.files.maxBytes)} at most.`;
  const type = file.type || 'application/octet-stream';
  if (!typeAllowed(type, state.files.allowedTypes))
    return `Files of type ${type} cannot be sent. Allowed: ${state.files.allowedTypes.join(', ')}.`;
  return '';
}

async function sendFiles(files) {
  const chat = state.selected;
  if (!chat || files.length === 0) return;
  if (!canSendFiles()) {
    $('composer-error').textContent = $('private').checked
      ? 'Files cannot be private notes: untick "Private note" first.'
      : 'You cannot send files in this chat now.';
    return;
  }
  $('composer-error').textContent = '';
  let caption = $('text').value.trim() ? $('text').value : '';
  for (const file of files) {
    const problem = fileProblem(file);
    if (problem) {
      $('composer-error').textContent = problem;
      continue;
    }
    state.uploading++;
    renderComposer();
    $('upload-status').textContent = `Sending ${file.name} (${formatBytes(file.size)})…`;
    try {
      if (caption && encodeURIComponent(caption).length > MAX_CAPTION_URL_CHARS) {
        addMessage(chat.id, await sendMessage(chat.id, caption, false));
        caption = '';
      }
      const params = new URLSearchParams({ name: file.name });
      if (caption) params.set('text', caption);
      const message = await api('POST', `/chats/${encodeURIComponent(chat.id)}/files?${params}`, undefined, {
        body: file,
        type: file.type || 'application/octet-stream',
      });
      addMessage(chat.id, message);
      if (caption) {
        caption = '';
        state.drafts.delete(chat.id);
        if (state.selected && state.selected.id === chat.id) $('text').value = '';
      }
    } catch (e) {
      if (e.status === 502 && caption && state.selected && state.selected.id === chat.id) $('text').value = '';
      $('composer-error').textContent = e.status === 502 ? e.message : `"${file.name}" was not sent: ${e.message}`;
    } finally {
      state.uploading--;
      $('upload-status').textContent = '';
      renderComposer();
    }
  }
}

$('attach').addEventListener('click', () => $('file').click());
$('file').addEventListener('change', () => {
  const files = [...$('file').files];
  $('file').value = '';
  void sendFiles(files);
});

const hasFiles = (event) => !!event.dataTransfer && [...event.dataTransfer.types].includes('Files');
$('chat').addEventListener('dragover', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = canSendFiles() ? 'copy' : 'none';
  $('chat').classList.toggle('dropping', canSendFiles());
});
$('chat').addEventListener('dragleave', (event) => {
  if (!$('chat').contains(event.relatedTarget)) $('chat').classList.remove('dropping');
});
$('chat').addEventListener('drop', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  $('chat').classList.remove('dropping');
  void sendFiles([...event.dataTransfer.files]);
});
// A pasted screenshot is sent; pasted text (even with a picture of it, as Office copies) is text.
$('text').addEventListener('paste', (event) => {
  const data = event.clipboardData;
  const files = data ? [...data.files] : [];
  if (files.length === 0 || data.getData('text/plain') || !canSendFiles()) return;
  event.preventDefault();
  void sendFiles(files);
});
// A file dropped anywhere else must not replace the console with the file.
window.addEventListener('dragover', (event) => {
  if (hasFiles(event) && !$('chat').contains(event.target)) event.preventDefault();
});
window.addEventListener('drop', (event) => {
  if (hasFiles(event) && !$('chat').contains(event.target)) event.preventDefault();
});
