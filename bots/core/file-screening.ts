/** Which files a user may send to the agent during a chat (type, size, count per chat). */
import { formatBytes, typeAllowed } from './file-vault';
import type { FileRef } from './ports';
import type { CoreSettings } from './settings';

/** Which of the user's files may go to the agent, and why the others may not. */
export function screenFiles(
  files: readonly FileRef[],
  alreadySent: number,
  settings: CoreSettings,
): { accepted: FileRef[]; refused: { file: FileRef; reason: string }[] } {
  const limits = settings.files;
  const accepted: FileRef[] = [];
  const refused: { file: FileRef; reason: string }[] = [];
  for (const file of files) {
    if (!typeAllowed(file.contentType, limits.allowedTypes)) {
      refused.push({ file, reason: `files of type ${file.contentType || 'unknown'} are not accepted` });
    } else if (file.size !== undefined && file.size > limits.maxBytes) {
      refused.push({ file, reason: `it is larger than ${formatBytes(limits.maxBytes)}` });
    } else if (alreadySent + accepted.length >= limits.maxPerSession) {
      refused.push({ file, reason: `only ${limits.maxPerSession} files can be sent in one chat` });
    } else {
      accepted.push(file);
    }
  }
  return { accepted, refused };
}

export function fileRefusedText(name: string, reason: string, settings: CoreSettings): string {
  return settings.messages.fileRefused.split('{file}').join(name).split('{reason}').join(reason);
}
