/**
 * The one inbound endpoint of the Virtual Agent API: `POST /api/sn_va_as_service/bot/integration`.
 * Adds REST auth and/or message auth, sends compact JSON (the bytes the signature covers), and
 * reads ServiceNow's `{"status":"success"|"failure"}` answer.
 */
import { BridgeError, ErrorCode } from '../../../bots/core/errors';
import { messageAuthHeaders, type RestAuth } from './auth';
import type { ServiceNowSettings } from './config';
import type { RetryMode, ServiceNowHttp } from './http';
import type { InboundRequest, InboundResponse } from './wire-types';

export const VA_API_PATH = '/api/sn_va_as_service/bot/integration';

export class VaApi {
  constructor(
    private readonly settings: ServiceNowSettings,
    private readonly http: ServiceNowHttp,
    private readonly auth: RestAuth,
  ) {}

  async post(op: string, request: InboundRequest, retry: RetryMode = 'safe'): Promise<void> {
    const body = JSON.stringify(request);
    const answer = await this.http.json<InboundResponse>({
      op,
      method: 'POST',
      url: `${this.settings.instanceUrl}${VA_API_PATH}`,
      headers: async () => ({
        ...(await this.auth.headers()),
        ...messageAuthHeaders(this.settings.messageAuth, body),
        'Content-Type': 'application/json',
        Accept: 'application/json',
      }),
      body,
      retry,
      onUnauthorized: () => this.auth.invalidate(),
    });
    // A 200 can still say failure; an empty 200 is taken as success (some releases send none).
    if (answer?.status && answer.status !== 'success') {
      throw new BridgeError(ErrorCode.DeskRejected, `ServiceNow refused ${op}`, { details: { op, error: answer.error } });
    }
  }
}
