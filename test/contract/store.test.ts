/**
 * Runs the `Store` conformance suite against every engine `createStore` can pick.
 */
import { randomUUID } from 'node:crypto';
import { createStore } from '../../adapters/store';
import { storeSettingsSchema } from '../../adapters/store/config';
import { describeStoreConformance } from './store.contract';
import { describeWithRedis, redisUrl } from './store.redis-env';

// A namespace of its own per run, on top of the suite's per-test key prefixes.
const namespace = `bridge-test-${randomUUID().slice(0, 8)}`;

// Both memory engines (adapters/store/memory-engine.ts): keyv through its public API is the
// reference; the map engine, the default, must behave the same, TTL expiry included.
describeStoreConformance('memory (map engine)', () => createStore(storeSettingsSchema.parse({ namespace, memoryEngine: 'map' })));
describeStoreConformance('memory (keyv engine)', () => createStore(storeSettingsSchema.parse({ namespace, memoryEngine: 'keyv' })));

describeWithRedis(`Redis at ${redisUrl}`, () => {
  describeStoreConformance('redis', () => createStore(storeSettingsSchema.parse({ redisUrl, namespace })), {
    shared: true,
  });
});
