/** Files in the session life cycle. */
import { transition } from '../../../bots/core/session';
import { ctx, effectTypes, internal, live, SESSION } from '../../helpers/core-builders';

describe('file slots', () => {
  it('a file refused after download gives its per-chat slot back', () => {
    const s = { ...live(), session: { ...(live().session as object), filesSent: 2 } } as ReturnType<typeof live>;
    const r = transition(s, internal({ type: 'fileRefused', sessionId: SESSION, name: 'big.png', reason: 'too big' }), ctx());
    expect((r.state.session as { filesSent?: number }).filesSent).toBe(1);
    expect(effectTypes(r.effects)).toEqual(['send']);
  });
});
