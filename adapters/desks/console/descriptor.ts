/** The built-in agent console as a desk: settings under `console:`, pages and API under /console. */
import { defineDesk } from '../descriptor';
import { consoleDeskSchema } from './config';
import { ConsoleDesk } from './desk';
import { createConsoleRouter } from './routes';

export const consoleDescriptor = defineDesk({
  name: 'console',
  settings: consoleDeskSchema,
  // Runs without any settings: one agent with a generated token.
  section: consoleDeskSchema.default({}),
  env: {},
  create(settings, deps) {
    const desk = new ConsoleDesk({
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger,
      settings,
      // Agents' files go through the same vault and limits as users' files.
      files: deps.files,
      fileLimits: deps.fileLimits,
      coalesceEvents: true,
    });
    return {
      desk,
      routes: [
        {
          prefix: '/console',
          // The page's assets stay under `other`: only the API is worth a label of its own.
          metricsPrefix: '/console/api',
          metricsLabel: 'console',
          router: createConsoleRouter(desk, { store: deps.store, eventStreams: deps.eventStreams }),
        },
      ],
      banner: (baseUrl) => [
        `  Agent console:          ${baseUrl}/console`,
        ...(desk.generatedAgent
          ? [
              `  Console agent "${desk.generatedAgent.name}", token: ${desk.generatedAgent.token}`,
              '  (configure console.agents to set your own)',
            ]
          : []),
      ],
    };
  },
});
