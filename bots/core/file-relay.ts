/**
 * Files between the user's surface and the desk, through our vault: a user's file is downloaded
 * with the surface's credentials and kept in the vault, so the desk gets a bridge URL and the
 * bytes; an agent's file kept in the vault gets its bytes back for surfaces that upload rather
 * than link.
 */
import { asBridgeError } from './errors';
import { FileRefusedError, refusalReason } from './file-refusal';
import type { FileVault } from './file-vault';
import { tooLargeReason } from './file-screening';
import type { FileRef, Logger, OutboundContent, Surface } from './ports';
import type { Conversation } from './session-state';
import type { CoreSettings } from './settings';

interface FileRelayDeps {
  files: FileVault;
  logger: Logger;
  settings: CoreSettings;
}

export class FileRelay {
  constructor(private readonly deps: FileRelayDeps) {}

  /**
   * The user's files, fetched into the vault for the desk. A file that is too big or cannot be
   * fetched is refused on its own (with the words the user reads); the rest of the message still goes.
   */
  async fromUser(
    state: Conversation,
    surface: () => Surface,
    sessionId: string,
    files: FileRef[],
  ): Promise<{ files: FileRef[]; refused: { name: string; reason: string }[] }> {
    const { settings } = this.deps;
    const { maxBytes } = settings.files;
    const reasons = settings.messages.fileRefusedReasons;
    const fetched: FileRef[] = [];
    const refused: { name: string; reason: string }[] = [];
    for (const file of files) {
      try {
        const from = surface();
        let bytes = file.content;
        if (!bytes) {
          if (!from.download) throw new FileRefusedError('noDownload', { surface: state.surface });
          bytes = await from.download(state.address, file, maxBytes);
        }
        if (bytes.byteLength > maxBytes) {
          refused.push({ name: file.name, reason: tooLargeReason(settings) });
          continue;
        }
        fetched.push(await this.deps.files.put(sessionId, file, bytes));
      } catch (e) {
        this.deps.logger.warn({ key: state.key, err: asBridgeError(e), file: file.name }, 'user file not relayed');
        // A surface's refusal names its reason, worded here from the settings; anything else is a failed download.
        refused.push({ name: file.name, reason: refusalReason(e, reasons) });
      }
    }
    return { files: fetched, refused };
  }

  /** Agent files kept in our vault get their bytes, for surfaces that upload rather than link. */
  async toUser(content: OutboundContent): Promise<OutboundContent> {
    if (content.kind !== 'text' || !content.files?.length) return content;
    return { ...content, files: await Promise.all(content.files.map((f) => this.deps.files.materialize(f))) };
  }
}
