/**
 * A plain-text rendering of a card view: what notifications, screen readers and clients that
 * cannot draw the card show. It says what the card says, minus the buttons that no longer apply.
 */
import type { CardView } from '../bots/core/ports';
import { defaultCardLabels, formatEstimatedWait, type CardLabels } from './labels';

export function viewFallbackText(view: CardView, labels: CardLabels = defaultCardLabels): string {
  const lines: (string | undefined)[] = [];
  switch (view.type) {
    case 'offer':
      lines.push(view.message);
      if (!view.showButton) lines.push(view.hiddenReason);
      if (!view.status && !view.showButton && view.fallback) {
        lines.push(`${view.fallback.label}: ${view.fallback.url}`);
      }
      lines.push(view.status?.text);
      break;
    case 'details':
      lines.push(view.prompt, view.status?.text);
      break;
    case 'waiting':
      lines.push(view.title);
      if (!view.status) {
        lines.push(labels.waiting);
        if (view.estimatedWaitSeconds !== undefined) {
          lines.push(formatEstimatedWait(labels, view.estimatedWaitSeconds));
        }
      }
      lines.push(view.status?.text);
      break;
    case 'agentMessage':
      lines.push(`${view.agent.name}: ${view.text}`);
      break;
    case 'broadcast':
      lines.push(view.title, view.text, view.status?.text);
      break;
    default:
      return assertNever(view);
  }
  return lines.filter((l): l is string => typeof l === 'string' && l.trim() !== '').join('\n');
}

/** A new view type must fail the build here, not render as nothing. */
function assertNever(view: never): never {
  throw new Error(`unknown card view: ${JSON.stringify(view)}`);
}
