/**
 * HTTP to the instance: the kit's vendor client (`kit/http-client.ts`: a time limit per attempt,
 * retries on 429/5xx and network failures with backoff and `Retry-After`, typed errors), named
 * for ServiceNow in its errors and logs.
 */
import { DeskHttp, type HttpDeps, type HttpPolicy } from '../kit/http-client';

export type { HttpDeps, HttpPolicy, HttpRequest, HttpResponse } from '../kit/http-client';
export type { RetryMode } from '../kit/retry';

export class ServiceNowHttp extends DeskHttp {
  constructor(deps: HttpDeps, policy: HttpPolicy) {
    super(deps, policy, { name: 'ServiceNow', log: 'servicenow' });
  }
}
