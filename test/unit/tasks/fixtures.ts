/** Shared fixtures for the task handler tests: one run context and SDK-shaped errors. */
import { EC2ServiceException, type DescribeTagsCommandInput, type DescribeTagsCommandOutput } from '@aws-sdk/client-ec2';
import type { RunContext } from '../../../tasks/contracts';
import { logger } from '../../../tasks/common/powertools';

process.env.AWS_REGION ??= 'eu-west-1';

export const EXECUTION_ARN = 'arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:run-1';

export const run: RunContext = {
  pipeline: 'web-base',
  executionArn: EXECUTION_ARN,
  executionName: 'run-1',
  now: '2026-11-22T10:15:30.000Z',
};

/** An EC2 error as the SDK throws it for a 4xx response (e.g. InvalidAMIID.NotFound). */
export function ec2ClientError(name: string, message = `${name} (simulated)`): EC2ServiceException {
  return new EC2ServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

// Failure paths are the point of many tests here; their error logs would only bury the test report.
logger.setLogLevel('SILENT');

/** Another execution of the same pipeline: its resources must never be touched by run-1's tasks. */
export const OTHER_EXECUTION_ARN = 'arn:aws:states:eu-west-1:111111111111:execution:gami-web-base:run-2';

/**
 * DescribeTags as EC2 answers the ownership check (`resource-id` and `key` filters): the `gami:execution` tag
 * of each requested resource that has one. `tags` maps resource id → execution ARN. For `callsFake`.
 */
export function executionTagsOf(tags: Record<string, string>) {
  return (input: DescribeTagsCommandInput): DescribeTagsCommandOutput => {
    const ids = input.Filters?.find((filter) => filter.Name === 'resource-id')?.Values ?? [];
    return {
      $metadata: {},
      Tags: ids.filter((id) => id in tags).map((id) => ({ ResourceId: id, Key: 'gami:execution', Value: tags[id] })),
    };
  };
}
