/**
 * Failures on demand: "the next N calls of SendMessage are throttled", "StartChatContact answers
 * 500 once". Queued per operation and consumed in order, so a test says exactly which calls fail
 * and can count the SDK's own retries in the request log.
 */
import { AwsError } from './http';

export type FaultKind = 'throttle' | 'server' | 'quota' | AwsError;

/** The exception each API family uses (Connect and the Participant Service name them differently). */
function errorFor(kind: FaultKind, operation: string): AwsError {
  if (kind instanceof AwsError) return kind;
  const participant = !['StartChatContact', 'GetCurrentMetricData'].includes(operation);
  switch (kind) {
    case 'throttle':
      return new AwsError(429, 'ThrottlingException', 'Rate exceeded');
    case 'server':
      return participant
        ? new AwsError(500, 'InternalServerException', 'Internal server error (scripted)')
        : new AwsError(500, 'InternalServiceException', 'Internal service error (scripted)');
    case 'quota':
      // StartChatContact's active-chat quota is a 429 LimitExceededException; the participant
      // API's quota error is ServiceQuotaExceededException (402).
      return participant
        ? new AwsError(402, 'ServiceQuotaExceededException', 'The service quota has been exceeded (scripted)')
        : new AwsError(429, 'LimitExceededException', 'The allowed limit for the resource has been exceeded (scripted)');
  }
}

export interface Fault {
  error: AwsError;
  /** The call takes effect and only its answer is lost (so a retry must not repeat it). */
  afterHandling: boolean;
}

export class Faults {
  private readonly queued = new Map<string, Fault[]>();

  /** The next `count` calls of `operation` fail with `kind`. */
  failNext(operation: string, count: number, kind: FaultKind, opts: { afterHandling?: boolean } = {}): void {
    const list = this.queued.get(operation) ?? [];
    for (let i = 0; i < count; i++) list.push({ error: errorFor(kind, operation), afterHandling: opts.afterHandling ?? false });
    this.queued.set(operation, list);
  }

  /** The fault for this call, if one is queued. */
  take(operation: string): Fault | undefined {
    return this.queued.get(operation)?.shift();
  }

  pending(operation: string): number {
    return this.queued.get(operation)?.length ?? 0;
  }

  clear(): void {
    this.queued.clear();
  }
}
