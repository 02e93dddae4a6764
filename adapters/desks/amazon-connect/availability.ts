/**
 * Whether agents can take a chat now: AGENTS_AVAILABLE in the flow's queue from Connect's
 * real-time metrics (GetCurrentMetricData, CHAT channel). Real-time metrics are throttled per
 * account, so one answer serves every offer for `cacheSeconds` and concurrent checks share one
 * call. No queue configured, or the call failing, gives `whenUnknown`.
 */
import { GetCurrentMetricDataCommand } from '@aws-sdk/client-connect';
import { asBridgeError } from '../../../bots/core/errors';
import type { Availability, Clock, Logger } from '../../../bots/core/ports';
import type { AwsCalls } from './aws-calls';
import type { AmazonConnectSettings } from './config';

export class ConnectAvailability {
  private cached?: { at: number; answer: Promise<Availability> };

  constructor(
    private readonly settings: AmazonConnectSettings,
    private readonly calls: AwsCalls,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  check(): Promise<Availability> {
    const queueId = this.settings.availability.queueId;
    if (!queueId) return Promise.resolve({ available: this.settings.availability.whenUnknown });
    const now = this.clock.now();
    const cached = this.cached;
    if (cached && now - cached.at < this.settings.availability.cacheSeconds * 1000) return cached.answer;
    const entry = { at: now, answer: this.query(queueId) };
    this.cached = entry;
    return entry.answer;
  }

  private async query(queueId: string): Promise<Availability> {
    try {
      const answer = await this.calls.run('GetCurrentMetricData', 'safe', () =>
        this.calls.connect.send(
          new GetCurrentMetricDataCommand({
            InstanceId: this.settings.instanceId,
            Filters: { Queues: [queueId], Channels: ['CHAT'] },
            Groupings: ['QUEUE'],
            CurrentMetrics: [
              { Name: 'AGENTS_AVAILABLE', Unit: 'COUNT' },
              { Name: 'AGENTS_ONLINE', Unit: 'COUNT' },
            ],
          }),
        ),
      );
      const collections = answer.MetricResults?.[0]?.Collections ?? [];
      const value = (name: string) => collections.find((c) => c.Metric?.Name === name)?.Value;
      const available = value('AGENTS_AVAILABLE') ?? 0;
      const online = value('AGENTS_ONLINE');
      return { available: available > 0, ...(online !== undefined ? { agentsOnline: online } : {}) };
    } catch (e) {
      // Not cached: the next offer asks again rather than repeating a stale failure.
      this.cached = undefined;
      this.logger.warn({ err: asBridgeError(e) }, 'amazon-connect: availability check failed; using availability.whenUnknown');
      return { available: this.settings.availability.whenUnknown };
    }
  }
}
