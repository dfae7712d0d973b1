/**
 * Powertools Logger and Tracer, created once per process and shared by every task. The tracer exists only inside
 * a real Lambda environment with tracing on: offline (tests, the local runtime) there is no X-Ray daemon and no
 * trace header — and loading the X-Ray SDK at all installs an async hook (cls-hooked) that every promise of the
 * process then pays for, so offline it is never loaded.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { onLambda, parseTaskEnv } from './env';

const env = parseTaskEnv();

export const logger = new Logger({
  serviceName: env.POWERTOOLS_SERVICE_NAME,
  // Offline runs print progress themselves; task logs there are for debugging only.
  logLevel: env.POWERTOOLS_LOG_LEVEL ?? (onLambda(env) ? 'INFO' : 'WARN'),
});

export const tracer: Tracer | undefined =
  onLambda(env) && env.POWERTOOLS_TRACE_ENABLED !== 'false'
    ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only where it is used (see above)
      new (require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer')).Tracer({ serviceName: env.POWERTOOLS_SERVICE_NAME, enabled: true })
    : undefined;
