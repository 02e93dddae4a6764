/**
 * Bolt listeners: Slack requests → core events, handed to the broker, which resolves once the
 * event is persisted in its inbox (never after the desk answered).
 *
 * - Events API over HTTP: Slack is answered when the listener is done (`processBeforeResponse`),
 *   so a 2xx means persisted and a failure to persist is a 5xx Slack retries. Retries (`X-Slack-Retry-Num`) are
 *   processed like first deliveries; the broker drops what it has seen by the event's ids
 *   (event_id, and channel + ts for redeliveries under a new event_id).
 * - Buttons: `ack()` at once (Slack shows an error after 3 s). "Add details" opens the modal right
 *   there, with that click's trigger.
 * - The details modal: invalid input is answered inline (`response_action: errors`) before the
 *   core ever sees it; a valid one closes the modal and becomes `submitDetails`.
 *
 * Per user, events are translated one at a time, so lookups (names, file stubs) cannot reorder a
 * user's messages on their way to the broker.
 *
 * Message events go through an inbound router (bots/core/inbound-router.ts): channel desks'
 * routes first (bots/slack/channel-port.ts), then the user pipeline, which takes DMs. What no
 * route selects (a channel nobody owns, an edit, the bot's own post) is acknowledged and dropped.
 */
import type { App, webApi } from '@slack/bolt';
import { DETAILS_MODAL_CALLBACK_ID } from '../../cards/blocks';
import type { CardLabels } from '../../cards/labels';
import { asBridgeError } from '../core/errors';
import type { UserEvent, UserEventHandler } from '../core/events';
import { InboundRouter, type InboundRoute } from '../core/inbound-router';
import { KeyedQueue } from '../core/keyed-queue';
import type { DetailsView, Logger } from '../core/ports';
import { slackCall } from './client';
import type { SlackDirectory } from './directory';
import type { SlackIdentity } from './identity';
import {
  actionToOutcome,
  hasStubFiles,
  needsFileInfo,
  isUserMessage,
  messageToUserEvent,
  submissionToUserEvent,
  validateSubmission,
  type SlackBlockActionBody,
  type SlackEventEnvelope,
  type SlackFile,
  type SlackViewSubmissionBody,
} from './inbound';
import { mentionedUserIds } from './mrkdwn';
import { notAcceptedIn, SlackEventNotAccepted } from './not-accepted';
import type { SlackSurface } from './surface';

export interface ListenerDeps {
  handler: UserEventHandler;
  surface: SlackSurface;
  directory: SlackDirectory;
  identity: SlackIdentity;
  client: webApi.WebClient;
  labels: Pick<CardLabels, 'descriptionError' | 'topicError'>;
  /** The details form for an offer (the core's wording and topics), for "Add details". */
  detailsView: (offerId: string, options: { topicOnly: boolean }) => DetailsView;
  logger: Logger;
  now?: () => number;
  /** Routes asked before the user pipeline for every message event (channel desks' messages). */
  routes?: readonly InboundRoute<SlackEventEnvelope>[];
}

