/**
 * Why a user's file was not relayed, as a key of `bot.messages.fileRefusedReasons` with the
 * values for its placeholders. Surfaces (and the outbound guard) throw `FileRefusedError`; the
 * broker's file relay words it from the configured settings, so what the user reads is never a
 * sentence hard-coded in a surface. The error's own message is the default wording: logs and
 * HTTP answers read the same as before.
 */
import { fillIn } from './card-updates';
import { BridgeError, type BridgeErrorOptions, ErrorCode } from './errors';
import { type CoreSettings, defaultMessages } from './settings';

export type FileRefusedReasons = CoreSettings['messages']['fileRefusedReasons'];
/** Every reason but `unknownType`, which is a value inside `type`, not a reason of its own. */
export type FileRefusedReason = Exclude<keyof FileRefusedReasons, 'unknownType'>;

export class FileRefusedError extends BridgeError {
  constructor(
    readonly reason: FileRefusedReason,
    readonly values: Readonly<Record<string, string>> = {},
    options: BridgeErrorOptions = {},
  ) {
    super(ErrorCode.FileRejected, fillIn(defaultMessages.fileRefusedReasons[reason], values), options);
    this.name = 'FileRefusedError';
  }
}

/**
 * The words for a failed relay of one file: a keyed refusal in the configured wording; anything
 * else (a failed download, a refusal that names no reason) the generic `download` reason, so no
 * unconfigured text reaches the user.
 */
export function refusalReason(err: unknown, reasons: FileRefusedReasons): string {
  if (err instanceof FileRefusedError) return fillIn(reasons[err.reason], err.values);
  return reasons.download;
}
