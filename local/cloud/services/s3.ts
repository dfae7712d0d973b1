/**
 * S3, minimal but faithful for what the pipeline does with it (the execution history archive): CreateBucket,
 * PutBucketVersioning, PutObject, GetObject, ListObjectsV2 — with S3's own error codes (NoSuchBucket,
 * NoSuchKey, BucketAlreadyExists, BucketAlreadyOwnedByYou, InvalidBucketName, AccessDenied) and its rules:
 * bucket names are global across accounts (3–63 lowercase letters, digits, dots and hyphens), keys list in
 * UTF-8 binary order, ETag is the quoted MD5 of the body, a versioned bucket gives every put a VersionId and
 * keeps the earlier versions. Bucket policies, ACLs, Object Lock and storage-class transitions are not
 * simulated (a bucket is readable and writable by its own account only).
 *
 * GetObject's Body is a Node stream with the SDK's `transformToString` / `transformToByteArray` methods
 * (the shape `sdkStreamMixin` gives on Node), built here because the SDK does not export its mixin from a
 * package this project depends on.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type {
  CreateBucketCommandInput,
  CreateBucketCommandOutput,
  GetObjectCommandInput,
  GetObjectCommandOutput,
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
  PutBucketVersioningCommandInput,
  PutBucketVersioningCommandOutput,
  PutObjectCommandInput,
  PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { fail } from '../errors';
import type { Operation, OperationContext } from '../operations';

interface StoredObject {
  /** base64 */
  body: string;
  etag: string;
  contentType?: string;
  lastModified: number;
  versionId?: string;
}

interface BucketRecord {
  name: string;
  accountId: string;
  region: string;
  createdAt: number;
  versioning: 'Enabled' | 'Suspended' | 'Unversioned';
  objects: Record<string, StoredObject>;
  /** Earlier versions per key, oldest first (versioned buckets). */
  versions: Record<string, StoredObject[]>;
}

const EXTENSION = 's3';
const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const bucketsOf = (ctx: OperationContext, accountId = ctx.account, region = ctx.region) =>
  ctx.world.regionExtension<Record<string, BucketRecord>>(accountId, region, EXTENSION, () => ({}));

/** A bucket by name, wherever it is (names are global). */
function findBucket(ctx: OperationContext, name: string): BucketRecord | undefined {
  for (const account of Object.values(ctx.world.state.accounts)) {
    for (const [region, state] of Object.entries(account.regions)) {
      const buckets = state.extensions[EXTENSION] as Record<string, BucketRecord> | undefined;
      if (buckets?.[name]) return buckets[name];
      void region;
    }
  }
  return undefined;
}

function ownBucket(ctx: OperationContext, name: string | undefined): BucketRecord {
  if (!name) fail('InvalidBucketName', 'The specified bucket is not valid.');
  const bucket = findBucket(ctx, name);
  if (!bucket) fail('NoSuchBucket', 'The specified bucket does not exist', { httpStatusCode: 404 });
  if (bucket.accountId !== ctx.account) fail('AccessDenied', 'Access Denied', { httpStatusCode: 403 });
  return bucket;
}

