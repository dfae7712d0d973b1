/**
 * publishImage: the latest golden image id as an SSM parameter (data type aws:ec2:image, so SSM checks the value
 * is an image the account can see) in every region — in the tooling account, and in each consumer account of
 * publish.accounts through its role (sts:AssumeRole with the pipeline's ExternalId), holding that region's copy.
 *
 * Check before write: a parameter already holding the image id is left as it is (no new parameter version), so a
 * retried or repeated publish changes nothing. A publish never moves a parameter back — a run's, or a redistribution's
 * (`keepNewer`, now always so): where the tooling account's parameter holds an image of this pipeline with a higher
 * `gami:version` (a concurrent run approved sooner), that region is skipped, in the tooling account and in every
 * consumer account. Permanent refusals become PublishFailed naming the account, the
 * region and the call; throttling and server faults pass through.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { z } from 'zod';
import { crossAccountRoleArn } from '../../pipeline/cross-account';
import type { publishImageEventSchema, publishImageResultSchema, RegionImage } from '../contracts';
import { hasErrorName, isPermanentAwsError, refusedAs } from '../common/aws-errors';
import { pipelineVersionOf } from '../common/images';
import { InvalidTaskEvent, PublishFailed } from '../errors';

export type PublishImageEvent = z.output<typeof publishImageEventSchema>;
export type PublishImageResult = z.output<typeof publishImageResultSchema>;
type Published = PublishImageResult['parameters'][number];

/** Credentials of an assumed role, as the SDK clients take them. */
export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface PublishClients {
  /** The tooling account's SSM client of a region. */
  ssm: (region: string) => SSMClient;
  sts: STSClient;
  /** An SSM client of a region acting with assumed-role credentials. */
  ssmAs: (region: string, credentials: RoleCredentials) => SSMClient;
  /** The tooling account's EC2 client of a region (reads the version of the image a parameter holds). */
  ec2: (region: string) => EC2Client;
}

const step = <T>(where: string, what: string, call: () => Promise<T>): Promise<T> => refusedAs(PublishFailed, where, what, call);

async function currentValue(ssm: SSMClient, where: string, name: string): Promise<{ value?: string; version?: number }> {
  try {
    const current = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter;
    return { value: current?.Value, version: current?.Version };
  } catch (error) {
    if (hasErrorName(error, 'ParameterNotFound')) return {};
    if (isPermanentAwsError(error)) throw new PublishFailed(`${where}: GetParameter ${name} was refused: ${error.name}: ${error.message}`);
    throw error;
  }
}

/** Write `name` = the image id unless it already holds it; returns the parameter's version. */
async function putLatest(ssm: SSMClient, where: string, name: string, image: RegionImage, description: string): Promise<{ version: number; previousImageId?: string | null }> {
  const current = await currentValue(ssm, where, name);
  // Already this image (a retry): what it held before is no longer known here; the first invocation's result said.
  if (current.value === image.imageId && current.version !== undefined) return { version: current.version };
  const put = await step(where, `PutParameter ${name}=${image.imageId}`, () =>
    ssm.send(new PutParameterCommand({ Name: name, Value: image.imageId, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true, Description: description })),
  );
  return { version: put.Version ?? 0, previousImageId: current.value ?? null };
}

/** Credentials of the consumer account's role (ExternalId), for one invocation. */
async function assumeConsumerRole(clients: PublishClients, event: PublishImageEvent, account: string, roleName: string, purpose: string): Promise<RoleCredentials> {
  const roleArn = crossAccountRoleArn(account, roleName, event.run.executionArn.split(':')[1] || 'aws');
  const assumed = await step(account, `AssumeRole ${roleArn}`, () =>
    clients.sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: `gami-${purpose}-${event.version}`, ExternalId: event.externalId, DurationSeconds: 900 })),
  );
  const c = assumed.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new PublishFailed(`${account}: AssumeRole ${roleArn} returned no credentials`);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/**
 * Restore mode: every parameter this run published that still holds its image goes back to what it held before
 * (deleted when it held nothing): a failed run must not leave consumers resolving the latest golden image to an
 * image the failure path rejects. Idempotent: a parameter no longer holding the run's image is left alone.
 */
export async function restoreParameters(clients: PublishClients, event: PublishImageEvent, entries: Published[]): Promise<PublishImageResult> {
  const { run } = event;
  const restored: string[] = [];
  const roles = new Map(event.accounts.map((a) => [a.account, a.roleName]));
  const assumed = new Map<string, RoleCredentials>();
  for (const entry of entries) {
    if (entry.previousImageId === undefined) continue; // a retry's entry: the first invocation's entry restores
    const where = `${entry.account} ${entry.region}`;
    let ssm = clients.ssm(entry.region);
    const roleName = roles.get(entry.account);
    if (roleName) {
      let credentials = assumed.get(entry.account);
      if (!credentials) {
        credentials = await assumeConsumerRole(clients, event, entry.account, roleName, 'restore');
        assumed.set(entry.account, credentials);
      }
      ssm = clients.ssmAs(entry.region, credentials);
    }
    const current = await currentValue(ssm, where, entry.name);
    if (current.value !== entry.imageId) continue;
    if (entry.previousImageId) {
      const previous = entry.previousImageId;
      await step(where, `PutParameter ${entry.name}=${previous}`, () =>
        ssm.send(new PutParameterCommand({ Name: entry.name, Value: previous, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true, Description: `Restored: ${run.executionName} failed` })),
      );
      restored.push(`${where} ${entry.name}: back to ${previous}`);
    } else {
      await step(where, `DeleteParameter ${entry.name}`, () => ssm.send(new DeleteParameterCommand({ Name: entry.name })));
      restored.push(`${where} ${entry.name}: deleted (it held no image before)`);
    }
  }
  return { parameters: [], restored };
}

export async function publishImage(clients: PublishClients, event: PublishImageEvent): Promise<PublishImageResult> {
  if (event.restore) return restoreParameters(clients, event, event.restore);
  const { run, parameterName, regionImages } = event;
  if (regionImages.length === 0) throw new InvalidTaskEvent('publishImage: regionImages is empty (nothing to publish)');
  const description = `Latest golden image of ${run.pipeline}: version ${event.version} (${run.executionName})`.slice(0, 1024);
  const parameters: Published[] = [];
  const published: RegionImage[] = [];
  for (const image of regionImages) {
    const where = `${image.accountId} ${image.region}`;
    // Never a step back, in a run or a redistribution: where the parameter already holds a newer version of the
    // pipeline (a concurrent run approved sooner), that region is left alone, here and in every consumer account.
    const current = await currentValue(clients.ssm(image.region), where, parameterName);
    const holds = current.value && current.value !== image.imageId ? await pipelineVersionOf(clients.ec2(image.region), current.value, run.pipeline) : undefined;
    if (holds !== undefined && holds > event.version) continue;
    const put = await putLatest(clients.ssm(image.region), where, parameterName, image, description);
    parameters.push({ account: image.accountId, region: image.region, name: parameterName, imageId: image.imageId, ...put });
    published.push(image);
  }
  for (const { account, roleName } of event.accounts) {
    const credentials = await assumeConsumerRole(clients, event, account, roleName, 'publish');
    for (const image of published) {
      const put = await putLatest(clients.ssmAs(image.region, credentials), `${account} ${image.region}`, parameterName, image, description);
      parameters.push({ account, region: image.region, name: parameterName, imageId: image.imageId, ...put });
    }
  }
  return { parameters };
}
