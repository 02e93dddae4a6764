/**
 * Runs the `Store` conformance suite against both engines `createStore` can pick.
 */
import { randomUUID } from 'node:crypto';
import { createStore } from '../../adapters/store';
import { storeSettingsSchema } from '../../adapters/store/config';
import { describeStoreConformance } from './store.contract';
import { describeWithRedis, redisUrl } from './store.redis-env';

// A namespace of its own per run, on top of the suite's per-test key prefixes.
const namespace = `bridge-test-${randomUUID().slice(0, 8)}`;

describeStoreConformance('memory', () => createStore(storeSettingsSchema.parse({ namespace })));

describeWithRedis(`Redis at ${redisUrl}`, () => {
  describeStoreConformance('redis', () => createStore(storeSettingsSchema.parse({ redisUrl, namespace })), {
    shared: true,
  });
});
