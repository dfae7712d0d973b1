/** Simulated S3: the operations the history archive uses, with S3's rules and error codes. */
import {
  BucketAlreadyExists,
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createClient } from '../../../tasks/clients';
import { credentialsOf, PROD, startExampleCloud, TOOLING, type ExampleCloud } from './cloud-fixture';

let env: ExampleCloud;
const s3 = (account: typeof TOOLING | typeof PROD = TOOLING) => createClient(S3Client, { region: 'eu-west-1', credentials: credentialsOf(account) });

beforeAll(async () => {
  env = await startExampleCloud();
});
afterAll(() => env.cloud.stop());

it('stores, versions, reads back and lists objects in key order, one page at a time', async () => {
  const client = s3();
  await client.send(new CreateBucketCommand({ Bucket: 'gami-history-test-1' }));
  await client.send(new PutBucketVersioningCommand({ Bucket: 'gami-history-test-1', VersioningConfiguration: { Status: 'Enabled' } }));
  const first = await client.send(new PutObjectCommand({ Bucket: 'gami-history-test-1', Key: 'executions/b.json', Body: '{"v":1}', ContentType: 'application/json' }));
  const second = await client.send(new PutObjectCommand({ Bucket: 'gami-history-test-1', Key: 'executions/b.json', Body: '{"v":2}' }));
  await client.send(new PutObjectCommand({ Bucket: 'gami-history-test-1', Key: 'executions/a.json', Body: 'a' }));
  await client.send(new PutObjectCommand({ Bucket: 'gami-history-test-1', Key: 'other/c.json', Body: 'c' }));

  const latest = await client.send(new GetObjectCommand({ Bucket: 'gami-history-test-1', Key: 'executions/b.json' }));
  const earlier = await client.send(new GetObjectCommand({ Bucket: 'gami-history-test-1', Key: 'executions/b.json', VersionId: first.VersionId }));
  const page1 = await client.send(new ListObjectsV2Command({ Bucket: 'gami-history-test-1', Prefix: 'executions/', MaxKeys: 1 }));
  const page2 = await client.send(new ListObjectsV2Command({ Bucket: 'gami-history-test-1', Prefix: 'executions/', MaxKeys: 1, ContinuationToken: page1.NextContinuationToken }));

  expect(await latest.Body!.transformToString()).toBe('{"v":2}');
  expect(latest).toMatchObject({ ETag: expect.stringMatching(/^"[0-9a-f]{32}"$/), VersionId: second.VersionId, ContentLength: 7 });
  expect(first.VersionId).not.toBe(second.VersionId);
  expect(await earlier.Body!.transformToString()).toBe('{"v":1}');
  expect(earlier.ContentType).toBe('application/json');
  expect(page1).toMatchObject({ KeyCount: 1, IsTruncated: true, Contents: [{ Key: 'executions/a.json', Size: 1 }] });
  expect(page2).toMatchObject({ KeyCount: 1, IsTruncated: false, Contents: [{ Key: 'executions/b.json', Size: 7 }] });
});

it('answers with S3 error codes: missing key, missing bucket, names taken, another account, bad names', async () => {
  const client = s3();
  await client.send(new CreateBucketCommand({ Bucket: 'gami-history-test-2' }));
  await expect(client.send(new GetObjectCommand({ Bucket: 'gami-history-test-2', Key: 'nope' }))).rejects.toBeInstanceOf(NoSuchKey);
  await expect(client.send(new GetObjectCommand({ Bucket: 'no-such-bucket-here', Key: 'x' }))).rejects.toBeInstanceOf(NoSuchBucket);
  await expect(client.send(new CreateBucketCommand({ Bucket: 'gami-history-test-2' }))).rejects.toBeInstanceOf(BucketAlreadyOwnedByYou);
  await expect(s3(PROD).send(new CreateBucketCommand({ Bucket: 'gami-history-test-2' }))).rejects.toBeInstanceOf(BucketAlreadyExists);
  await expect(s3(PROD).send(new PutObjectCommand({ Bucket: 'gami-history-test-2', Key: 'x', Body: 'x' }))).rejects.toMatchObject({ name: 'AccessDenied' });
  const badName = await s3().send(new CreateBucketCommand({ Bucket: 'Not_A_Bucket' })).catch((e: unknown) => e);
  expect(badName).toBeInstanceOf(S3ServiceException);
  expect(badName).toMatchObject({ name: 'InvalidBucketName' });
});
