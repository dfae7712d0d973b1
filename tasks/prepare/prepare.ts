/**
 * prepare: validate the execution input, resolve the base image, allocate the image version and write the
 * IMAGE record — everything later stages need, decided once at the start of a run.
 */
import { DescribeImagesCommand, paginateDescribeImages, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { baseImageSchema } from '../../pipeline/config';
import { renderImageName } from '../../pipeline/naming';
import { registryKeys } from '../../pipeline/registry';
import {
  executionInputSchema,
  type ExecutionInput,
  type prepareEventSchema,
  type prepareResultSchema,
  type ResolvedImage,
} from '../contracts';
import { hasErrorName } from '../common/aws-errors';
import { formatIssues } from '../common/issues';
import { BaseImageNotFound, InvalidExecutionInput, InvalidTaskEvent } from '../errors';

export type PrepareEvent = z.output<typeof prepareEventSchema>;
export type PrepareResult = z.output<typeof prepareResultSchema>;
export interface PrepareClients {
  ec2: EC2Client;
  ssm: SSMClient;
  registry: DynamoDBDocumentClient;
}

export type BaseImageSource = NonNullable<ExecutionInput['baseImage']>;

export const DEFAULT_REASON = 'no reason given';
export const DEFAULT_REQUESTED_BY = 'schedule or console';

/** Validate raw execution input; `undefined`/`null` (no input at all) counts as `{}`. */
export function parseExecutionInput(raw: unknown): ExecutionInput {
  const parsed = executionInputSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new InvalidExecutionInput(`invalid execution input: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

function describeSource(source: BaseImageSource): string {
  if ('amiId' in source) return source.amiId;
  if ('ssmParameter' in source) return `ssm:${source.ssmParameter}`;
  return `owner:${source.owner} name:${source.namePattern}`;
}

function toResolved(image: Image, source: string): ResolvedImage {
  return {
    imageId: image.ImageId ?? '',
    name: image.Name ?? '',
    ownerId: image.OwnerId ?? '',
    creationDate: image.CreationDate ?? '',
    source,
  };
}

/** One image by id, usable for a build of `architecture`, or BaseImageNotFound saying why not. */
async function describeUsableImage(ec2: EC2Client, imageId: string, architecture: string, source: string): Promise<Image> {
  let images: Image[];
  try {
    // A pinned id is an explicit choice: accept it even when its owner has deprecated it.
    images = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true }))).Images ?? [];
  } catch (error) {
    if (hasErrorName(error, 'InvalidAMIID.')) {
      throw new BaseImageNotFound(`base image ${imageId} (${source}) does not exist or is not visible to this account: ${(error as Error).message}`);
    }
    throw error;
  }
  const image = images.find((candidate) => candidate.ImageId === imageId);
  if (!image) throw new BaseImageNotFound(`base image ${imageId} (${source}) does not exist or is not visible to this account`);
  if (image.State !== 'available') {
    throw new BaseImageNotFound(`base image ${imageId} (${source}) is ${image.State ?? 'in an unknown state'}, not available`);
  }
  if (image.Architecture !== architecture) {
    throw new BaseImageNotFound(
      `base image ${imageId} (${source}) is ${image.Architecture ?? 'of unknown architecture'}, but the pipeline builds ${architecture}`,
    );
  }
  return image;
}

/** The newest available image of `owner` whose name matches `namePattern`, for `architecture`. */
async function newestImage(ec2: EC2Client, owner: string, namePattern: string, architecture: string): Promise<Image | undefined> {
  let newest: Image | undefined;
  const pages = paginateDescribeImages(
    { client: ec2, pageSize: 1000 },
    {
      Owners: [owner],
      Filters: [
        { Name: 'name', Values: [namePattern] },
        { Name: 'architecture', Values: [architecture] },
        { Name: 'state', Values: ['available'] },
      ],
    },
  );
  for await (const page of pages) {
    for (const image of page.Images ?? []) {
      // CreationDate is ISO 8601 in UTC, so string order is time order.
      if (!newest || (image.CreationDate ?? '') > (newest.CreationDate ?? '')) newest = image;
    }
  }
  return newest;
}

/** Resolve a base image source to one available image of `architecture`. */
export async function resolveBaseImage(
  clients: Pick<PrepareClients, 'ec2' | 'ssm'>,
  source: BaseImageSource,
  architecture: string,
): Promise<ResolvedImage> {
  const described = describeSource(source);
  if ('amiId' in source) {
    return toResolved(await describeUsableImage(clients.ec2, source.amiId, architecture, described), described);
  }
  if ('ssmParameter' in source) {
    let value: string | undefined;
    try {
      value = (await clients.ssm.send(new GetParameterCommand({ Name: source.ssmParameter }))).Parameter?.Value;
    } catch (error) {
      if (hasErrorName(error, 'ParameterNotFound')) {
        throw new BaseImageNotFound(`SSM parameter ${source.ssmParameter} does not exist in this region`);
      }
      throw error;
    }
    if (!value || !/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(value)) {
      throw new BaseImageNotFound(`SSM parameter ${source.ssmParameter} holds ${JSON.stringify(value ?? '')}, not an AMI id`);
    }
    return toResolved(await describeUsableImage(clients.ec2, value, architecture, described), described);
  }
  const image = await newestImage(clients.ec2, source.owner, source.namePattern, architecture);
  if (!image) {
    throw new BaseImageNotFound(
      `no available ${architecture} image of owner ${source.owner} matches the name pattern ${JSON.stringify(source.namePattern)}`,
    );
  }
  return toResolved(image, described);
}

/** Items of the newest images read when looking for this execution's record (≈ 8 items per image). */
export const RECENT_ITEMS = 40;

/**
 * The version this execution already holds, if a previous attempt of prepare wrote its IMAGE record: found
 * among the newest items of the partition (IMAGE records are the ones with an imageName).
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

/**
 * Allocate the next version number of `pipeline` with one atomic ADD on the COUNTER item. The counter also
 * remembers which execution took the last number, so a retried prepare of the same execution gets the same
 * version back instead of burning a second one (when the first attempt failed before writing its record).
 */
export async function allocateVersion(
  registry: DynamoDBDocumentClient,
  table: string,
  pipeline: string,
  executionArn: string,
  now: string,
): Promise<number> {
  const Key = registryKeys.counter(pipeline);
  try {
    const result = await registry.send(
      new UpdateCommand({
        TableName: table,
        Key,
        UpdateExpression: 'ADD #lastVersion :one SET #lastExecution = :execution, #updatedAt = :now',
        ConditionExpression: 'attribute_not_exists(#lastExecution) OR #lastExecution <> :execution',
        ExpressionAttributeNames: { '#lastVersion': 'lastVersion', '#lastExecution': 'lastExecution', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':one': 1, ':execution': executionArn, ':now': now },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return versionOf(result.Attributes, table);
  } catch (error) {
    if (!hasErrorName(error, 'ConditionalCheckFailedException')) throw error;
    // This execution took the last number already (a retry): hand the same one back.
    const current = await registry.send(new GetCommand({ TableName: table, Key, ConsistentRead: true }));
    return versionOf(current.Item, table);
  }
}

function versionOf(item: Record<string, unknown> | undefined, table: string): number {
  const version = item?.lastVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new Error(`the COUNTER item in ${table} holds ${JSON.stringify(version)} as lastVersion, not a version number`);
  }
  return version;
}

export async function prepare(clients: PrepareClients, event: PrepareEvent): Promise<PrepareResult> {
  const input = parseExecutionInput(event.input);
  const { run, config } = event;

  let source: BaseImageSource;
  if (input.baseImage) {
    source = input.baseImage;
  } else {
    const configured = baseImageSchema.safeParse(config.baseImage);
    if (!configured.success) throw new InvalidTaskEvent(`prepare: invalid event: config.baseImage: ${formatIssues(configured.error)}`);
    source = configured.data;
  }
  const baseImage = await resolveBaseImage(clients, source, config.architecture);

  // A retry whose first attempt got as far as the IMAGE record keeps that version, even if another execution
  // of the pipeline has taken a number since.
  const version =
    (await findOwnVersion(clients.registry, config.registryTable, run.pipeline, run.executionArn)) ??
    (await allocateVersion(clients.registry, config.registryTable, run.pipeline, run.executionArn, run.now));
  const imageName = renderImageName(config.namingPattern, {
    pipeline: run.pipeline,
    version,
    arch: config.architecture,
    at: new Date(run.now),
  });
  const reason = input.reason ?? DEFAULT_REASON;
  const requestedBy = input.requestedBy ?? DEFAULT_REQUESTED_BY;

  await clients.registry.send(
    new PutCommand({
      TableName: config.registryTable,
      Item: {
        ...registryKeys.image(run.pipeline, version),
        pipeline: run.pipeline,
        version,
        imageName,
        status: 'building',
        stage: 'Prepare',
        stageStatus: 'started',
        executionArn: run.executionArn,
        executionName: run.executionName,
        baseImage,
        architecture: config.architecture,
        components: config.components,
        reason,
        requestedBy,
        createdAt: run.now,
        updatedAt: run.now,
      },
      // Never overwrite another execution's record; a retry of this one rewrites the same values.
      ConditionExpression: 'attribute_not_exists(pk) OR executionArn = :execution',
      ExpressionAttributeValues: { ':execution': run.executionArn },
    }),
  );

  return { version, imageName, baseImage, reason, requestedBy };
}
