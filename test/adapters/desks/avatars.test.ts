/**
 * Agent pictures a desk reports at run time: what users could not see is taken off the agent
 * and logged once per host (adapters/desks/avatars.ts).
 */
import { AvatarScreen, isHttpsUrl } from '../../../adapters/desks/avatars';
import type { DeskEvent } from '../../../bots/core/ports';
import { RecordingLogger } from '../../helpers/console-harness';

const joined = (avatarUrl?: string, name = 'Beth'): DeskEvent => ({
  type: 'agentJoined',
  sessionId: 's1',
  agent: { id: name.toLowerCase(), name, ...(avatarUrl !== undefined ? { avatarUrl } : {}) },
});

describe('AvatarScreen', () => {
  it('passes https pictures and events without one untouched', () => {
    const logger = new RecordingLogger();
    const screen = new AvatarScreen(logger, 'servicenow');
    for (const event of [
      joined('https://photos.example.com/beth.png'),
      joined(),
      { type: 'typing', sessionId: 's1', on: true } as DeskEvent,
    ]) {
      expect(screen.screen(event)).toBe(event);
    }
    expect(logger.entries).toEqual([]);
  });

  it('drops http://, relative and unreadable pictures, warning once per host (and once for all relative ones)', () => {
    const logger = new RecordingLogger();
    const screen = new AvatarScreen(logger, 'servicenow');
    const inputs = [
      'http://photos.example.com/beth.png',
      'http://photos.example.com/carl.png',
      'http://other.example.com/dana.png',
      'beth.iix?t=small',
      '/carl.iix',
    ];
    for (const url of inputs) {
      const out = screen.screen(joined(url));
      expect(out).toEqual({ type: 'agentJoined', sessionId: 's1', agent: { id: 'beth', name: 'Beth' } });
    }
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    expect(warnings.map((w) => (w.obj as { avatarOrigin: string }).avatarOrigin)).toEqual([
      'http://photos.example.com',
      'http://other.example.com',
      'not an absolute URL',
    ]);
    expect(warnings[2].msg).toContain('not absolute URLs (such as "beth.iix?t=small")');
  });

  it('screens every event that names an agent (messages, leaves, typing)', () => {
    const screen = new AvatarScreen(new RecordingLogger(), 'servicenow');
    const agent = { id: 'b', name: 'Beth', avatarUrl: 'http://photos.example.com/b.png' };
    const events: DeskEvent[] = [
      { type: 'agentMessage', sessionId: 's', agent, messageId: 'm', text: 'hi' },
      { type: 'agentLeft', sessionId: 's', agent },
      { type: 'typing', sessionId: 's', agent, on: true },
    ];
    for (const e of events) expect(JSON.stringify(screen.screen(e))).not.toContain('avatarUrl');
  });

  it('isHttpsUrl: absolute https URLs only', () => {
    expect(isHttpsUrl('https://a.example/x.png')).toBe(true);
    expect(isHttpsUrl('HTTPS://A.EXAMPLE/x.png')).toBe(true);
    for (const no of ['http://a.example/x.png', '//a.example/x.png', 'x.png', 'javascript:alert(1)', ''])
      expect(isHttpsUrl(no)).toBe(false);
  });
});
