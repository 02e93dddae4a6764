/** Structured JSON logs (pino). Secrets that may appear in logged objects are redacted. */
import pino from 'pino';

export type AppLogger = pino.Logger;

export function createLogger(level: string): AppLogger {
  return pino({
    level,
    base: { app: 'live-agent-bridge' },
    redact: {
      paths: ['*.token', '*.password', '*.MicrosoftAppPassword', 'req.headers.authorization', '*.authorization'],
      censor: '[redacted]',
    },
    serializers: { err: pino.stdSerializers.err },
  });
}
