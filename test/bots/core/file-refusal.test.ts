import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import { FileRefusedError, refusalReason } from '../../../bots/core/file-refusal';
import { defaultMessages } from '../../../bots/core/settings';
import { OutboundRefusedError } from '../../../bots/http/outbound-guard';

describe('file refusals worded from bot.messages.fileRefusedReasons', () => {
  const reasons = {
    ...defaultMessages.fileRefusedReasons,
    downloadBusy: '{platform} antwortet nicht ({status})',
    privateAddress: 'privat',
  };

  it('keeps the default wording as the error message, and words the reason from the configured settings', () => {
    const busy = new FileRefusedError('downloadBusy', { platform: 'Teams', status: '503' }, { retryable: true });
    expect(busy).toMatchObject({ code: ErrorCode.FileRejected, retryable: true });
    expect(busy.message).toBe('Teams could not hand it over just now (HTTP 503); try sending it again');
    expect(refusalReason(busy, reasons)).toBe('Teams antwortet nicht (503)');
  });

  it("words the outbound guard's refusals too", () => {
    const guard = new OutboundRefusedError('private_address', 'privateAddress', { host: '10.0.0.1' });
    expect(guard.message).toBe('its address is on a private network, which the bridge does not download from');
    expect(refusalReason(guard, reasons)).toBe('privat');
  });

  it('gives the generic download reason for anything that names no reason, so no unconfigured text reaches the user', () => {
    const unkeyed = new BridgeError(ErrorCode.FileRejected, 'some words a surface made up');
    expect(refusalReason(unkeyed, { ...reasons, download: 'ging nicht' })).toBe('ging nicht');
    expect(refusalReason(new Error('socket hang up'), { ...reasons, download: 'ging nicht' })).toBe('ging nicht');
  });
});
