import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { FinalizeHandlerArguments, FinalizeHandlerOutput } from '@smithy/types';
import { z } from 'zod';
import { registerClientPlugin, type ClientPlugin } from '../../../tasks/clients';
import { TASK_NAMES } from '../../../tasks/contracts';
import { ec2Client } from '../../../tasks/common/ec2';
import { defaultRegion, onLambda, parseTaskEnv } from '../../../tasks/common/env';
import { formatIssues } from '../../../tasks/common/issues';
import { tracer } from '../../../tasks/common/powertools';
import { clearClientCache } from '../../../tasks/common/regional';
import { handler as checkImage } from '../../../tasks/checkImage/handler';
import * as errors from '../../../tasks/errors';
import { run } from './fixtures';

const TASKS_DIR = join(__dirname, '../../../tasks');

describe('task layout', () => {
  it.each(TASK_NAMES)('%s has tasks/<name>/handler.ts exporting handler', async (name) => {
    // Prepare
    const entry = join(TASKS_DIR, name, 'handler.ts');
    expect(existsSync(entry)).toBe(true);

    // Act
    const module = (await import(entry)) as { handler?: unknown };

    // Assess
    expect(typeof module.handler).toBe('function');
  });

  it('names every error class after itself, so Retry/Catch can match it', () => {
    const instances = [
      new errors.InvalidTaskEvent('x'),
      new errors.InvalidExecutionInput('x'),
      new errors.BaseImageNotFound('x'),
      new errors.InstanceLaunchFailed('x'),
      new errors.InstanceNotReady('x'),
      new errors.ImageCreationFailed('x'),
      new errors.ScanIncomplete('x'),
      new errors.ScanGateFailed('x'),
      new errors.ComponentFailed({
        component: 'c', phase: 'build', step: 's', status: 'Failed', exitCode: 1, attempts: 1, outputTail: '', instanceId: 'i', commandId: 'x',
      }),
    ];
    for (const error of instances) {
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(error.constructor.name);
    }
  });
});

describe('clients and tracing offline', () => {
  afterEach(() => clearClientCache());

  it('builds clients through createClient, so a registered client plugin (the local runtime) answers', async () => {
    // Prepare: a plugin like the local cloud's, answering after the SDK's retry middleware
    const plugin: ClientPlugin = {
      name: 'test-answer-images',
      pluggable: () => ({
        applyToStack: (stack) =>
          stack.add(
            () =>
              async (_args: FinalizeHandlerArguments<object>): Promise<FinalizeHandlerOutput<object>> => ({
                output: { Images: [{ ImageId: 'ami-0fedcba9876543210', State: 'available' }], $metadata: {} },
                response: {},
              }),
            { step: 'finalizeRequest', priority: 'low', name: 'test-answer-images', tags: ['test-answer-images'] },
          ),
      }),
    };
    const unregister = registerClientPlugin(plugin);
    process.env.AWS_ACCESS_KEY_ID ??= 'AKIDLOCAL';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

    try {
      // Act
      const result = await checkImage({ run, imageId: 'ami-0fedcba9876543210' });

      // Assess
      expect(result).toEqual({ state: 'available', snapshotIds: [] });
    } finally {
      unregister();
    }
  });

  it('caches one client per region, defaulting to AWS_REGION', async () => {
    const first = ec2Client();
    expect(ec2Client()).toBe(first);
    expect(ec2Client('us-east-1')).not.toBe(first);
    expect(first).toBeInstanceOf(EC2Client);
    await expect(first.config.region()).resolves.toBe(process.env.AWS_REGION);
  });

  it('keeps X-Ray tracing off outside Lambda', () => {
    expect(tracer?.isTracingEnabled() ?? false).toBe(false);
    expect(onLambda(parseTaskEnv({}))).toBe(false);
    expect(onLambda(parseTaskEnv({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' }))).toBe(true);
  });

  it('names a missing region and a bad variable', () => {
    expect(() => defaultRegion({})).toThrow('AWS_REGION is not set');
    expect(() => parseTaskEnv({ POWERTOOLS_LOG_LEVEL: 'LOUD' })).toThrow('invalid task environment: POWERTOOLS_LOG_LEVEL:');
  });
});

describe('formatIssues', () => {
  it('names nested fields and array items', () => {
    const schema = z.strictObject({ a: z.strictObject({ list: z.array(z.number()) }) });
    const error = schema.safeParse({ a: { list: [1, 'two'], extra: true } }).error;

    expect(error && formatIssues(error)).toBe('a.list[1]: Invalid input: expected number, received string; a.extra: unknown field');
  });
});
