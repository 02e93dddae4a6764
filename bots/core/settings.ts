/**
 * The core's settings: what a company tunes about the handoff itself (phrases, policy, history,
 * timeouts, wording). Surfaces, desks and the store have their own schemas beside their code;
 * `config/schema.ts` composes them all.
 */
import { z } from 'zod';
import { cardStatusSchema } from './card-status';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time as HH:MM, 24-hour, e.g. "08:00" or "17:30"');

const interval = z.object({ start: hhmm, end: hhmm }).refine((i) => i.start < i.end, { message: 'start must be before end' });

const dayNames = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type DayName = (typeof dayNames)[number];

/** A weekly schedule in one IANA time zone, with holidays (dates in that zone) closed all day. */
export const hoursSchema = z.object({
  timeZone: z.string().refine(isTimeZone, { message: 'an IANA time zone such as "America/Los_Angeles"' }).default('UTC'),
  weekly: z
    .object(
      Object.fromEntries(dayNames.map((d) => [d, z.array(interval).default([])])) as Record<
        DayName,
        z.ZodDefault<z.ZodArray<typeof interval>>
      >,
    )
    .default({}),
  holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')).default([]),
  /** Shown when the button is hidden for hours, e.g. "Mon–Fri 08:00–17:00 PT". Generated when absent. */
  description: z.string().optional(),
});
export type Hours = z.infer<typeof hoursSchema>;

export const offerPolicySchema = z.enum(['always', 'availability', 'hours', 'availability_and_hours']);
export type OfferPolicy = z.infer<typeof offerPolicySchema>;

