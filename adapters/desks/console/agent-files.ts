/**
 * The limits on files agents send from the console, and the checks against them. The routes run
 * them before reading an upload's body (a quick, cheap refusal), the desk again when it keeps one.
 */
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import { formatBytes, typeAllowed } from '../../../bots/core/file-vault';

export interface ConsoleFileLimits {
  maxBytes: number;
  /** MIME types, `image/*` wildcards allowed; empty allows any type. */
  allowedTypes: readonly string[];
}

export const DEFAULT_FILE_LIMITS: ConsoleFileLimits = { maxBytes: 20 * 1024 * 1024, allowedTypes: [] };

/** A file an agent sends to the user, with an optional caption. */
export interface AgentUpload {
  name: string;
  contentType: string;
  bytes: Uint8Array;
  text?: string;
}

/** Longest file name kept (most file systems allow 255). */
export const MAX_FILE_NAME_CHARS = 255;

/** A file name as the user will see it, or why it cannot be one. */
export function fileNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'The file needs a name.';
  if (name.length > MAX_FILE_NAME_CHARS) return `The file name is too long (${MAX_FILE_NAME_CHARS} characters at most).`;
  if (name !== name.trim()) return 'The file name must not start or end with spaces.';
  if (/[\p{Cc}\p{Cf}/\\]/u.test(name)) return 'The file name must not contain slashes or control characters.';
  if (name === '.' || name === '..') return 'That is not a file name.';
  return undefined;
}

/** An upload's name and type against the limits; throws the matching 400 or 415. */
export function checkFileMeta(name: string, contentType: string, limits: ConsoleFileLimits): void {
  const problem = fileNameProblem(name);
  if (problem) throw new BridgeError(ErrorCode.BadRequest, problem, { status: 400 });
  if (!typeAllowed(contentType, limits.allowedTypes)) {
    throw new BridgeError(
      ErrorCode.FileRejected,
      `Files of type ${contentType} cannot be sent. Allowed: ${limits.allowedTypes.join(', ')}.`,
      {
        status: 415,
      },
    );
  }
}

/** An upload's size against the limit; throws 413 (too large) or 400 (empty). */
export function checkFileSize(size: number, limits: ConsoleFileLimits): void {
  if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
  if (size === 0) throw new BridgeError(ErrorCode.BadRequest, 'The file is empty.', { status: 400 });
}

export function tooLarge(maxBytes: number): BridgeError {
  return new BridgeError(ErrorCode.FileRejected, `The file is too large: ${formatBytes(maxBytes)} at most.`, { status: 413 });
}
