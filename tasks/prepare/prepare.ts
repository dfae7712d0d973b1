/**
 * prepare: validate the execution input, resolve the base image, allocate the image version and write the
 * IMAGE record — everything later stages need, decided once at the start of a run.
 */
import { DescribeImagesCommand, paginateDescribeImages, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GetCommand, paginateQuery, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { baseImageSchema } from '../../pipeline/config';
import { renderImageName } from '../../pipeline/naming';
import { registryKeys } from '../../pipeline/registry';
import {
  executionInputSchema,
  resolvedImageSchema,
  type ExecutionInput,
  type prepareEventSchema,
  type prepareResultSchema,
  type ResolvedImage,
  type skippedRunSchema,
} from '../contracts';
import { hasErrorName } from '../common/aws-errors';
import { formatIssues } from '../common/issues';
import { allocateVersion, findOwnVersion } from '../common/image-record';
import { inputLimitViolation } from '../common/input-limits';
import { TAG, type ImageStatus } from '../../pipeline/tags';
import { BaseImageNotFound, BaseImageNotTrusted, ImageNotApproved, InvalidExecutionInput, InvalidTaskEvent, RegistryConflict } from '../errors';
import { snapshotIdsOf } from '../common/images';
import { APPROVED_STATUSES } from '../reportFreshness/freshness';

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
  const violation = inputLimitViolation(raw ?? {});
  if (violation) throw new InvalidExecutionInput(`invalid execution input: ${violation}`);
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

/**
 * One image by id, trusted and usable for a build of `architecture`, or BaseImageNotFound /
 * BaseImageNotTrusted saying why not. Deprecated and disabled images are described too, so the trust policy
 * refuses them by name rather than as "not found".
 */
async function describeUsableImage(ec2: EC2Client, imageId: string, architecture: string, source: string, policy: TrustPolicy): Promise<Image> {
  let images: Image[];
  try {
    images = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true, IncludeDisabled: true }))).Images ?? [];
  } catch (error) {
    if (hasErrorName(error, 'InvalidAMIID.')) {
      throw new BaseImageNotFound(`base image ${imageId} (${source}) does not exist or is not visible to this account: ${(error as Error).message}`);
    }
    throw error;
  }
  const image = images.find((candidate) => candidate.ImageId === imageId);
  if (!image) throw new BaseImageNotFound(`base image ${imageId} (${source}) does not exist or is not visible to this account`);
  assertTrusted(image, source, policy);
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

/** Who may own a base image, and what the account id of `self` is. */
export interface TrustPolicy {
  /** `amazon`, `aws-marketplace`, `self` or 12-digit account ids. */
  allowedOwners: string[];
  /** This account (for `self`). */
  account: string;
  /** The run's time: a deprecation time at or before it means deprecated. */
  now: Date;
}

/** Statuses a pipeline gives images no one may build on (failed, unapproved, or retired by retention). */
const UNTRUSTED_STATUSES = new Set<ImageStatus>(['rejected', 'expired', 'deprecated', 'retired']);

function ownerAllowed(image: Image, policy: TrustPolicy): boolean {
  return policy.allowedOwners.some((owner) => {
    if (owner === 'amazon' || owner === 'aws-marketplace') return image.ImageOwnerAlias === owner;
    if (owner === 'self') return image.OwnerId === policy.account;
    return image.OwnerId === owner;
  });
}

/** Why the trust policy refuses `image`, or undefined when it may be built on. */
export function untrustedReason(image: Image, policy: TrustPolicy): string | undefined {
  const owner = image.ImageOwnerAlias ? `${image.ImageOwnerAlias} (${image.OwnerId ?? '?'})` : (image.OwnerId ?? 'an unknown owner');
  if (!ownerAllowed(image, policy)) {
    return `it is owned by ${owner}, and baseImageTrust.allowedOwners allows only ${policy.allowedOwners.join(', ')}`;
  }
  if (image.State === 'disabled') return 'it is disabled';
  if (image.DeprecationTime && Date.parse(image.DeprecationTime) <= policy.now.getTime()) return `it was deprecated at ${image.DeprecationTime}`;
  const status = image.Tags?.find((t) => t.Key === TAG.status)?.Value;
  if (status && UNTRUSTED_STATUSES.has(status as ImageStatus)) {
    const pipeline = image.Tags?.find((t) => t.Key === TAG.pipeline)?.Value;
    return `it is tagged ${TAG.status}=${status}${pipeline ? ` by pipeline ${pipeline}` : ''}`;
  }
  if ((image.Platform ?? '').toLowerCase() === 'windows' || /windows/i.test(image.PlatformDetails ?? '')) {
    return 'it is a Windows image, and components run their steps with bash (AWS-RunShellScript)';
  }
  return undefined;
}