export const createBucket: Operation<CreateBucketCommandInput, CreateBucketCommandOutput> = async (ctx, input) => {
  const name = input.Bucket ?? '';
  if (!BUCKET_NAME.test(name)) fail('InvalidBucketName', 'The specified bucket is not valid.');
  const existing = findBucket(ctx, name);
  if (existing) {
    if (existing.accountId === ctx.account) fail('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { httpStatusCode: 409 });
    fail('BucketAlreadyExists', 'The requested bucket name is not available.', { httpStatusCode: 409 });
  }
  bucketsOf(ctx)[name] = { name, accountId: ctx.account, region: ctx.region, createdAt: ctx.clock.now(), versioning: 'Unversioned', objects: {}, versions: {} };
  return { Location: `/${name}` };
};

export const putBucketVersioning: Operation<PutBucketVersioningCommandInput, PutBucketVersioningCommandOutput> = async (ctx, input) => {
  const bucket = ownBucket(ctx, input.Bucket);
  const status = input.VersioningConfiguration?.Status;
  if (status !== 'Enabled' && status !== 'Suspended') fail('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  bucket.versioning = status;
  return {};
};

function bodyBytes(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  // Streams and Blobs would need reading; the pipeline only ever puts strings.
  throw new Error('simulated S3: PutObject takes a string or bytes body locally');
}

export const putObject: Operation<PutObjectCommandInput, PutObjectCommandOutput> = async (ctx, input) => {
  const bucket = ownBucket(ctx, input.Bucket);
  const key = input.Key ?? '';
  if (key === '' || Buffer.byteLength(key, 'utf8') > 1024) fail('KeyTooLongError', 'Your key is too long');
  const bytes = bodyBytes(input.Body);
  const object: StoredObject = {
    body: bytes.toString('base64'),
    etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
    contentType: input.ContentType,
    lastModified: ctx.clock.now(),
    ...(bucket.versioning === 'Enabled' && { versionId: ctx.world.nextUuid().replace(/-/g, '') }),
  };
  const previous = bucket.objects[key];
  if (previous && bucket.versioning === 'Enabled') (bucket.versions[key] ??= []).push(previous);
  bucket.objects[key] = object;
  return { ETag: object.etag, ...(object.versionId && { VersionId: object.versionId }) };
};

/** The Node form of the SDK's streaming body (see the header). */
function streamingBody(bytes: Buffer): GetObjectCommandOutput['Body'] {
  const stream = Readable.from([bytes]);
  return Object.assign(stream, {
    transformToByteArray: async () => new Uint8Array(bytes),
    transformToString: async (encoding?: string) => bytes.toString((encoding ?? 'utf8') as BufferEncoding),
    transformToWebStream: () => Readable.toWeb(Readable.from([bytes])) as ReadableStream,
  }) as unknown as GetObjectCommandOutput['Body'];
}

export const getObject: Operation<GetObjectCommandInput, GetObjectCommandOutput> = async (ctx, input) => {
  const bucket = ownBucket(ctx, input.Bucket);
  const key = input.Key ?? '';
  let object = bucket.objects[key];
  if (input.VersionId && object?.versionId !== input.VersionId) object = bucket.versions[key]?.find((v) => v.versionId === input.VersionId) as StoredObject;
  if (!object) fail('NoSuchKey', 'The specified key does not exist.', { httpStatusCode: 404 });
  const bytes = Buffer.from(object.body, 'base64');
  return {
    Body: streamingBody(bytes),
    ContentLength: bytes.length,
    ContentType: object.contentType ?? 'binary/octet-stream',
    ETag: object.etag,
    LastModified: new Date(object.lastModified),
    ...(object.versionId && { VersionId: object.versionId }),
  };
};

export const listObjectsV2: Operation<ListObjectsV2CommandInput, ListObjectsV2CommandOutput> = async (ctx, input) => {
  const bucket = ownBucket(ctx, input.Bucket);
  const maxKeys = input.MaxKeys ?? 1000;
  if (!Number.isInteger(maxKeys) || maxKeys < 0) fail('InvalidArgument', 'Argument maxKeys must be an integer between 0 and 2147483647');
  const prefix = input.Prefix ?? '';
  // S3 lists keys in UTF-8 binary order.
  const keys = Object.keys(bucket.objects)
    .filter((k) => k.startsWith(prefix))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  let start = 0;
  if (input.ContinuationToken) {
    const after = Buffer.from(input.ContinuationToken, 'base64url').toString('utf8');
    start = keys.findIndex((k) => Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0);
    if (start < 0) start = keys.length;
  } else if (input.StartAfter) {
    start = keys.findIndex((k) => Buffer.compare(Buffer.from(k), Buffer.from(input.StartAfter!)) > 0);
    if (start < 0) start = keys.length;
  }
  const page = keys.slice(start, start + Math.min(maxKeys, 1000));
  const truncated = start + page.length < keys.length;
  return {
    Name: bucket.name,
    Prefix: prefix,
    MaxKeys: maxKeys,
    KeyCount: page.length,
    IsTruncated: truncated,
    Contents: page.map((Key) => {
      const o = bucket.objects[Key];
      return { Key, Size: Buffer.from(o.body, 'base64').length, ETag: o.etag, LastModified: new Date(o.lastModified), StorageClass: 'STANDARD' as const };
    }),
    ...(input.ContinuationToken && { ContinuationToken: input.ContinuationToken }),
    ...(truncated && { NextContinuationToken: Buffer.from(page[page.length - 1], 'utf8').toString('base64url') }),
  };
};

export const s3Operations = {
  CreateBucket: createBucket,
  PutBucketVersioning: putBucketVersioning,
  PutObject: putObject,
  GetObject: getObject,
  ListObjectsV2: listObjectsV2,
};
