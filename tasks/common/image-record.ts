/**
 * The IMAGE record of a run in the registry: finding the one an execution holds, and allocating a new
 * version number that continues from everything that exists — the registry's counter *and* the account's
 * own images tagged with the pipeline (a fresh or restored registry must never hand out a second "v1").
 */
import { paginateDescribeImages, type EC2Client } from '@aws-sdk/client-ec2';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { registryKeys } from '../../pipeline/registry';
import { TAG } from '../../pipeline/tags';
import { RegistryConflict } from '../errors';
import { hasErrorName } from './aws-errors';

/** Items of the newest images read when looking for an execution's record (≈ 8 items per image). */
export const RECENT_ITEMS = 40;

/**
 * The version `executionArn` holds, if it got as far as writing its IMAGE record: found among the newest
 * items of the partition (IMAGE records are the ones with an imageName).
 */
export async function findOwnVersion(
  registry: DynamoDBDocumentClient,
  table: string,
  pipeline: string,
  executionArn: string,
): Promise<number | undefined> {
  const { pk } = registryKeys.counter(pipeline);
  const recent = await registry.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :image)',
      FilterExpression: '#executionArn = :execution AND attribute_exists(#imageName)',
      ExpressionAttributeNames: { '#executionArn': 'executionArn', '#imageName': 'imageName', '#version': 'version' },
      ExpressionAttributeValues: { ':pk': pk, ':image': 'IMAGE#', ':execution': executionArn },
      ProjectionExpression: '#version',
      ScanIndexForward: false,
      Limit: RECENT_ITEMS,
      ConsistentRead: true,
    }),
  );
  const version = recent.Items?.[0]?.version;
  return typeof version === 'number' ? version : undefined;
}

/** The highest `gami:version` among this account's images of `pipeline` in the client's region (0 if none). */
export async function highestImageVersion(ec2: EC2Client, pipeline: string): Promise<number> {
  let highest = 0;
  const pages = paginateDescribeImages(
    { client: ec2, pageSize: 1000 },
    { Owners: ['self'], Filters: [{ Name: `tag:${TAG.pipeline}`, Values: [pipeline] }], IncludeDeprecated: true, IncludeDisabled: true },
  );
  for await (const page of pages) {
    for (const image of page.Images ?? []) {
      const tag = image.Tags?.find((t) => t.Key === TAG.version)?.Value;
      const version = tag !== undefined && /^\d{1,9}$/.test(tag) ? Number(tag) : 0;
      if (version > highest) highest = version;
    }
  }
  return highest;
}

/** Optimistic attempts before allocation gives up (each loses only to another run taking a number). */
const ALLOCATION_ATTEMPTS = 8;

/**
 * Allocate the next version of `pipeline`: one above both the COUNTER item and the highest version tagged on
 * the account's images, written with a conditional update on the counter's previous value (so two runs
 * never get the same number). The counter remembers which execution took the last number, so a retried
 * prepare of the same execution gets the same version back instead of burning a second one.
 */
export async function allocateVersion(
  clients: { registry: DynamoDBDocumentClient; ec2: EC2Client },
  table: string,
  pipeline: string,
  executionArn: string,
  now: string,
): Promise<number> {
  const Key = registryKeys.counter(pipeline);
  const floor = await highestImageVersion(clients.ec2, pipeline);
  for (let attempt = 1; attempt <= ALLOCATION_ATTEMPTS; attempt++) {
    const current = (await clients.registry.send(new GetCommand({ TableName: table, Key, ConsistentRead: true }))).Item;
    const last = current?.lastVersion;
    if (current !== undefined && (typeof last !== 'number' || !Number.isInteger(last) || last < 0)) {
      throw new RegistryConflict(`the COUNTER item in ${table} holds ${JSON.stringify(last)} as lastVersion, not a version number`);
    }
    if (current?.lastExecution === executionArn && typeof last === 'number') return last;
    const next = Math.max(last ?? 0, floor) + 1;
    try {
      await clients.registry.send(
        new UpdateCommand({
          TableName: table,
          Key,
          UpdateExpression: 'SET #lastVersion = :next, #lastExecution = :execution, #updatedAt = :now',
          ConditionExpression: current === undefined ? 'attribute_not_exists(pk)' : '#lastVersion = :last',
          ExpressionAttributeNames: { '#lastVersion': 'lastVersion', '#lastExecution': 'lastExecution', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':next': next, ':execution': executionArn, ':now': now, ...(current === undefined ? {} : { ':last': last }) },
        }),
      );
      return next;
    } catch (error) {
      // Another run took a number between our read and our write: read again.
      if (!hasErrorName(error, 'ConditionalCheckFailedException')) throw error;
    }
  }
  throw new RegistryConflict(`could not allocate a version of ${pipeline} in ${table}: ${ALLOCATION_ATTEMPTS} concurrent allocations won over this one`);
}