function assertTrusted(image: Image, source: string, policy: TrustPolicy): Image {
  const reason = untrustedReason(image, policy);
  if (reason) throw new BaseImageNotTrusted(`base image ${image.ImageId ?? '?'} (${source}) is not trusted: ${reason}`);
  return image;
}

/**
 * The newest trusted, available image of `owner` whose name matches `namePattern`, for `architecture`.
 * Untrusted candidates (rejected, disabled, Windows) are skipped; when every candidate is untrusted the
 * newest one's reason is given.
 */
async function newestTrustedImage(
  ec2: EC2Client,
  owner: string,
  namePattern: string,
  architecture: string,
  policy: TrustPolicy,
  source: string,
): Promise<Image> {
  let newest: Image | undefined;
  let newestRefused: Image | undefined;
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
  // CreationDate is ISO 8601 in UTC, so string order is time order.
  const newer = (a: Image, b: Image | undefined) => !b || (a.CreationDate ?? '') > (b.CreationDate ?? '');
  for await (const page of pages) {
    for (const image of page.Images ?? []) {
      if (untrustedReason(image, policy) === undefined) {
        if (newer(image, newest)) newest = image;
      } else if (newer(image, newestRefused)) {
        newestRefused = image;
      }
    }
  }
  if (newest) return newest;
  if (newestRefused) return assertTrusted(newestRefused, source, policy);
  throw new BaseImageNotFound(`no available ${architecture} image of owner ${owner} matches the name pattern ${JSON.stringify(namePattern)}`);
}

/** Resolve a base image source to one available, trusted image of `architecture`. */
export async function resolveBaseImage(
  clients: Pick<PrepareClients, 'ec2' | 'ssm'>,
  source: BaseImageSource,
  architecture: string,
  policy: TrustPolicy,
): Promise<ResolvedImage> {
  const described = describeSource(source);
  if ('amiId' in source) {
    return toResolved(await describeUsableImage(clients.ec2, source.amiId, architecture, described, policy), described);
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
    // Never echo the value: a parameter named by mistake may hold a secret, and this message reaches the
    // execution history and the notification.
    if (!value || !/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(value)) {
      throw new BaseImageNotFound(`SSM parameter ${source.ssmParameter} does not hold an AMI id`);
    }
    return toResolved(await describeUsableImage(clients.ec2, value, architecture, described, policy), described);
  }
  if (!policy.allowedOwners.includes(source.owner) && !(source.owner === policy.account && policy.allowedOwners.includes('self'))) {
    throw new BaseImageNotTrusted(
      `base image owner ${source.owner} is not trusted: baseImageTrust.allowedOwners allows only ${policy.allowedOwners.join(', ')}`,
    );
  }
  const image = await newestTrustedImage(clients.ec2, source.owner, source.namePattern, architecture, policy, described);
  return toResolved(image, described);
}

/** AWS's public parameters; the only ones a run may name besides the one its config names. */
const PUBLIC_PARAMETERS = '/aws/service/';

/** The account of an execution ARN (arn:aws:states:<region>:<account>:execution:…). */
export function accountOf(executionArn: string): string {
  return executionArn.split(':')[4] ?? '';
}

/** The base image source of this run: the input's override (within what may be named) or the config's. */
function chooseSource(input: ExecutionInput, configured: BaseImageSource): BaseImageSource {
  const override = input.baseImage;
  if (!override) return configured;
  if ('ssmParameter' in override && !override.ssmParameter.startsWith(PUBLIC_PARAMETERS)) {
    const allowed = 'ssmParameter' in configured ? ` or the configured ${configured.ssmParameter}` : '';
    if (!('ssmParameter' in configured) || configured.ssmParameter !== override.ssmParameter) {
      throw new InvalidExecutionInput(
        `invalid execution input: baseImage.ssmParameter: ${override.ssmParameter} may not be read; a run may name only AWS public parameters (${PUBLIC_PARAMETERS}…)${allowed}`,
      );
    }
  }
  return override;
}

