/** The routing context a desk gets with every chat: language and region from the user, plus configured keys. */
import type { UserProfile } from './ports';
import type { CoreSettings } from './settings';

/** Language and region from the user's locale (or time zone), plus configured custom keys. */
export function routingFor(profile: UserProfile, settings: Pick<CoreSettings, 'routing'>): Record<string, string> {
  const routing: Record<string, string> = {};
  const locale = parseLocale(profile.locale);
  if (locale?.language) routing.language = locale.language;
  // Region: the locale's (a country like "US", or a UN M.49 area like "419"), else the time
  // zone's area ("Europe") which still lets a desk route by continent.
  if (locale?.region) routing.region = locale.region;
  else if (profile.timeZone?.includes('/')) routing.region = profile.timeZone.split('/')[0];
  return { ...routing, ...settings.routing };
}

function parseLocale(tag: string | undefined): { language?: string; region?: string } | undefined {
  if (!tag) return undefined;
  try {
    const locale = new Intl.Locale(tag.replace(/_/g, '-'));
    return { language: locale.language, region: locale.region };
  } catch {
    return undefined;
  }
}
