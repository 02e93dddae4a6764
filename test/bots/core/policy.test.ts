import { decideOffer, describeHours, isWithinHours, needsAvailability } from '../../../bots/core/policy';
import { hoursSchema, type Hours } from '../../../bots/core/settings';

const monFri = (extra: Partial<Record<string, unknown>> = {}): Hours =>
  hoursSchema.parse({
    timeZone: 'America/Los_Angeles',
    weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ start: '08:00', end: '17:00' }]])),
    ...extra,
  });

const at = (iso: string) => Date.parse(iso);

// Wed 2025-01-15 (PST, UTC-8) and Wed 2025-07-16 (PDT, UTC-7)
const JAN_OPEN = at('2025-01-15T16:00:00Z'); // 08:00 PST
const JAN_BEFORE = at('2025-01-15T15:59:00Z'); // 07:59 PST
const JUL_OPEN = at('2025-07-16T15:00:00Z'); // 08:00 PDT
const JUL_BEFORE = at('2025-07-16T14:59:00Z'); // 07:59 PDT

describe('decideOffer per policy', () => {
  const hours = monFri();
  it.each([
    ['always', undefined, JAN_BEFORE, true],
    ['availability', true, JAN_BEFORE, true],
    ['availability', false, JAN_OPEN, false],
    ['availability', undefined, JAN_OPEN, false],
    ['hours', undefined, JAN_OPEN, true],
    ['hours', undefined, JAN_BEFORE, false],
    ['hours', false, JAN_OPEN, true], // availability is irrelevant for hours
    ['availability_and_hours', true, JAN_OPEN, true],
    ['availability_and_hours', false, JAN_OPEN, false],
    ['availability_and_hours', true, JAN_BEFORE, false],
  ] as const)('%s, agentsAvailable=%s at %s → show=%s', (policy, agentsAvailable, now, show) => {
    const d = decideOffer({ policy, hours, now, agentsAvailable });
    expect(d.show).toBe(show);
    if (!show) expect(d.reason).toEqual(expect.any(String));
    else expect(d.reason).toBeUndefined();
  });

  it('hidden for hours → the reason is the schedule text', () => {
    expect(decideOffer({ policy: 'hours', hours, now: JAN_BEFORE }).reason).toBe('Agents are available Mon–Fri 08:00–17:00 PT.');
  });

  it('hidden for availability → a reason that says so', () => {
    expect(decideOffer({ policy: 'availability', hours, now: JAN_OPEN, agentsAvailable: false }).reason).toMatch(/available/i);
  });

  it('needsAvailability only for policies that ask the desk, and not outside hours', () => {
    const hours = hoursSchema.parse({ timeZone: 'UTC', weekly: { mon: [{ start: '08:00', end: '17:00' }] } });
    const mondayNoon = Date.UTC(2026, 10, 23, 12, 0);
    const mondayNight = Date.UTC(2026, 10, 23, 22, 0);
    const policies = ['always', 'availability', 'hours', 'availability_and_hours'] as const;
    expect(policies.map((p) => needsAvailability(p, hours, mondayNoon))).toEqual([false, true, false, true]);
    expect(policies.map((p) => needsAvailability(p, hours, mondayNight))).toEqual([false, true, false, false]);
  });
});

