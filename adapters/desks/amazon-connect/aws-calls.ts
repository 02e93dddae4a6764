/**
 * Every call to AWS goes through here: the SDK's own clients (their retries off, so the kit's
 * `withRetries` is the one loop, on the injected Clock), the SDK errors turned into the bridge's
 * typed errors, and throttling backed off. Credentials come from the SDK's default provider chain.
 *
 * A ConnectionToken the Participant Service refuses (403) is renewed once from the
 * ParticipantToken (a new CreateParticipantConnection) and the call tried again.
 */
import { ConnectClient } from '@aws-sdk/client-connect';
import { ConnectParticipantClient } from '@aws-sdk/client-connectparticipant';
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import type { Clock, Logger } from '../../../bots/core/ports';
import { type RetryMode, retryableStatus, withRetries } from '../kit/retry';
import type { AmazonConnectSettings } from './config';

/** What an SDK v3 error carries that we look at. */
interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const THROTTLED = new Set(['ThrottlingException', 'TooManyRequestsException']);
/** Connect refusing more chats: the account's concurrent-chat quota, not a passing burst. */
const QUOTA = new Set(['LimitExceededException', 'ServiceQuotaExceededException']);

export function statusOf(e: unknown): number | undefined {
  return (e as SdkError)?.$metadata?.httpStatusCode;
}

export function isAccessDenied(e: unknown): boolean {
  return (e as SdkError)?.name === 'AccessDeniedException' || statusOf(e) === 403;
}

/** The bridge's error for an SDK failure; `op` names the call in the message. */
export function toBridgeError(op: string, e: unknown): BridgeError {
  if (e instanceof BridgeError) return e;
  const err = e as SdkError;
  const status = statusOf(e);
  const name = err?.name ?? 'Error';
  const details = { name, message: err?.message };
  if (QUOTA.has(name)) {
    return new BridgeError(ErrorCode.DeskUnavailable, `Amazon Connect ${op}: no agent can take chats right now (${name})`, {
      cause: e,
      status: 429,
      details,
    });
  }
  if (THROTTLED.has(name) || status === 429 || status === undefined || status >= 500) {
    return new BridgeError(ErrorCode.DeskUnavailable, `Amazon Connect ${op} failed (${name})`, {
      cause: e,
      status,
      retryable: true,
      details,
    });
  }
  if (isAccessDenied(e))
    return new BridgeError(ErrorCode.DeskAuthFailed, `Amazon Connect ${op} was refused (${name})`, { cause: e, status, details });
  if (name === 'ResourceNotFoundException')
    return new BridgeError(ErrorCode.UnknownSession, `Amazon Connect ${op}: ${name}`, { cause: e, status, details });
  return new BridgeError(ErrorCode.DeskRejected, `Amazon Connect ${op} was rejected (${name})`, { cause: e, status, details });
}

export interface AwsCallsDeps {
  clock: Clock;
  logger: Logger;
  random?: () => number;
}

export class AwsCalls {
  readonly connect: ConnectClient;
  readonly participant: ConnectParticipantClient;

  constructor(
    private readonly settings: AmazonConnectSettings,
    private readonly deps: AwsCallsDeps,
  ) {
    const common = {
      region: settings.region,
      // One attempt per SDK call: our loop retries, on our clock, with our policy.
      maxAttempts: 1,
      requestHandler: { requestTimeout: settings.requestTimeoutMs, connectionTimeout: settings.requestTimeoutMs },
    };
    this.connect = new ConnectClient({ ...common, ...(settings.endpoint ? { endpoint: settings.endpoint } : {}) });
    this.participant = new ConnectParticipantClient({
      ...common,
      ...(settings.participantEndpoint ? { endpoint: settings.participantEndpoint } : {}),
    });
  }

  /**
   * Run `call` with retries per `mode` (`safe`: idempotent or carrying a ClientToken;
   * `unprocessed`: only what AWS says it did not do; `never`). `renew`, for calls made with a
   * ConnectionToken: a 403 renews it once and tries again.
   */
  async run<T>(op: string, mode: RetryMode, call: () => Promise<T>, renew?: () => Promise<void>): Promise<T> {
    let renewed = false;
    type Outcome = { ok: true; value: T } | { ok: false; error: unknown };
    const outcome = await withRetries<Outcome>({ clock: this.deps.clock, random: this.deps.random }, this.settings.retry, {
      attempt: async () => {
        try {
          return { ok: true, value: await call() };
        } catch (error) {
          return { ok: false, error };
        }
      },
      judge: async (o) => {
        if (o.ok) return { kind: 'done' };
        if (renew && !renewed && isAccessDenied(o.error)) {
          renewed = true;
          try {
            await renew();
          } catch {
            return { kind: 'fail' };
          }
          return { kind: 'again' };
        }
        const name = (o.error as SdkError)?.name ?? '';
        if (QUOTA.has(name)) return { kind: 'fail' };
        const status = THROTTLED.has(name) ? 429 : statusOf(o.error);
        return retryableStatus(mode, status) ? { kind: 'retry' } : { kind: 'fail' };
      },
      failure: (o) => toBridgeError(op, o.ok ? undefined : o.error),
      onRetry: (o, attempt, waitMs) =>
        this.deps.logger.warn(
          { op, attempt, waitMs, error: o.ok ? undefined : (o.error as SdkError)?.name },
          'amazon-connect: call failed, retrying',
        ),
    });
    if (!outcome.ok) throw toBridgeError(op, outcome.error);
    return outcome.value;
  }

  destroy(): void {
    this.connect.destroy();
    this.participant.destroy();
  }
}