export const coreSettingsSchema = z.object({
  /**
   * Phrases that mean "I want a person", matched case-insensitively as intents (bots/core/intents.ts):
   * a phrase of several words ("talk to an agent") as whole words anywhere in the message; a
   * phrase of one word ("agent") only where a sentence asks for it: nearly alone ("agent",
   * "human please") or after a request ("can I speak to a human", "I need a person"), never
   * inside other words' business ("user agent string", "my agent id", "the human resources portal").
   */
  agentRequestPhrases: z
    .array(z.string().min(1))
    .default([
      'talk to an agent',
      'speak to an agent',
      'live agent',
      'agent',
      'human',
      'person',
      'someone',
      'talk to a person',
      'real person',
      'talk to someone',
    ]),
  /**
   * Phrases that end a chat: the whole message, case-insensitive, ignoring surrounding space and
   * final punctuation ("Stop chat!"). A keyword, never a guess.
   */
  stopPhrases: z.array(z.string().min(1)).default(['stop chat']),
  /** Topics offered in the details form; empty means no topic question. */
  topics: z.array(z.object({ id: z.string().min(1), label: z.string().min(1) })).default([]),
  offer: z
    .object({
      policy: offerPolicySchema.default('always'),
      hours: hoursSchema.default({}),
      /** A link offered when the button is hidden (file a ticket, a portal). */
      fallback: z.object({ label: z.string().min(1), url: z.string().url() }).optional(),
      /** How long an availability answer is reused, so a burst of users does not hammer the desk. */
      availabilityCacheSeconds: z.number().int().min(0).default(15),
      /** When the availability check itself fails: show the button anyway, or hide it. */
      availabilityOnError: z.enum(['show', 'hide']).default('show'),
    })
    .default({}),
  /**
   * The longest message a user may send, in characters (UTF-16 code units, as the web chat and
   * console count). A longer one is neither relayed nor kept: the user is told (`messages.tooLong`).
   */
  maxMessageChars: z.number().int().min(1).max(100_000).default(10_000),
  /** Our own queue timeout: a fallback for desks that never answer. */
  queueTimeoutSeconds: z.number().int().min(5).default(120),
  history: z
    .object({
      /** How many recent messages (user and bot) go to the agent. 0 sends none. */
      maxMessages: z.number().int().min(0).max(100).default(6),
      /** Remove links before the history leaves for the desk. */
      stripLinks: z.boolean().default(false),
      /** Send only the bot's messages, never the user's own words. */
      dropUserMessages: z.boolean().default(false),
      /**
       * The same messages as one plain-text extract for desks that show no structured history,
       * at most this many bytes of UTF-8 (newest lines kept). 0 sends no extract.
       */
      maxTextBytes: z
        .number()
        .int()
        .min(0)
        .max(1024 * 1024)
        .default(10 * 1024),
    })
    .default({}),
  /** Attachments during a chat, both ways. The desk may limit further. */
  files: z
    .object({
      /** Largest file relayed, in bytes (files are held in the store while in flight). */
      maxBytes: z
        .number()
        .int()
        .min(1)
        .default(20 * 1024 * 1024),
      /** Files a user may send in one chat. */
      maxPerSession: z.number().int().min(0).default(20),
      /** Allowed MIME types, `image/*` style wildcards allowed. Empty: any type. */
      allowedTypes: z.array(z.string().regex(/^[\w.+-]+\/([\w.+-]+|\*)$/, 'a MIME type such as "image/png" or "image/*"')).default([]),
      /** How long a relayed file stays downloadable from the bridge. */
      ttlMinutes: z
        .number()
        .int()
        .min(1)
        .default(24 * 60),
    })
    .default({}),
  /** Routing keys passed to the desk with every chat, in addition to language and region. */
  routing: z.record(z.string(), z.string()).default({}),
  attribution: z
    .object({
      /** `prefix`: "**Beth:** text"; `card`: a card with the agent's avatar and name. */
      style: z.enum(['prefix', 'card']).default('prefix'),
      /** Show agent avatars where the surface can (off for anonymity or unreachable images). */
      showAvatars: z.boolean().default(true),
    })
    .default({}),
  /** Everything the bot says. `{agent}` is replaced by the agent's name. Card wording is under `cards`. */
  messages: z
    .object({
      offer: z.string().default('I can connect you with a live agent.'),
      /** The offer when policy hides the button; the reason (hours, no agents) follows it. */
      offerUnavailable: z.string().default("I can't connect you with a live agent at the moment."),
      /** The reason shown when no agent is online (policy `availability`). */
      noAgentsAvailable: z.string().default('No agents are available right now. Please try again later.'),
      /** The reason shown when the button is hidden for hours (policies `hours`, `availability_and_hours`). */
      hours: z
        .object({
          /** `{hours}` is `offer.hours.description`, or the schedule written out ("Mon–Fri 08:00–17:00 PT"). */
          available: z.string().default('Agents are available {hours}.'),
          /** `{schedule}` is the `available` line. */
          holiday: z.string().default('Agents are off today for a holiday. {schedule}'),
          /** A schedule with no open hours at all. */
          never: z.string().default('Agents are not available at the moment.'),
        })
        .default({}),
      cannotHelp: z.string().default("I can't help with that myself, but an agent can."),
      greeting: z.string().default('Hi! I can connect you with a live agent. Tell me what you need help with.'),
      queuedNotice: z.string().default('Thanks. The agent will see your messages when they join.'),
      agentJoined: z.string().default('{agent} joined the chat.'),
      agentLeft: z.string().default('{agent} left the chat.'),
      userEnded: z.string().default('You ended the chat with the agent. You are back with the bot.'),
      userCancelled: z.string().default('Your request for an agent was cancelled.'),
      agentEnded: z.string().default('The agent ended the chat. You are back with the bot.'),
      queueTimeout: z.string().default('No agent could take your chat right now. Please try again later.'),
      deskError: z.string().default('Sorry, the agent chat could not continue because of a problem on our side.'),
      alreadyOpen: z.string().default('You already have an agent chat open. Type "stop chat" to end it first.'),
      notDelivered: z.string().default('Your last message could not be delivered to the agent.'),
      /** `{file}` is the file name, `{reason}` why it was refused (one of `fileRefusedReasons`). */
      fileRefused: z.string().default('"{file}" was not sent to the agent: {reason}. The chat goes on.'),
      fileRefusedReasons: z
        .object({
          /** `{type}` is the file's MIME type, or `unknownType` when it has none. */
          type: z.string().default('files of type {type} are not accepted'),
          unknownType: z.string().default('unknown'),
          /** `{max}` is `files.maxBytes`, e.g. "20 MB". */
          size: z.string().default('it is larger than {max}'),
          /** `{max}` is `files.maxPerSession`. */
          count: z.string().default('only {max} files can be sent in one chat'),
          download: z.string().default('it could not be downloaded'),
          /** `{surface}` is the surface (teams, slack, web) that has no way to fetch files. */
          noDownload: z.string().default('{surface} cannot download files'),
          /**
           * Why a surface could not fetch the file. `{platform}` is the platform's name (Teams,
           * Slack), `{status}` the HTTP status it answered with.
           */
          downloadTimeout: z.string().default('it took too long to download'),
          downloadFailed: z.string().default('it could not be downloaded from {platform}'),
          downloadForbidden: z.string().default('{platform} did not let the bridge download it'),
          downloadGone: z.string().default('it is no longer available in {platform} (the link expired or the file was removed)'),
          downloadBusy: z.string().default('{platform} could not hand it over just now (HTTP {status}); try sending it again'),
          downloadStatus: z.string().default('the download failed (HTTP {status})'),
          pageInsteadOfFile: z
            .string()
            .default('{platform} sent a web page instead of the file (the link may have expired; try sharing it again)'),
          notStored: z.string().default('it is not stored by {platform}'),
          signInFailed: z.string().default('the bridge could not sign in to {platform} to fetch it'),
          externalFile: z.string().default('it is stored outside {platform} (an external file)'),
          storedOutside: z.string().default('it is stored outside {platform}'),
          /** The web chat: the upload a message names is gone, or is over `files.maxBytes`. */
          uploadGone: z.string().default('the upload has expired or does not exist'),
          tooLarge: z.string().default('it is too large'),
          /** Where the file is: refused by the outbound guard (`server.outboundFetch`, the surfaces' `fileHosts`). */
          noAddress: z.string().default('it has no address the bridge can download from'),
          insecureAddress: z.string().default('it has no secure (https) address to download from'),
          hostNotAllowed: z.string().default('it is stored somewhere the bridge does not download files from'),
          redirectNotAllowed: z.string().default('the download was sent on to a place the bridge does not download files from'),
          tooManyRedirects: z.string().default('the download was redirected too many times'),
          privateAddress: z.string().default('its address is on a private network, which the bridge does not download from'),
        })
        .default({}),
      /**
       * What the web chat answers an upload it refuses before any chat sees it (shown under the
       * message box). `{type}` is the file's MIME type, `{max}` the uploads allowed an hour.
       */
      uploads: z
        .object({
          turnedOff: z.string().default('Sending files is turned off here.'),
          typeNotAccepted: z.string().default('Files of type {type} are not accepted.'),
          tooMany: z.string().default('Too many uploads: at most {max} an hour. Try again later.'),
        })
        .default({}),
      staleCard: z.string().default('That card is no longer active.'),
      /** The agent closed the request before anyone accepted it. */
      requestClosed: z
        .string()
        .default('Your request was closed before an agent joined, so no chat took place. You are back with the bot.'),
      /** One closing message when the desk gave its own words: `{message}` is the desk's line. */
      deskClosing: z.string().default('{message} You are back with the bot.'),
      /** `{max}` is `maxMessageChars`. */
      tooLong: z.string().default('Your message was not sent: it is longer than {max} characters. Please shorten it or send it in parts.'),
      detailsPrompt: z.string().default('Before I connect you, tell us what you need help with.'),
      /** The form that asks only for the topic, when the problem is already described. */
      topicPrompt: z.string().default('Which topic is this about? Choose one so the right team picks up your chat.'),
      formOpen: z.string().default('Please fill in the form above to start the chat.'),
      nothingToStop: z.string().default('There is no agent chat to stop. Ask for an agent any time.'),
      filesOutsideChat: z.string().default('I can only pass files on to an agent during an agent chat.'),
      descriptionMissing: z.string().default('Please describe what you need help with, then press Start chat.'),
      topicMissing: z.string().default('Please choose a topic, then press Start chat.'),
      /** The line shown in place of a card's buttons once they no longer apply. */
      cardStatus: cardStatusSchema,
    })
    .default({}),
  /** How long idle per-user state (history, address) is kept. */
  retentionDays: z.number().int().min(1).default(30),
});

export type CoreSettings = z.infer<typeof coreSettingsSchema>;

/** The wording a company did not change: what pure helpers use when called without settings. */
export const defaultMessages: CoreSettings['messages'] = coreSettingsSchema.parse({}).messages;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
