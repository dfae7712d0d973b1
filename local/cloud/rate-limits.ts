/**
 * EC2 API request throttling as AWS documents it: a token bucket per account, region and action group
 * (bucket size, refill per second), on the world's clock. Off by default — fault rules are the reproducible way
 * to test throttling — and switched on per world (`world.state.rateLimits = true`, scenario `rateLimits: true`)
 * to see whether a workload stays within AWS's limits. Figures: EC2 API reference, "Request throttling".
 */
import { ServiceError } from './errors';
import type { World } from './world';

interface Bucket {
  size: number;
  refillPerSecond: number;
}

const DESCRIBE: Bucket = { size: 100, refillPerSecond: 20 };
const MUTATING_DEFAULT: Bucket = { size: 50, refillPerSecond: 5 };
const BY_ACTION: Record<string, Bucket> = {
  CopyImage: { size: 100, refillPerSecond: 1 },
  RunInstances: { size: 5, refillPerSecond: 2 },
  CreateTags: { size: 100, refillPerSecond: 10 },
  ModifyImageAttribute: { size: 100, refillPerSecond: 5 },
  CreateLaunchTemplateVersion: { size: 100, refillPerSecond: 5 },
  ModifyLaunchTemplate: { size: 100, refillPerSecond: 5 },
  DeregisterImage: { size: 100, refillPerSecond: 5 },
  DeleteSnapshot: { size: 100, refillPerSecond: 5 },
};

/** The bucket an EC2 action draws from, and the bucket's name (actions sharing a default bucket share tokens). */
export function ec2Bucket(operation: string): { name: string; bucket: Bucket } {
  if (BY_ACTION[operation]) return { name: operation, bucket: BY_ACTION[operation] };
  if (/^(Describe|Get)/.test(operation)) return { name: 'describe', bucket: DESCRIBE };
  return { name: 'mutating', bucket: MUTATING_DEFAULT };
}

/** Token state per world (not persisted: a restart starts with full buckets, as after a quiet period on AWS). */
const state = new WeakMap<World, Map<string, { tokens: number; at: number }>>();

/** Take a token for an EC2 action or throw RequestLimitExceeded (503), when the world has rate limits on. */
export function takeEc2Token(world: World, accountId: string, region: string, operation: string): void {
  if (!world.state.rateLimits) return;
  const { name, bucket } = ec2Bucket(operation);
  let buckets = state.get(world);
  if (!buckets) {
    buckets = new Map();
    state.set(world, buckets);
  }
  const key = `${accountId}/${region}/${name}`;
  const now = world.clock.now();
  const current = buckets.get(key) ?? { tokens: bucket.size, at: now };
  const tokens = Math.min(bucket.size, current.tokens + ((now - current.at) / 1000) * bucket.refillPerSecond);
  if (tokens < 1) {
    buckets.set(key, { tokens, at: now });
    throw new ServiceError('RequestLimitExceeded', 'Request limit exceeded.', { httpStatusCode: 503 });
  }
  buckets.set(key, { tokens: tokens - 1, at: now });
}
