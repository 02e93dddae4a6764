// How the console words times, sizes, surfaces and end reasons: small pure helpers.

export function clear(node) {
  node.replaceChildren();
}

export function timeOf(at) {
  const d = new Date(at);
  const sameDay = d.toDateString() === new Date().toDateString();
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return sameDay ? time : `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

export function waited(since) {
  const minutes = Math.floor((Date.now() - since) / 60000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function previewText(message) {
  if (message.text.trim() === '' && message.files && message.files.length) return message.files.map((f) => `📎 ${f.name}`).join(', ');
  return message.text;
}

/** "2.5 MB", as the server words its limits. */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
}

export function typeAllowed(type, allowed) {
  if (!allowed || allowed.length === 0) return true;
  const t = type.toLowerCase();
  return allowed.some((a) => {
    const p = a.toLowerCase();
    return p.endsWith('/*') ? t.startsWith(p.slice(0, -1)) : t === p;
  });
}

export function surfaceName(surface) {
  return { teams: 'Microsoft Teams', slack: 'Slack', web: 'web chat' }[surface] || surface;
}

export function reasonText(reason) {
  return (
    {
      user_stopped: 'the user ended it',
      user_cancelled: 'the user cancelled',
      agent_ended: 'an agent ended it',
      queue_timeout: 'nobody accepted in time',
      desk_error: 'an error',
    }[reason] || reason
  );
}
