/**
 * Slack settings. The surface is on when `botToken` is set. Transport: Socket Mode when
 * `appToken` is set (local development, no public URL), otherwise HTTP at `/slack/events`,
 * where every request must carry a valid signature made with `signingSecret`.
 */
import { z } from 'zod';
import { hostPatternSchema } from '../http/outbound-guard';

export const SLACK_DEFAULT_API_URL = 'https://slack.com/api/';

export const slackSettingsSchema = z
  .object({
    /** The app's Bot User OAuth Token (`xoxb-…`, "OAuth & Permissions" in the app settings). Empty: Slack is off. */
    botToken: z.string().trim().default(''),
    /** "Basic Information" → Signing Secret. Required in HTTP mode. */
    signingSecret: z.string().trim().default(''),
    /** An app-level token (`xapp-…`) with `connections:write`: turns on Socket Mode. */
    appToken: z.string().trim().default(''),
    /** Slack's Web API base URL. Production leaves the default; tests point it at a local fake. */
    apiUrl: z.string().url().default(SLACK_DEFAULT_API_URL),
    /**
     * Agent messages posted under the agent's name and avatar (needs the `chat:write.customize`
     * scope). `auto`: when the token has that scope; otherwise (and with `off`) the message starts
     * with the agent's name instead.
     */
    customizeSender: z.enum(['auto', 'on', 'off']).default('auto'),
    /**
     * Hosts files are downloaded from for Slack (`*.` for subdomains): users' files, and files an
     * agent shares by link (one elsewhere reaches the user as its link). The API host is added.
     */
    fileHosts: z.array(hostPatternSchema).default(['files.slack.com']),
  })
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
    if (v.botToken && !v.botToken.startsWith('xoxb-')) {
      issue('botToken', 'a bot token starting with "xoxb-" (OAuth & Permissions → Bot User OAuth Token)');
    }
    if (v.appToken && !v.appToken.startsWith('xapp-')) {
      issue('appToken', 'an app-level token starting with "xapp-" (Basic Information → App-Level Tokens, scope connections:write)');
    }
    if (v.appToken && !v.botToken) {
      issue('botToken', 'required when appToken is set (Socket Mode still posts with the bot token)');
    }
    if (v.botToken && !v.appToken && !v.signingSecret) {
      issue('signingSecret', 'required in HTTP mode (Basic Information → Signing Secret), or set appToken for Socket Mode');
    }
  });

export type SlackSettings = z.infer<typeof slackSettingsSchema>;

export function isSlackEnabled(settings: SlackSettings): boolean {
  return settings.botToken !== '';
}

export function isSocketMode(settings: SlackSettings): boolean {
  return settings.appToken !== '';
}
