/**
 * reportFreshness: how old is the image instances launch from? Every hour (the stack's scheduled rule) it
 * finds the pipeline's newest approved image in the registry and puts its age in days as the CloudWatch
 * metric GoldenAmiPipeline/ApprovedImageAgeDays (dimension Pipeline). The stack's alarm fires when the age
 * exceeds `freshness.maxAgeDays` (default 30: "every instance launches from a patched image built within the
 * last 30 days") — and when there is no approved image at all (no data points: missing data is breaching).
 * The time is the scheduled event's, never the wall clock.
 */
import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const FRESHNESS_NAMESPACE = 'GoldenAmiPipeline';
export const FRESHNESS_METRIC = 'ApprovedImageAgeDays';
/** Image statuses that mean "approved for use" (approved, then published). */
export const APPROVED_STATUSES = ['approved', 'published'];
const DAY_MS = 86_400_000;

export interface ImageAge {
  version: number;
  imageId?: string;
  status: string;
  createdAt: string;
  ageDays: number;
}

/** Age in days with one decimal. */
export function ageInDays(createdAt: string, now: Date): number {
  return Math.round(((now.getTime() - Date.parse(createdAt)) / DAY_MS) * 10) / 10;
}

/** The newest approved image among the registry's IMAGE items (by version), with its age at `now`. */
export function newestApproved(items: readonly Record<string, unknown>[], now: Date): ImageAge | undefined {
  const approved = items
    .filter((item) => /^IMAGE#\d+$/.test(String(item.sk)) && APPROVED_STATUSES.includes(String(item.status)) && typeof item.createdAt === 'string')
    .sort((a, b) => Number(b.version) - Number(a.version));
  const newest = approved[0];
  if (!newest) return undefined;
  const createdAt = String(newest.createdAt);
  return { version: Number(newest.version), imageId: newest.imageId as string | undefined, status: String(newest.status), createdAt, ageDays: ageInDays(createdAt, now) };
}

export async function imageRecords(registry: DynamoDBDocumentClient, table: string, pipeline: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const pages = paginateQuery(
    { client: registry },
    { TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ExpressionAttributeValues: { ':pk': `PIPELINE#${pipeline}`, ':prefix': 'IMAGE#' } },
  );
  for await (const page of pages) items.push(...((page.Items ?? []) as Record<string, unknown>[]).filter((item) => /^IMAGE#\d+$/.test(String(item.sk))));
  return items;
}

export interface FreshnessResult {
  pipeline: string;
  newest?: ImageAge;
  /** Whether a data point was put (none without an approved image: the alarm treats missing data as breaching). */
  published: boolean;
}

export async function reportFreshness(
  clients: { registry: DynamoDBDocumentClient; cloudwatch: CloudWatchClient },
  settings: { pipeline: string; registryTable: string; now: Date },
): Promise<FreshnessResult> {
  const newest = newestApproved(await imageRecords(clients.registry, settings.registryTable, settings.pipeline), settings.now);
  if (!newest) return { pipeline: settings.pipeline, published: false };
  await clients.cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: FRESHNESS_NAMESPACE,
      MetricData: [{ MetricName: FRESHNESS_METRIC, Dimensions: [{ Name: 'Pipeline', Value: settings.pipeline }], Timestamp: settings.now, Value: newest.ageDays, Unit: 'None' }],
    }),
  );
  return { pipeline: settings.pipeline, newest, published: true };
}
