/**
 * Where a user's agent chat stands, for surfaces that show it (the web page's hint line): the
 * session's phase with what a surface may show of it, nothing of the core's bookkeeping.
 */
import type { AgentInfo } from './ports';
import type { Session } from './session-state';

export type ChatState =
  | { phase: 'none' }
  | { phase: 'collecting' }
  | { phase: 'queued'; title: string }
  | { phase: 'live'; title: string; agents: AgentInfo[] };

export function chatStateOf(session: Session | undefined): ChatState {
  switch (session?.phase) {
    case undefined:
      return { phase: 'none' };
    case 'collecting':
      return { phase: 'collecting' };
    case 'queued':
      return { phase: 'queued', title: session.request.title };
    case 'live':
      return { phase: 'live', title: session.request.title, agents: session.agents };
  }
}