export function registerListeners(bolt: App, deps: ListenerDeps): void {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const perUser = new KeyedQueue();

  const accept = async (event: UserEvent, what: string) => {
    try {
      const outcome = await deps.handler.accept(event);
      logger.debug({ surface: 'slack', type: event.type, outcome, dedupeKeys: event.dedupeKeys }, `${what} accepted`);
    } catch (err) {
      logger.error({ surface: 'slack', err: asBridgeError(err), type: event.type }, `${what} could not be accepted`);
      // Over HTTP the answer waits for this (processBeforeResponse), so Slack gets a 5xx and
      // retries; in Socket Mode the envelope was acknowledged on receipt and this is all we can do.
      throw new SlackEventNotAccepted(err);
    }
  };

  // The user pipeline is the last route: what reaches it is today's path for a DM; a message no
  // route selects (a channel nobody owns, an edit, the bot's own post) is acknowledged and dropped.
  const userPipeline: InboundRoute<SlackEventEnvelope> = {
    name: 'user-pipeline',
    select: (envelope) => isUserMessage(envelope.event, deps.identity.current?.botUserId),
    handle: async (envelope) => {
      const event = envelope.event;
      const userId = event.user ?? ''; // selected: isUserMessage checked it
      await perUser.run(userId, async () => {
        if (hasStubFiles(event)) event.files = await completeStubs(deps, event.files ?? []);
        const [profile, names] = await Promise.all([
          deps.directory.profile(userId),
          deps.directory.names(mentionedUserIds(event.text ?? '')),
        ]);
        const userEvent = messageToUserEvent(envelope, {
          profile,
          botUserId: deps.identity.current?.botUserId,
          userName: (id) => names.get(id),
        });
        if (userEvent) await accept(userEvent, 'message');
      });
    },
  };
  const messages = new InboundRouter<SlackEventEnvelope>([...(deps.routes ?? []), userPipeline]);

  bolt.event('message', async ({ body, context }) => {
    const envelope = body as unknown as SlackEventEnvelope;
    const route = messages.select(envelope);
    if (!route) return;
    if (context.retryNum) {
      logger.info(
        { surface: 'slack', eventId: envelope.event_id, retryNum: context.retryNum, retryReason: context.retryReason, route: route.name },
        'Slack redelivered an event',
      );
    }
    await route.handle(envelope);
  });

  bolt.action({ action_id: /^lab_/ }, async ({ ack, body }) => {
    const receivedAt = now();
    await ack();
    const click = body as unknown as SlackBlockActionBody;
    if (click.type !== 'block_actions') return;
    // The profile is looked up in the user's queue below; the modal cannot wait for it.
    const outcome = actionToOutcome(click, { profile: { id: click.user.id, name: click.user.id }, now: receivedAt });
    switch (outcome.kind) {
      case 'ignore':
        return;
      case 'openDetails': {
        const view = deps.detailsView(outcome.offerId, { topicOnly: outcome.topicOnly });
        try {
          await deps.surface.openDetailsModal(outcome.triggerId, view, {
            offerId: outcome.offerId,
            channel: outcome.channel,
            ts: outcome.ts,
            from: 'details',
            topicRequired: view.topicRequired && view.topics.length > 0,
            ...(view.topicOnly ? { topicOnly: true } : {}),
          });
        } catch (err) {
          logger.warn({ surface: 'slack', err: asBridgeError(err) }, 'details modal could not be opened from "Add details"');
        }
        return;
      }
      case 'event':
        await perUser.run(click.user.id, async () => {
          const profile = await deps.directory.profile(click.user.id);
          await accept({ ...outcome.event, user: { ...outcome.event.user, profile } }, `button ${click.actions[0]?.action_id}`);
        });
    }
  });

  bolt.view(DETAILS_MODAL_CALLBACK_ID, async ({ ack, body }) => {
    const submission = body as unknown as SlackViewSubmissionBody;
    if (submission.type !== 'view_submission') {
      await ack();
      return;
    }
    const errors = validateSubmission(submission, deps.labels);
    if (errors) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack(); // closes the modal
    await perUser.run(submission.user.id, async () => {
      const event = submissionToUserEvent(submission, await deps.directory.profile(submission.user.id));
      if (event) await accept(event, 'details form');
    });
  });

  bolt.error(async (error) => {
    // Already logged where it happened; passed on so the receiver answers Slack with a 5xx.
    const notAccepted = notAcceptedIn(error);
    if (notAccepted) throw notAccepted;
    logger.error({ surface: 'slack', err: error }, 'Slack request failed in Bolt');
  });
}

/** Stubs (`file_access: check_file_info`) → full file objects via files.info; a failure keeps the stub. */
export async function completeStubs(deps: Pick<ListenerDeps, 'client' | 'logger'>, files: SlackFile[]): Promise<SlackFile[]> {
  return Promise.all(
    files.map(async (file) => {
      if (!needsFileInfo(file)) return file;
      try {
        const info = await slackCall('files.info', () => deps.client.files.info({ file: file.id }));
        return info.file ? ({ ...(info.file as SlackFile), id: file.id } satisfies SlackFile) : file;
      } catch (err) {
        deps.logger.warn({ surface: 'slack', err, fileId: file.id }, 'files.info failed; the file will be looked up again on download');
        return file;
      }
    }),
  );
}
