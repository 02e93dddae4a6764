/**
 * The shape an activity must have before the bridge takes it. Bot Framework requires every
 * activity sent to a bot to carry its channel, sender, conversation and the service URL replies
 * go to; Teams and the Agents Playground always send them (messages, typing, conversationUpdate,
 * invoke, messageReaction alike). Without them an activity cannot be answered and would be
 * filed under an empty user or conversation id (all such activities shared `conv:teams:`), so
 * they are refused at the door, before anything is stored.
 *
 * Hand-written checks: this runs for every activity, and the common well-formed case should cost
 * a few property reads. Only a refused activity pays for building the explanation.
 */

/** Each problem as a sentence a person can act on; empty when the activity can be taken. */
export function activityShapeProblems(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return ['the body is not a JSON object (expected a Bot Framework activity)'];
  }
  const a = body as Record<string, unknown>;
  const problems: string[] = [];
  if (!isNonEmptyString(a.type)) problems.push('"type" (the kind of activity, e.g. "message") is missing or empty');
  if (!isNonEmptyString(a.channelId)) problems.push('"channelId" (e.g. "msteams") is missing or empty');
  if (!isNonEmptyString(idOf(a.from))) problems.push('"from.id" (who sent the activity) is missing or empty');
  if (!isNonEmptyString(idOf(a.conversation))) problems.push('"conversation.id" (the chat it belongs to) is missing or empty');
  if (!isHttpUrl(a.serviceUrl)) problems.push('"serviceUrl" (where replies go) is missing or not an http(s) URL');
  // A message's id is how a redelivery of the same message is recognised (and cards are updated).
  if (a.type === 'message' && !isNonEmptyString(a.id)) problems.push('"id" (the message\'s activity id) is missing or empty');
  return problems;
}

/** The 400 answer's message: every problem at once, so one fix makes the activity acceptable. */
export function describeShapeProblems(problems: string[]): string {
  return `Not a Bot Framework activity the bridge can take: ${problems.join('; ')}.`;
}

function idOf(x: unknown): unknown {
  return typeof x === 'object' && x !== null ? (x as { id?: unknown }).id : undefined;
}

function isNonEmptyString(x: unknown): x is string {
  return typeof x === 'string' && x.trim() !== '';
}

function isHttpUrl(x: unknown): boolean {
  if (typeof x !== 'string' || !(x.startsWith('https://') || x.startsWith('http://'))) return false;
  return URL.canParse(x);
}
