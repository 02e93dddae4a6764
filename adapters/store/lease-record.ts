/**
 * How a lease is kept, the same on both engines: an ordinary value at the lease's key,
 * `{ owner, token, heldUntil }`. The next acquisition's token is larger than the record's and at
 * least the store's clock in milliseconds, so tokens only grow while the clock does.
 *
 * - A lease that ran out (its holder stalled or died) keeps its record for `LEASE_GRACE_MS`
 *   after: that holder may still try a fenced write, and the record's token count is what makes
 *   the next holder's token differ from its own even if the store's clock went back meanwhile.
 * - A released lease's holder is done, so its record only has to outlive its token: it goes at
 *   once when the clock is past the token (the usual case: acquired in an earlier millisecond),
 *   else a millisecond after. Leases are taken per user and per chat, so an idle session keeps
 *   no lease record (memory per idle session counts: see bench/README.md).
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
