/**
 * The user's agent chat phase as the page shows it (the hint line, "Type stop chat to end the
 * chat"), from the broker's read-only `chatState`.
 */
import type { ChatState as CoreChatState } from '../core/broker';
import type { ChatState } from './wire';

export function toWireChatState(state: CoreChatState, showAvatars: boolean): ChatState {
  switch (state.phase) {
    case 'none':
    case 'collecting':
      return { phase: state.phase };
    case 'queued':
      return { phase: 'queued', title: state.title };
    case 'live':
      return {
        phase: 'live',
        agents: state.agents.map((a) => ({
          name: a.name,
          ...(showAvatars && a.avatarUrl && /^https:\/\//i.test(a.avatarUrl) ? { avatarUrl: a.avatarUrl } : {}),
        })),
      };
  }
}
