/**
 * Prometheus metrics at `GET /metrics` (text exposition format 0.0.4), written here rather than
 * pulled in as a dependency: a few counters, one histogram and process gauges are all we need.
 *
 * Access: with `server.metricsToken` set, a Bearer token is required; without it, only loopback
 * clients are served (a scraper on the same host or through a sidecar), so nothing leaks publicly.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type express from 'express';
import { hasBearer, sendUnauthorized } from './bearer';

type Labels = Record<string, string>;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Labels) => {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
};

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  render(name: string): string[];
}

export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }
  /** An increment for one label set, for hot paths that count the same labels again and again. */
  series(labels: Labels): (by?: number) => void {
    const key = labelText(labels);
    let entry = this.values.get(key);
    if (!entry) {
      entry = { labels, value: 0 };
      this.values.set(key, entry);
    }
    const e = entry;
    return (by = 1) => {
      e.value += by;
    };
  }
  render(name: string): string[] {
    return [...this.values.values()].map((e) => `${name}${labelText(e.labels)} ${e.value}`);
  }
}

export class Histogram {
  private readonly seriesByKey = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(private readonly buckets: number[]) {}
  observe(labels: Labels, value: number): void {
    this.series(labels)(value);
  }
  /** An observer for one label set (see Counter.series). */
  series(labels: Labels): (value: number) => void {
    const key = labelText(labels);
    let found = this.seriesByKey.get(key);
    if (!found) {
      found = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.seriesByKey.set(key, found);
    }
    const s = found;
    const buckets = this.buckets;
    return (value: number) => {
      for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]) s.counts[i] += 1;
      s.sum += value;
      s.count += 1;
    };
  }
  render(name: string): string[] {
    const lines: string[] = [];
    for (const s of this.seriesByKey.values()) {
      for (const [i, b] of this.buckets.entries()) lines.push(`${name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]}`);
      lines.push(`${name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>();

  counter(name: string, help: string): Counter {
    const c = new Counter();
    this.families.set(name, { help, type: 'counter', render: (n) => c.render(n) });
    return c;
  }

  histogram(name: string, help: string, buckets: number[]): Histogram {
    const h = new Histogram(buckets);
    this.families.set(name, { help, type: 'histogram', render: (n) => h.render(n) });
    return h;
  }

  /** A gauge read when scraped. */
  gauge(name: string, help: string, read: () => number): void {
    this.families.set(name, { help, type: 'gauge', render: (n) => [`${n} ${read()}`] });
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`, ...f.render(name));
    }
    return `${out.join('\n')}\n`;
  }
}

/** A path prefix and the `api` label its requests are counted under. */
export interface RouteLabel {
  prefix: string;
  label: string;
}

/** The bridge's own doors; desks add theirs (their descriptors' routes). */
const builtInLabels: RouteLabel[] = [
  { prefix: '/api/messages', label: 'teams' },
  { prefix: '/slack/', label: 'slack' },
  { prefix: '/chat/api', label: 'web' },
  { prefix: '/api/broadcasts', label: 'broadcasts' },
  { prefix: '/files/', label: 'files' },
];

/** Route families, so labels stay few whatever paths clients send. */
function labeller(routes: RouteLabel[]): (path: string) => string {
  return (path) =>
    routes.find((r) => path === r.prefix || path.startsWith(r.prefix.endsWith('/') ? r.prefix : `${r.prefix}/`))?.label ?? 'other';
}

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export interface MetricsOptions {
  registry: MetricsRegistry;
  token?: string;
  /** The desks' route prefixes and labels (each desk's descriptor says them). */
  routeLabels?: RouteLabel[];
}

/** Counts and times every request; mount before the routes. Then `mountMetricsEndpoint`. */
export function mountMetrics(app: express.Express, options: MetricsOptions): void {
  const { registry } = options;
  const apiOf = labeller([...builtInLabels, ...(options.routeLabels ?? [])]);
  const requests = registry.counter('lab_http_requests_total', 'HTTP requests by API and status class.');
  const duration = registry.histogram(
    'lab_http_request_duration_seconds',
    'Time to answer HTTP requests, by API.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  registry.gauge('process_resident_memory_bytes', 'Resident set size.', () => process.memoryUsage.rss());
  registry.gauge('nodejs_heap_used_bytes', 'V8 heap in use.', () => process.memoryUsage().heapUsed);
  registry.gauge('nodejs_eventloop_lag_p99_seconds', 'Event loop delay, 99th percentile since start.', () => lag.percentile(99) / 1e9);
  registry.gauge('process_uptime_seconds', 'Seconds since the process started.', () => process.uptime());

  // Label sets are few (API x status class), so each series' key is built once, not per request.
  const requestSeries = new Map<string, () => void>();
  const countRequest = (api: string, status: number) => {
    const key = `${api} ${Math.floor(status / 100)}`;
    let inc = requestSeries.get(key);
    if (!inc) {
      const labels = { api, status: `${Math.floor(status / 100)}xx` };
      inc = requests.series(labels);
      requestSeries.set(key, inc);
    }
    inc();
  };
  const durationSeries = new Map<string, (value: number) => void>();
  const observeDuration = (api: string, seconds: number) => {
    let observe = durationSeries.get(api);
    if (!observe) {
      observe = duration.series({ api });
      durationSeries.set(api, observe);
    }
    observe(seconds);
  };

  app.use((req, res, next) => {
    // Event streams stay open for hours; timing them would only skew the histogram.
    if (req.method === 'GET' && req.path.endsWith('/events')) return next();
    const start = performance.now();
    // Read now: mounted routers rewrite req.path, and `finish` fires while inside one.
    const api = apiOf(req.path);
    res.on('finish', () => {
      countRequest(api, res.statusCode);
      observeDuration(api, (performance.now() - start) / 1000);
    });
    next();
  });

  const expected = options.token ? Buffer.from(options.token) : undefined;
  app.get('/metrics', (req, res) => {
    if (expected) {
      if (!hasBearer(req, expected)) {
        sendUnauthorized(res, 'A valid metrics token is required.');
        return;
      }
    } else if (!loopback.has(req.socket.remoteAddress ?? '')) {
      res.status(403).json({
        error: { code: 'forbidden', message: 'Metrics are served to loopback only; set server.metricsToken to scrape from elsewhere.' },
      });
      return;
    }
    res.type('text/plain; version=0.0.4').send(registry.render());
  });
}
