/**
 * The registry items of one run, as the audit report and the history archive read them: the run's rows of
 * the pipeline partition (IMAGE item, STAGE and SCAN items: every one carries the executionArn) and its
 * approval record(s) (their own partition, APPROVAL#<id>, docs/approval.md), found by execution ARN. Package
 * inventories are left out: they are evidence of their own (`gami images --packages`), large, and never
 * needed to answer who approved what.
 */
import { paginateQuery, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export async function runRegistryItems(client: DynamoDBDocumentClient, table: string, pipeline: string, executionArn: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const rows = paginateQuery(
    { client },
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'executionArn = :arn',
      ExpressionAttributeValues: { ':pk': `PIPELINE#${pipeline}`, ':prefix': 'IMAGE#', ':arn': executionArn },
    },
  );
  for await (const page of rows) items.push(...((page.Items ?? []) as Record<string, unknown>[]));
  const approvals = paginateScan(
    { client },
    {
      TableName: table,
      FilterExpression: 'begins_with(pk, :approval) AND executionArn = :arn',
      ExpressionAttributeValues: { ':approval': 'APPROVAL#', ':arn': executionArn },
    },
  );
  for await (const page of approvals) {
    // The task token is server-side only (docs/approval.md): never into a report or an archive.
    items.push(...((page.Items ?? []) as Record<string, unknown>[]).map(({ taskToken: _token, ...item }) => item));
  }
  return items;
}
