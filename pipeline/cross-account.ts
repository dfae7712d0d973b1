/**
 * Cross-account access: the tooling account's task functions assume a role in each consumer account (deployed
 * by the target-account stack) with an ExternalId, so that a role ARN alone is never enough to act in the
 * consumer's name (the confused-deputy problem, IAM user guide "confused deputy"). The ExternalId is derived
 * from the pipeline, so the consumer stack and the pipeline agree on it without a shared secret to distribute.
 */

/** The ExternalId every cross-account AssumeRole of `pipeline` carries (2-1224 characters, [\w+=,.@:/-]). */
export function crossAccountExternalId(pipeline: string): string {
  return `gami-${pipeline}`;
}

/** The ARN of `roleName` in `account`. */
export function crossAccountRoleArn(account: string, roleName: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${account}:role/${roleName}`;
}
