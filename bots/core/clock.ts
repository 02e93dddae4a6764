import type { Clock } from './ports';

/** Wall-clock time and Node timers. Tests inject their own Clock instead. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const handle = setTimeout(fn, ms);
    // A pending queue timeout must not keep a stopping process alive; it is re-armed at start.
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};
