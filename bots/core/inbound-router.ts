/**
 * Where a surface sends what a platform delivers: an ordered list of `{ select, handle }`
 * routes, the first that selects an event handles it. The user pipeline (events for the broker)
 * is one route among them, so a channel desk's route can take channel messages before it, and
 * an event no route selects is left alone (the surface answers the platform as it always did).
 */

export interface InboundRoute<E> {
  /** For logs: which route took an event. */
  readonly name: string;
  /** Synchronous and cheap: it runs for every event, for every route before the one that selects. */
  select(event: E): boolean;
  /** Resolves once the event is taken; a rejection is the surface's to turn into a retry. */
  handle(event: E): Promise<void>;
}

export class InboundRouter<E> {
  private readonly routes: InboundRoute<E>[];

  /** `routes` in order of precedence: the user pipeline, which takes what is left, goes last. */
  constructor(routes: readonly InboundRoute<E>[]) {
    this.routes = [...routes];
  }

  /** The route that selects `event`, if any. */
  select(event: E): InboundRoute<E> | undefined {
    return this.routes.find((r) => r.select(event));
  }

  /** Hand `event` to the first route that selects it; resolves with that route, or undefined. */
  async dispatch(event: E): Promise<InboundRoute<E> | undefined> {
    const route = this.select(event);
    if (route) await route.handle(event);
    return route;
  }
}
