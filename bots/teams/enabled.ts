/**
 * Without a MicrosoftAppId, Bot Framework requests cannot be authenticated: anyone who can reach
 * the port could act as any user. That is only acceptable on loopback, for local development
 * (the Teams adapter then logs a loud warning). On any other address Teams is switched off
 * instead, so a Slack-only or web-only deployment still runs and /api/messages answers 404.
 */
import type { Logger } from '../core/ports';

export function teamsEnabled(o: { appId?: string; host: string; loopback: boolean; logger: Logger }): boolean {
  if (o.appId || o.loopback) return true;
  o.logger.warn(
    { surface: 'teams', host: o.host },
    `Teams is OFF: "${o.host}" is not loopback and MicrosoftAppId is not set, so Bot Framework ` +
      'requests could not be authenticated. Set MicrosoftAppId and MicrosoftAppPassword to turn Teams on.',
  );
  return false;
}
