/**
 * The fixed wording on cards (button titles, input labels). What the bot *says* comes from the
 * core in the view (`message`, `prompt`, `status`); these are the renderer's own words. Defaults
 * are English; the composition root may pass overrides from config.
 */
export interface CardLabels {
  /** The offer's button. */
  startChat: string;
  /** The details form's submit button. */
  submitDetails: string;
  /** The waiting card's button. */
  cancel: string;
  /** The waiting card's line under the title. */
  waiting: string;
  /** `{minutes}` is replaced by the estimated wait in whole minutes (at least 1). */
  estimatedWait: string;
  descriptionLabel: string;
  descriptionPlaceholder: string;
  descriptionError: string;
  topicLabel: string;
  topicPlaceholder: string;
  topicError: string;
}

export const defaultCardLabels: CardLabels = {
  startChat: 'Start agent chat',
  submitDetails: 'Start chat',
  cancel: 'Cancel',
  waiting: 'Waiting for an agent…',
  estimatedWait: 'Estimated wait: about {minutes} min.',
  descriptionLabel: 'What do you need help with?',
  descriptionPlaceholder: 'Describe the problem in a sentence or two',
  descriptionError: 'Please tell us what you need help with.',
  topicLabel: 'Topic',
  topicPlaceholder: 'Choose a topic',
  topicError: 'Please choose a topic.',
};

/** Slack-only wording (`cards.addDetails`, `cards.addTopic`, `cards.modalTitle`) (Teams has no modal and no "Add details" step). */
export interface SlackCardLabels {
  addDetails: string;
  /** The button that opens a topic-only form. */
  addTopic: string;
  /** At most 24 characters (Slack's limit for modal titles). */
  modalTitle: string;
}

export const defaultSlackCardLabels: SlackCardLabels = {
  addDetails: 'Add details',
  addTopic: 'Choose a topic',
  modalTitle: 'Contact an agent',
};

/** Whole minutes, at least 1: "about 0 min" reads like a bug. */
export function formatEstimatedWait(labels: CardLabels, seconds: number): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  return labels.estimatedWait.replace(/\{minutes\}/g, String(minutes));
}
