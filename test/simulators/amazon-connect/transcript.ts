/**
 * GetTranscript's cursor rules, as documented: `ScanDirection` defaults to BACKWARD without a
 * StartPosition and FORWARD with one, `SortOrder` defaults to DESCENDING, `MaxResults` to 10
 * (at most 100), and `NextToken` continues the same scan. Where the docs are silent we chose and
 * say so: a StartPosition `Id` or `AbsoluteTime` is inclusive (the item at the cursor comes back,
 * so a client resuming "since the last item seen" must skip what it already has), and the
 * NextToken is opaque and bound to its chat.
 */
import { AwsError, int, validation } from './http';
import { type ChatItem, persisted } from './items';
import type { SimContact } from './state';

type Direction = 'FORWARD' | 'BACKWARD';
type Sort = 'ASCENDING' | 'DESCENDING';

interface Cursor {
  /** Chat the token belongs to. */
  c: string;
  /** Next index to read. */
  i: number;
  d: Direction;
}

const encode = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decode(token: string, contact: SimContact): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    if (cursor.c === contact.initialContactId && Number.isInteger(cursor.i) && (cursor.d === 'FORWARD' || cursor.d === 'BACKWARD'))
      return cursor;
  } catch {
    // an unreadable token is refused like a foreign one
  }
  throw validation('Invalid NextToken');
}

function startIndex(items: ChatItem[], position: Record<string, unknown> | undefined, direction: Direction): number {
  if (!position) return direction === 'FORWARD' ? 0 : items.length - 1;
  const given = ['Id', 'AbsoluteTime', 'MostRecent'].filter((k) => position[k] !== undefined && position[k] !== null);
  if (given.length !== 1) throw validation('StartPosition takes exactly one of Id, AbsoluteTime, MostRecent');
  if (typeof position.Id === 'string') {
    const index = items.findIndex((item) => item.Id === position.Id);
    if (index < 0) throw validation(`StartPosition.Id ${position.Id} is not in this transcript`);
    return index;
  }
  if (typeof position.AbsoluteTime === 'string') {
    const at = Date.parse(position.AbsoluteTime);
    if (Number.isNaN(at)) throw validation('StartPosition.AbsoluteTime must be an ISO 8601 time');
    if (direction === 'FORWARD') {
      const index = items.findIndex((item) => Date.parse(item.AbsoluteTime) >= at);
      return index < 0 ? items.length : index;
    }
    let last = -1;
    items.forEach((item, i) => {
      if (Date.parse(item.AbsoluteTime) <= at) last = i;
    });
    return last;
  }
  const recent = int(position, 'MostRecent', 0, 100) ?? 0;
  return direction === 'FORWARD' ? Math.max(0, items.length - recent) : Math.max(-1, items.length - 1 - recent);
}

export function transcriptPage(contact: SimContact, body: Record<string, unknown>) {
  if (body.ContactId !== undefined) {
    const chain = new Set([contact.initialContactId, ...contact.items.map((i) => i.ContactId)]);
    if (typeof body.ContactId !== 'string' || !chain.has(body.ContactId)) {
      throw new AwsError(404, 'ResourceNotFoundException', `Contact ${String(body.ContactId)} is not in this chat`);
    }
  }
  const items = contact.items.filter(persisted);
  const max = int(body, 'MaxResults', 0, 100) ?? 10;
  const sort = (body.SortOrder ?? 'DESCENDING') as Sort;
  if (sort !== 'ASCENDING' && sort !== 'DESCENDING') throw validation('SortOrder must be ASCENDING or DESCENDING');
  const position = body.StartPosition as Record<string, unknown> | undefined;
  let direction = (body.ScanDirection ?? (position ? 'FORWARD' : 'BACKWARD')) as Direction;
  if (direction !== 'FORWARD' && direction !== 'BACKWARD') throw validation('ScanDirection must be FORWARD or BACKWARD');

  let index: number;
  if (typeof body.NextToken === 'string') {
    const cursor = decode(body.NextToken, contact);
    index = cursor.i;
    direction = cursor.d;
  } else {
    index = startIndex(items, position, direction);
  }

  let page: ChatItem[];
  let next: number | undefined;
  if (direction === 'FORWARD') {
    page = items.slice(index, index + max);
    next = index + max < items.length ? index + max : undefined;
  } else {
    const from = Math.max(0, index - max + 1);
    page = index < 0 ? [] : items.slice(from, index + 1);
    next = from > 0 && index >= 0 ? from - 1 : undefined;
  }
  if (sort === 'DESCENDING') page = [...page].reverse();
  return {
    InitialContactId: contact.initialContactId,
    // The transcript Item has no InitialContactId (the WebSocket copy does).
    Transcript: page.map(({ InitialContactId: _omit, ...item }) => item),
    ...(next !== undefined ? { NextToken: encode({ c: contact.initialContactId, i: next, d: direction }) } : {}),
  };
}
