/**
 * Per-region client cache. Every client is built by `createClient` from `tasks/clients.ts` (so the local
 * runtime's plugin applies) once per region and process, then reused across invocations as Lambda intends.
 */
import type { SdkClient } from '../clients';
import { defaultRegion } from './env';
import { tracer } from './powertools';

const caches = new Map<string, Map<string, SdkClient>>();

/** The cached client of `service` for `region` (default: the function's region), built by `build` once. */
export function regionalClient<C extends SdkClient>(service: string, region: string | undefined, build: (region: string) => C): C {
  const resolved = region ?? defaultRegion();
  let cache = caches.get(service);
  if (!cache) caches.set(service, (cache = new Map()));
  const existing = cache.get(resolved);
  if (existing) return existing as C;
  const client = build(resolved);
  // Only on Lambda with tracing on: then every SDK call becomes an X-Ray subsegment.
  if (tracer?.isTracingEnabled()) tracer.captureAWSv3Client(client);
  cache.set(resolved, client);
  return client;
}

/** Forget every cached client (tests that change the region or register plugins per test). */
export function clearClientCache(): void {
  caches.clear();
}