describe('hours across time zones and DST', () => {
  const hours = monFri();
  it.each([
    ['Jan 08:00 PST (start inclusive)', JAN_OPEN, true],
    ['Jan 07:59 PST', JAN_BEFORE, false],
    ['Jan 16:59 PST', at('2025-01-16T00:59:00Z'), true],
    ['Jan 17:00 PST (end exclusive)', at('2025-01-16T01:00:00Z'), false],
    ['Jul 08:00 PDT (start inclusive)', JUL_OPEN, true],
    ['Jul 07:59 PDT', JUL_BEFORE, false],
    ['Jul 16:59 PDT', at('2025-07-16T23:59:00Z'), true],
    ['Jul 17:00 PDT (end exclusive)', at('2025-07-17T00:00:00Z'), false],
    // 16:00Z is 08:00 in January but 09:00 in July; 15:00Z is 07:00 in January
    ['Jan 15:00Z = 07:00 PST → closed', at('2025-01-15T15:00:00Z'), false],
    ['Sat 10:00 PST', at('2025-01-18T18:00:00Z'), false],
    // Fri 16:30 PT is already Saturday in UTC
    ['Fri 16:30 PDT (Sat in UTC)', at('2025-07-18T23:30:00Z'), true],
    // Mon 07:30 PT is Mon 15:30Z; Sun 23:00 PT is Mon 07:00Z
    ['Sun 23:00 PDT (Mon in UTC)', at('2025-07-21T06:00:00Z'), false],
  ])('%s → open=%s', (_name, now, open) => {
    expect(isWithinHours(hours, now).open).toBe(open);
  });

  it('a zone east of UTC (Asia/Tokyo, no DST) uses its own wall clock', () => {
    const tokyo = hoursSchema.parse({ timeZone: 'Asia/Tokyo', weekly: { mon: [{ start: '09:00', end: '18:00' }] } });
    expect(isWithinHours(tokyo, at('2025-01-13T00:00:00Z')).open).toBe(true); // Mon 09:00 JST
    expect(isWithinHours(tokyo, at('2025-01-12T23:59:00Z')).open).toBe(false); // Mon 08:59 JST
    expect(isWithinHours(tokyo, at('2025-01-13T09:00:00Z')).open).toBe(false); // Mon 18:00 JST
  });

  it('24:00 as an end closes at midnight', () => {
    const h = hoursSchema.parse({ timeZone: 'UTC', weekly: { mon: [{ start: '20:00', end: '24:00' }] } });
    expect(isWithinHours(h, at('2025-01-13T23:59:00Z')).open).toBe(true);
    expect(isWithinHours(h, at('2025-01-14T00:00:00Z')).open).toBe(false);
  });

  it('midnight local is read as 00:xx, not 24:xx', () => {
    const h = hoursSchema.parse({ timeZone: 'America/Los_Angeles', weekly: { wed: [{ start: '00:00', end: '01:00' }] } });
    expect(isWithinHours(h, at('2025-01-15T08:30:00Z')).open).toBe(true); // Wed 00:30 PST
  });

  it('several intervals a day (lunch break)', () => {
    const h = hoursSchema.parse({
      timeZone: 'UTC',
      weekly: {
        mon: [
          { start: '08:00', end: '12:00' },
          { start: '13:00', end: '17:00' },
        ],
      },
    });
    expect(isWithinHours(h, at('2025-01-13T12:30:00Z')).open).toBe(false);
    expect(isWithinHours(h, at('2025-01-13T13:00:00Z')).open).toBe(true);
  });
});

describe("holidays in the zone's local date", () => {
  const hours = monFri({ holidays: ['2025-12-25'] });
  it('already Dec 25 in UTC but still Wed Dec 24 16:00 in LA → open', () => {
    expect(isWithinHours(hours, at('2025-12-25T00:00:00Z')).open).toBe(true);
  });
  it('Dec 25 10:00 PST → closed, reason mentions the holiday', () => {
    const r = isWithinHours(hours, at('2025-12-25T18:00:00Z'));
    expect(r.open).toBe(false);
    expect(r.reason).toMatch(/holiday/i);
  });
  it('Dec 26 00:30 UTC is still the holiday in LA (Dec 25 16:30) → closed', () => {
    expect(isWithinHours(hours, at('2025-12-26T00:30:00Z')).open).toBe(false);
  });
  it('decideOffer(hours) hides the button on the holiday', () => {
    expect(decideOffer({ policy: 'hours', hours, now: at('2025-12-25T18:00:00Z') }).show).toBe(false);
  });
});

describe('description text', () => {
  it('generated from a Mon–Fri schedule', () => {
    expect(describeHours(monFri())).toBe('Agents are available Mon–Fri 08:00–17:00 PT.');
  });
  it('groups days with different hours', () => {
    const h = hoursSchema.parse({
      timeZone: 'America/Los_Angeles',
      weekly: {
        mon: [{ start: '08:00', end: '17:00' }],
        tue: [{ start: '08:00', end: '17:00' }],
        wed: [{ start: '08:00', end: '17:00' }],
        thu: [{ start: '08:00', end: '17:00' }],
        fri: [{ start: '08:00', end: '15:00' }],
      },
    });
    expect(describeHours(h)).toBe('Agents are available Mon–Thu 08:00–17:00; Fri 08:00–15:00 PT.');
  });
  it('custom description from config is used', () => {
    expect(describeHours(monFri({ description: 'weekdays 8 to 5 Pacific' }))).toBe('Agents are available weekdays 8 to 5 Pacific.');
    expect(decideOffer({ policy: 'hours', hours: monFri({ description: 'weekdays 8 to 5 Pacific' }), now: JAN_BEFORE }).reason).toBe(
      'Agents are available weekdays 8 to 5 Pacific.',
    );
  });
  it('empty schedule → a sentence, not "available  ."', () => {
    expect(describeHours(hoursSchema.parse({}))).toMatch(/not available/);
  });
});
