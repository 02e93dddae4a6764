// Files chosen to go with the next message: the paperclip, paste, drag and drop, and the chips.

import { $, state } from './state.js';
import { sizeOf } from './format.js';
import { api } from './session.js';
import { setError } from './composer.js';
const { el, paperclip, ApiError } = window.LabCommon;

export async function uploadFile(file) {
  const maxBytes = state.config?.files.maxBytes;
  if (maxBytes && file.size > maxBytes) throw new ApiError(413, 'too_large', `"${file.name}" is larger than ${sizeOf(maxBytes)}.`);
  const result = await api('POST', '/files', file, {
    raw: true,
    headers: { 'Content-Type': file.type || 'application/octet-stream', 'X-File-Name': encodeURIComponent(file.name || 'file') },
  });
  return result.file;
}

function addFiles(fileList) {
  const files = Array.from(fileList || []);
  if (files.length === 0) return;
  if (state.config && !state.config.files.enabled) {
    setError('Sending files is turned off here.');
    return;
  }
  for (const file of files) state.attachments.push({ file, status: 'ready' });
  renderAttachments();
  $('text').focus();
}

export function renderAttachments() {
  const list = $('attachments');
  list.replaceChildren(
    ...state.attachments.map((a, i) =>
      el(
        'li',
        { class: 'chip' },
        el('span', { class: 'file-name' }, paperclip(), `${a.file.name} `),
        el('span', { class: 'muted' }, sizeOf(a.file.size)),
        el('button', { type: 'button', class: 'chip-x', 'aria-label': `Remove ${a.file.name}`, onclick: () => removeAttachment(i) }, '×'),
      ),
    ),
  );
}

function removeAttachment(index) {
  state.attachments.splice(index, 1);
  renderAttachments();
}

$('attach').addEventListener('click', () => $('file-input').click());
$('file-input').addEventListener('change', (event) => {
  addFiles(event.target.files);
  event.target.value = '';
});
$('text').addEventListener('paste', (event) => {
  const files = event.clipboardData?.files;
  if (files?.length) {
    event.preventDefault();
    addFiles(files);
  }
});
let dragDepth = 0;
const chatPane = $('chat');
chatPane.addEventListener('dragenter', (event) => {
  if (!event.dataTransfer || !Array.from(event.dataTransfer.types).includes('Files')) return;
  dragDepth++;
  $('drop').hidden = false;
});
chatPane.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) $('drop').hidden = true;
});
chatPane.addEventListener('dragover', (event) => event.preventDefault());
chatPane.addEventListener('drop', (event) => {
  event.preventDefault();
  dragDepth = 0;
  $('drop').hidden = true;
  addFiles(event.dataTransfer?.files);
});
