/**
 * What a user's message means to the bot, before any chat logic: a stop phrase, a request for an
 * agent, a greeting. Pure string matching over configured phrases, never a guess.
 *
 * Requests for an agent (`agentRequestPhrases`): a phrase counts only where the sentence asks
 * for it, not wherever its words appear ("my browser user agent string is wrong" is no request).
 *   - A phrase of several words ("talk to an agent", "live agent", "einen mitarbeiter sprechen")
 *     is specific enough: it matches as whole words anywhere in the message.
 *   - A phrase of one word ("agent", "human", "person") matches only where a sentence of the
 *     message asks for it:
 *       1. it stands nearly alone, with only greetings, articles and politeness around it
 *          ("agent", "Human!", "hi, an agent pls", "agent please");
 *       2. or it follows a request ("talk to", "speak with", "I need", "I want", "can I get",
 *          "connect me to", "is there"), with only such words and articles before it, and it
 *          ends the sentence or goes on with a word that carries the request on ("about",
 *          "for", "to", "please", ...): "can I speak to a human", "I need a person", "I want
 *          an agent about my VPN".
 *     "user agent string", "my agent id is wrong", "the human resources portal" and "agents'
 *     dashboard" are not requests.
 * The request and politeness words are English; in another language, configure requests of two
 * or more words, which match anywhere.
 */
import type { CoreSettings } from './settings';

/** Lower case, curly apostrophes straightened: the form phrases and messages are compared in. */
function fold(text: string): string {
  return text.toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'");
}

/** Punctuation that may end a stop phrase ("stop chat.", "Stop chat!", "stop chat?!"). */
const TRAILING_PUNCTUATION = /[\s.!?…,;:。！？、]+$/u;

function stopForm(text: string): string {
  return fold(text).trim().replace(TRAILING_PUNCTUATION, '').trim();
}

/** The whole message is a stop phrase, give or take case, surrounding space and final punctuation. */
export function isStopPhrase(text: string, settings: Pick<CoreSettings, 'stopPhrases'>): boolean {
  const t = stopForm(text);
  return t !== '' && settings.stopPhrases.some((p) => stopForm(p) === t);
}

const greetings = new Set(['hi', 'hello', 'hey', 'help', 'hi there', 'hello there', 'good morning', 'good afternoon']);

export function isGreeting(text: string): boolean {
  return greetings.has(fold(text).trim().replace(TRAILING_PUNCTUATION, ''));
}

// ---------------------------------------------------------------------------------------------
// Agent requests
// ---------------------------------------------------------------------------------------------

/** Words that may stand around a phrase without changing what is asked: greetings, politeness, articles. */
const POLITE = new Set([
  'a',
  'an',
  'the',
  'some',
  'any',
  'one',
  'please',
  'pls',
  'plz',
  'thanks',
  'thank',
  'you',
  'now',
  'asap',
  'hi',
  'hello',
  'hey',
  'ok',
  'okay',
  'yes',
  'yeah',
  'just',
  'right',
  'away',
  'quickly',
  'urgently',
  'immediately',
  'help',
]);

/** Space-separated words, for the word lists below (kept short to read). */
const wordList = (text: string): string[] => text.split(' ');

/** At least one of these must be among the words before the phrase for rule 2. */
const REQUEST_VERBS = new Set(
  wordList(
    'need needs want wanna like love prefer talk talking speak speaking chat chatting connect transfer ' +
      'put get give gimme request requesting ask contact reach looking call see there have',
  ),
);

/** Words that make up a request before the phrase ("can I please speak to a", "I'd like to talk with"). */
const REQUEST_WORDS = new Set([
  ...POLITE,
  // The request verbs too (rule 2 needs one of them among these words).
  ...REQUEST_VERBS,
  ...wordList("i i'd id i'm im we we'd me us can could may would will to with for rather through let look is"),
  ...wordList('are real actual another of your really do from by'),
]);

/** Words after the phrase that carry the request on ("an agent about my VPN", "a human to help me"). */
const CONTINUATIONS = new Set([
  ...POLITE,
  'about',
  'for',
  'regarding',
  're',
  'because',
  'since',
  'as',
  'who',
  'that',
  'to',
  'in',
  'from',
  'at',
  'on',
  'instead',
  'directly',
  'here',
  'and',
  'but',
  'so',
  'or',
  'i',
  'we',
  'who',
  'which',
]);

/** Words of the sentences of a message; clause punctuation splits sentences, apostrophes stay. */
function sentences(text: string): string[][] {
  return fold(text)
    .split(/[.,;:!?…\n\r()[\]"“”]+/u)
    .map((s) => words(s))
    .filter((w) => w.length > 0);
}

function words(text: string): string[] {
  return fold(text)
    .replace(/[^\p{L}\p{N}']+/gu, ' ')
    .split(' ')
    .map((w) => w.replace(/^'+/, ''))
    .filter((w) => w !== '');
}

/** Case-insensitive intent match of the configured phrases; see the rules at the top of this file. */
export function isAgentRequest(text: string, settings: Pick<CoreSettings, 'agentRequestPhrases'>): boolean {
  const phrases = settings.agentRequestPhrases.map(words).filter((p) => p.length > 0);
  const all = words(text);
  if (phrases.some((phrase) => phrase.length > 1 && indexesOf(all, phrase).length > 0)) return true;
  const single = phrases.filter((phrase) => phrase.length === 1);
  return single.length > 0 && sentences(text).some((sentence) => single.some((phrase) => asksFor(sentence, phrase)));
}

function asksFor(sentence: string[], phrase: string[]): boolean {
  for (const at of indexesOf(sentence, phrase)) {
    const before = sentence.slice(0, at);
    const after = sentence.slice(at + phrase.length);
    // Rule 1: the phrase nearly alone.
    if (before.every((w) => POLITE.has(w)) && after.every((w) => POLITE.has(w))) return true;
    // Rule 2: after a request, ending the sentence or carrying it on.
    const requested = before.every((w) => REQUEST_WORDS.has(w)) && before.some((w) => REQUEST_VERBS.has(w));
    if (requested && (after.length === 0 || CONTINUATIONS.has(after[0]))) return true;
  }
  return false;
}

/** Every position where `phrase` occurs as whole words in `list`. */
function indexesOf(list: string[], phrase: string[]): number[] {
  const found: number[] = [];
  for (let i = 0; i + phrase.length <= list.length; i++) {
    if (phrase.every((w, j) => list[i + j] === w)) found.push(i);
  }
  return found;
}
