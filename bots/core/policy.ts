/**
 * Whether to show the Start agent chat button: a pure decision over the configured policy, the
 * desk's availability answer and the clock. The broker fetches availability; this decides.
 */
import { fillIn } from './card-updates';
import { type CoreSettings, type DayName, defaultMessages, type Hours, type OfferPolicy } from './settings';

/** How a hidden button is explained (`bot.messages.hours`). */
export type HoursWording = CoreSettings['messages']['hours'];

export interface OfferDecision {
  show: boolean;
  /** Why the button is hidden, in words a user understands. */
  reason?: string;
}

export interface OfferInputs {
  policy: OfferPolicy;
  hours: Hours;
  now: number;
  /** The desk's answer; undefined when the policy does not need it. */
  agentsAvailable?: boolean;
  /** The reason shown when no agent is available (`bot.messages.noAgentsAvailable`). */
  noAgentsReason?: string;
  /** The reasons shown outside hours (`bot.messages.hours`). */
  hoursWording?: HoursWording;
}

export function decideOffer(inputs: OfferInputs): OfferDecision {
  const { policy } = inputs;
  if (policy === 'always') return { show: true };
  if (policy === 'hours' || policy === 'availability_and_hours') {
    const open = isWithinHours(inputs.hours, inputs.now, inputs.hoursWording);
    if (!open.open) return { show: false, reason: open.reason };
  }
  if (policy === 'availability' || policy === 'availability_and_hours') {
    if (inputs.agentsAvailable !== true) {
      return { show: false, reason: inputs.noAgentsReason ?? defaultMessages.noAgentsAvailable };
    }
  }
  return { show: true };
}

/** Whether deciding needs the desk's availability (not outside hours: the answer is already no). */
export function needsAvailability(policy: OfferPolicy, hours: Hours, now: number): boolean {
  if (policy === 'availability') return true;
  return policy === 'availability_and_hours' && isWithinHours(hours, now).open;
}

const dayOrder: DayName[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const dayLabel: Record<DayName, string> = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
};

/** The wall-clock date, weekday and minute of the day in a time zone. */
export function zonedParts(now: number, timeZone: string): { date: string; day: DayName; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(now));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as DayName;
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    day,
    minutes: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

export function isWithinHours(
  hours: Hours,
  now: number,
  wording: HoursWording = defaultMessages.hours,
): { open: boolean; reason?: string } {
  const { date, day, minutes } = zonedParts(now, hours.timeZone);
  const schedule = describeHours(hours, wording);
  if (hours.holidays.includes(date)) {
    return { open: false, reason: fillIn(wording.holiday, { schedule }) };
  }
  const open = hours.weekly[day].some((i) => minutes >= toMinutes(i.start) && minutes < toMinutes(i.end));
  return open ? { open: true } : { open: false, reason: schedule };
}

/** "Agents are available Mon–Fri 08:00–17:00 PT." from the schedule, unless one is configured. */
export function describeHours(hours: Hours, wording: HoursWording = defaultMessages.hours): string {
  if (hours.description) return fillIn(wording.available, { hours: hours.description });
  const key = (d: DayName) => hours.weekly[d].map((i) => `${i.start}–${i.end}`).join(', ');
  const groups: { from: DayName; to: DayName; spans: string }[] = [];
  for (const d of dayOrder) {
    const spans = key(d);
    if (!spans) continue;
    const last = groups[groups.length - 1];
    if (last && last.spans === spans && dayOrder.indexOf(last.to) === dayOrder.indexOf(d) - 1) last.to = d;
    else groups.push({ from: d, to: d, spans });
  }
  if (groups.length === 0) return wording.never;
  const text = groups.map((g) => `${dayLabel[g.from]}${g.from === g.to ? '' : `–${dayLabel[g.to]}`} ${g.spans}`).join('; ');
  return fillIn(wording.available, { hours: `${text} ${zoneLabel(hours.timeZone)}` });
}

/** A short zone name such as "PT", falling back to the IANA name. */
function zoneLabel(timeZone: string): string {
  try {
    const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortGeneric' })
      .formatToParts(new Date(0))
      .find((p) => p.type === 'timeZoneName')?.value;
    return name && !/^GMT[+-]/.test(name) ? name : timeZone;
  } catch {
    return timeZone;
  }
}
