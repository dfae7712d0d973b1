/**
 * Powertools Logger and Tracer, created once per process and shared by every task. The tracer is switched
 * on only inside a real Lambda environment: offline (tests, the local runtime) there is no X-Ray daemon and
 * no trace header, and the X-Ray SDK must not complain about missing segments.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { onLambda, parseTaskEnv } from './env';

const env = parseTaskEnv();

export const logger = new Logger({
  serviceName: env.POWERTOOLS_SERVICE_NAME,
  // Offline runs print progress themselves; task logs there are for debugging only.
  logLevel: env.POWERTOOLS_LOG_LEVEL ?? (onLambda(env) ? 'INFO' : 'WARN'),
});

export const tracer = new Tracer({
  serviceName: env.POWERTOOLS_SERVICE_NAME,
  enabled: onLambda(env) && env.POWERTOOLS_TRACE_ENABLED !== 'false',
});
