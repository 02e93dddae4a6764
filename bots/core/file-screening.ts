/** Which files a user may send to the agent during a chat (type, size, count per chat), and what a refusal says. */
import { fillIn } from './card-updates';
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
  const reasons = settings.messages.fileRefusedReasons;
  const accepted: FileRef[] = [];
  const refused: { file: FileRef; reason: string }[] = [];
  for (const file of files) {
    if (!typeAllowed(file.contentType, limits.allowedTypes)) {
      refused.push({ file, reason: fillIn(reasons.type, { type: file.contentType || reasons.unknownType }) });
    } else if (file.size !== undefined && file.size > limits.maxBytes) {
      refused.push({ file, reason: tooLargeReason(settings) });
    } else if (alreadySent + accepted.length >= limits.maxPerSession) {
      refused.push({ file, reason: fillIn(reasons.count, { max: String(limits.maxPerSession) }) });
    } else {
      accepted.push(file);
    }
  }
  return { accepted, refused };
}

/** Why a file over `files.maxBytes` was refused (screened up front, or measured once downloaded). */
export function tooLargeReason(settings: CoreSettings): string {
  return fillIn(settings.messages.fileRefusedReasons.size, { max: formatBytes(settings.files.maxBytes) });
}

export function fileRefusedText(name: string, reason: string, settings: CoreSettings): string {
  return fillIn(settings.messages.fileRefused, { file: name, reason });
}
