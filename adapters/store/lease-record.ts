/**
 * How a lease is kept, the same on both engines: an ordinary value at the lease's key,
 * `{ owner, token, heldUntil }`, that outlives the holding by `LEASE_GRACE_MS`. Keeping the
 * record after the lease ends keeps its token count, so the next acquisition's token is larger;
 * the next token is also at least the store's clock in milliseconds, so once the record is gone
 * (expired after the grace, or deleted) a new token is still larger than the earlier ones, which
 * were at most the clock of their own acquisitions (barring a deletion within the millisecond
 * of the last acquisition, or the store's clock going back). A released lease keeps its record
 * with an empty owner.
 */

/** How long a lease's record outlives its holding (its token count, for the next acquisition). */
export const LEASE_GRACE_MS = 10 * 60_000;

export interface LeaseRecord {
  /** '' once released. */
  owner: string;
  token: number;
  /** Epoch ms on the store's clock (Redis's own on Redis). */
  heldUntil: number;
}

/** The record of a lease, or a `TypeError` when the key holds a value that is not one. */
export function parseLeaseRecord(key: string, value: unknown): LeaseRecord {
  const record = value as Partial<LeaseRecord> | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.owner !== 'string' ||
    typeof record.token !== 'number' ||
    typeof record.heldUntil !== 'number'
  ) {
    throw notALease(key);
  }
  return record as LeaseRecord;
}

export function notALease(key: string): TypeError {
  return new TypeError(`Store: ${JSON.stringify(key)} holds a value that is not a lease`);
}

/** An owner must be a non-empty string (the empty owner marks a released lease). */
export function checkOwner(method: string, name: string, owner: unknown): string {
  if (typeof owner !== 'string' || owner === '') {
    throw new TypeError(`Store.${method}(${JSON.stringify(name)}) needs a non-empty owner; got ${JSON.stringify(owner)}`);
  }
  return owner;
}

/** A token is what `acquireLease` gave: a positive safe integer. */
export function checkToken(method: string, name: string, token: unknown): number {
  if (typeof token !== 'number' || !Number.isSafeInteger(token) || token <= 0) {
    throw new TypeError(`Store.${method}(${JSON.stringify(name)}) needs the lease's token; got ${String(token)}`);
  }
  return token;
}

/** An expected version is 0 (absent or unversioned) or a version `getVersioned` gave. */
export function checkVersion(key: string, version: unknown): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new TypeError(`Store.setVersioned(${JSON.stringify(key)}) needs a version of 0 or more; got ${String(version)}`);
  }
  return version;
}