/** Statuses an image may be redistributed in: approved by the last distribution step (and not retired since). */
export const REDISTRIBUTABLE: readonly ImageStatus[] = ['approved'];

/**
 * distributeOnly: the approved image of an earlier version, found through its registry record, checked by its
 * own `gami:status` tag (the tag IAM protects, not the record alone). Nothing is written: the record belongs to
 * the run that built the image, and the distribution stages add to it.
 */
export async function prepareRedistribution(clients: PrepareClients, event: PrepareEvent, input: ExecutionInput, version: number): Promise<PrepareResult> {
  const { run, config } = event;
  const record = (await clients.registry.send(new GetCommand({ TableName: config.registryTable, Key: registryKeys.image(run.pipeline, version), ConsistentRead: true }))).Item;
  if (!record) throw new InvalidExecutionInput(`invalid execution input: distributeOnly.version: ${run.pipeline} has no version ${version} in the registry`);
  const label = `${run.pipeline} version ${version}${typeof record.imageName === 'string' ? ` (${record.imageName})` : ''}`;
  if (typeof record.imageId !== 'string') throw new ImageNotApproved(`${label} has no image (its run ended in ${String(record.stage)}); only approved images are redistributed`);
  let image: Image | undefined;
  try {
    image = (await clients.ec2.send(new DescribeImagesCommand({ ImageIds: [record.imageId], IncludeDeprecated: true, IncludeDisabled: true }))).Images?.[0];
  } catch (error) {
    if (!hasErrorName(error, 'InvalidAMIID.')) throw error;
  }
  if (!image) throw new ImageNotApproved(`${label}: image ${record.imageId} no longer exists; only approved images are redistributed`);
  const status = image.Tags?.find((t) => t.Key === TAG.status)?.Value;
  if (!status || !REDISTRIBUTABLE.includes(status as ImageStatus) || image.State !== 'available') {
    throw new ImageNotApproved(
      `${image.Name ?? label} (${record.imageId}), ${run.pipeline} version ${version}, is not approved ` +
        `(${TAG.status}=${status ?? 'none'}, state ${image.State ?? 'unknown'}); only approved images are redistributed`,
    );
  }
  const baseImage = resolvedImageSchema.safeParse(record.baseImage);
  return {
    version,
    imageName: image.Name ?? String(record.imageName),
    baseImage: baseImage.success ? baseImage.data : { imageId: '', name: '', ownerId: '', creationDate: '', source: 'unknown (not in the registry record)' },
    reason: input.reason ?? DEFAULT_REASON,
    requestedBy: input.requestedBy ?? DEFAULT_REQUESTED_BY,
    redistribution: { imageId: record.imageId, snapshotIds: snapshotIdsOf(image) },
    skipped: null,
  };
}

/** The pipeline's newest image record with status approved or published, if any. */
async function newestApprovedRecord(registry: DynamoDBDocumentClient, table: string, pipeline: string): Promise<Record<string, unknown> | undefined> {
  let newest: Record<string, unknown> | undefined;
  const pages = paginateQuery(
    { client: registry },
    { TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ExpressionAttributeValues: { ':pk': `PIPELINE#${pipeline}`, ':prefix': 'IMAGE#' } },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      if (!/^IMAGE#\d+$/.test(String(item.sk)) || !APPROVED_STATUSES.includes(String(item.status))) continue;
      if (!newest || Number(item.version) > Number(newest.version)) newest = item;
    }
  }
  return newest;
}

/**
 * Image Builder's "dependency updates" condition: skip when the last approved image was built from the same
 * base image and the same components (digest of their documents). Without an approved image, always build.
 */
