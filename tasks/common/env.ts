/**
 * The environment every task function reads, validated once. Lambda sets AWS_REGION and AWS_EXECUTION_ENV;
 * the infra sets the POWERTOOLS_* variables; the local runtime sets AWS_REGION to the simulated region.
 */
import * as z from 'zod';

const publishSettingsSchema = z.strictObject({
  parameterName: z.string().min(1),
  accounts: z.array(z.strictObject({ account: z.string().regex(/^\d{12}$/), roleName: z.string().min(1) })),
  externalId: z.string().min(1),
});

export const taskEnvSchema = z.object({
  AWS_REGION: z.string().min(1).optional(),
  /** `AWS_Lambda_nodejs22.x` on Lambda; absent offline, which keeps X-Ray tracing off. */
  AWS_EXECUTION_ENV: z.string().optional(),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default('golden-ami-pipeline'),
  POWERTOOLS_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL']).optional(),
  POWERTOOLS_TRACE_ENABLED: z.enum(['true', 'false']).optional(),
  /** Set on the cleanup function, which EventBridge also invokes (no state machine context then). */
  GAMI_PIPELINE: z.string().min(1).optional(),
  GAMI_REGISTRY_TABLE: z.string().min(1).optional(),
  GAMI_TOPIC_ARN: z.string().min(1).optional(),
  /** Approval (requestApproval and the approval API): the signing key's secret (ARN or name). */
  GAMI_APPROVAL_SECRET: z.string().min(1).optional(),
  /** Approval: where the approval API is served, the base of every link (the HTTP API's endpoint; locally the local server). */
  GAMI_APPROVAL_BASE_URL: z.url().optional(),
  /** Comma-separated target regions, where cleanup looks for the copies of a stopped or timed-out run. */
  GAMI_COPY_REGIONS: z.string().optional(),
  /**
   * JSON {parameterName, accounts: [{account, roleName}], externalId}: the latest-image parameter cleanup restores
   * after a stopped or timed-out run that published it (set when the pipeline publishes).
   */
  GAMI_PUBLISH: z
    .string()
    .transform((text, ctx) => {
      try {
        return publishSettingsSchema.parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'GAMI_PUBLISH is not {parameterName, accounts, externalId} as JSON' });
        return z.NEVER;
      }
    })
    .optional(),
  /** Set on archiveExecution: the history bucket it writes closed executions to. */
  GAMI_ARCHIVE_BUCKET: z.string().min(1).optional(),
  /** Set on watchSchedule: the schedule it disables after GAMI_DISABLE_AFTER_FAILURES consecutive failures. */
  GAMI_SCHEDULE_NAME: z.string().min(1).optional(),
  GAMI_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).max(10).optional(),
});
export type TaskEnv = z.output<typeof taskEnvSchema>;

/** Parse `env`; a bad value names the variable (a deployment mistake, not an event problem). */
export function parseTaskEnv(env: NodeJS.ProcessEnv = process.env): TaskEnv {
  const parsed = taskEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid task environment: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** The region clients talk to unless a task names one: the function's own region. */
export function defaultRegion(env: NodeJS.ProcessEnv = process.env): string {
  const region = parseTaskEnv(env).AWS_REGION;
  if (!region) throw new Error('AWS_REGION is not set: tasks need the region they run in (Lambda sets it; locally the runtime must)');
  return region;
}

/** True only inside a real Lambda execution environment, the one place X-Ray has a daemon to talk to. */
export function onLambda(env: TaskEnv): boolean {
  return env.AWS_EXECUTION_ENV?.startsWith('AWS_Lambda_') === true;
}