export function unchangedSince(lastApproved: Record<string, unknown> | undefined, baseImageId: string, componentsDigest: string): z.output<typeof skippedRunSchema> | undefined {
  if (!lastApproved) return undefined;
  const base = (lastApproved.baseImage as { imageId?: unknown } | undefined)?.imageId;
  if (base !== baseImageId || lastApproved.componentsDigest !== componentsDigest) return undefined;
  const version = Number(lastApproved.version);
  return {
    reason: `nothing changed since v${version}: the same base image ${baseImageId} and the same components`,
    lastApproved: { version, imageId: typeof lastApproved.imageId === 'string' ? lastApproved.imageId : null },
  };
}

export async function prepare(clients: PrepareClients, event: PrepareEvent): Promise<PrepareResult> {
  const input = parseExecutionInput(event.input);
  const { run, config } = event;
  if (input.distributeOnly) return prepareRedistribution(clients, event, input, input.distributeOnly.version);

  const configured = baseImageSchema.safeParse(config.baseImage);
  if (!configured.success) throw new InvalidTaskEvent(`prepare: invalid event: config.baseImage: ${formatIssues(configured.error)}`);
  const source = chooseSource(input, configured.data);
  const policy: TrustPolicy = { allowedOwners: config.allowedOwners, account: accountOf(run.executionArn), now: new Date(run.now) };
  const baseImage = await resolveBaseImage(clients, source, config.architecture, policy);
  const reasonGiven = input.reason ?? DEFAULT_REASON;
  const requester = input.requestedBy ?? DEFAULT_REQUESTED_BY;

  if (input.onlyWhenChanged) {
    const lastApproved = await newestApprovedRecord(clients.registry, config.registryTable, run.pipeline);
    const skipped = unchangedSince(lastApproved, baseImage.imageId, config.componentsDigest);
    if (skipped) {
      // Recorded, not silent: an auditor sees every run that did not build, and why.
      await clients.registry.send(
        new PutCommand({
          TableName: config.registryTable,
          Item: {
            ...registryKeys.skipped(run.pipeline, run.now, run.executionName),
            pipeline: run.pipeline,
            executionArn: run.executionArn,
            executionName: run.executionName,
            skippedAt: run.now,
            reason: skipped.reason,
            lastApproved: skipped.lastApproved,
            baseImage,
            componentsDigest: config.componentsDigest,
            requestedBy: requester,
            requestReason: reasonGiven,
          },
        }),
      );
      return { version: null, imageName: null, baseImage, reason: reasonGiven, requestedBy: requester, skipped };
    }
  }

  // A retry whose first attempt got as far as the IMAGE record keeps that version, even if another execution
  // of the pipeline has taken a number since.
  const version =
    (await findOwnVersion(clients.registry, config.registryTable, run.pipeline, run.executionArn)) ??
    (await allocateVersion(clients, config.registryTable, run.pipeline, run.executionArn, run.now));
  const imageName = renderImageName(config.namingPattern, {
    pipeline: run.pipeline,
    version,
    arch: config.architecture,
    at: new Date(run.now),
  });
  const reason = reasonGiven;
  const requestedBy = requester;

  const Key = registryKeys.image(run.pipeline, version);
  try {
    await clients.registry.send(
      new PutCommand({
        TableName: config.registryTable,
        Item: {
          ...Key,
          pipeline: run.pipeline,
          version,
          imageName,
          status: 'building',
          stage: 'Prepare',
          stageStatus: 'started',
          stageOrder: 0,
          executionArn: run.executionArn,
          executionName: run.executionName,
          baseImage,
          architecture: config.architecture,
          components: config.components,
          componentsDigest: config.componentsDigest,
          reason,
          requestedBy,
          createdAt: run.now,
          updatedAt: run.now,
        },
        // Written once: a replayed prepare must not move a record that later stages advanced back to Prepare,
        // nor drop what they added (imageId, snapshotIds).
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!hasErrorName(error, 'ConditionalCheckFailedException')) throw error;
    const existing = (await clients.registry.send(new GetCommand({ TableName: config.registryTable, Key, ConsistentRead: true }))).Item;
    if (existing?.executionArn !== run.executionArn) {
      throw new RegistryConflict(`the registry record of ${run.pipeline} version ${version} belongs to another execution (${String(existing?.executionArn)})`);
    }
  }

  return { version, imageName, baseImage, reason, requestedBy, skipped: null };
}
