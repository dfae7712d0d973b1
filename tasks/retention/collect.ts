/**
 * What the retention planner needs, read from AWS: the inventory (every image of the pipeline the tooling
 * account owns, in the source region and every target region) and what references each image, in the tooling
 * account and in every consumer account (sharing.accounts and launch template accounts, read through the
 * target-account role), in each of those regions.
 *
 * Per account and region (a "reading"):
 *  1. DescribeAutoScalingGroups and DescribeLaunchTemplates: which launch template versions groups name
 *     (directly, or in a mixed-instances policy, incl. its overrides), `$Default` and `$Latest`;
 *  2. DescribeImageReferences, 10 images a call (the API's limit), for instances (any state), SSM parameters and
 *     launch templates with a version depth that reaches every version a group names (at least the API's
 *     default 10, at most its 10,000);
 *  3. for each launch template it names: DescribeLaunchTemplateVersions from the depth's oldest version (image
 *     aliases resolved), so the plan knows which version uses which image;
 *  4. DescribeInstances of the instances it names, for their state.
 * Fail closed: a reading that fails (the role cannot be assumed, AccessDenied, throttling past the SDK's
 * retries, a disabled region, a group naming a version deeper than 10,000) makes the tooling account's copies
 * in that region unreadable — the plan keeps every one of them and says why. Images shared with an account are
 * the tooling account's, so an account's references count against the tooling account's copy in that region.
 *
 * The inventory itself is not fail-closed but fatal: without it there is nothing to plan (the task fails and
 * is retried; in the lifecycle the stage records RetentionFailed).
 */
import { AutoScalingClient, paginateDescribeAutoScalingGroups, type AutoScalingGroup, type LaunchTemplateSpecification } from '@aws-sdk/client-auto-scaling';
import {
  DescribeImageReferencesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  paginateDescribeLaunchTemplates,
  type Image,
  type LaunchTemplate,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { IMAGE_STATUS, TAG, type ImageStatus } from '../../pipeline/tags';
import { createClient } from '../clients';
import { ec2Client } from '../common/ec2';
import { regionalClient } from '../common/regional';
import { hasErrorName, isAwsError } from '../common/aws-errors';
import type { RetentionSettings } from '../contracts';
import type { ImageCopy, ImageReference, ReferenceScope } from './model';
import { RETAIN_TAG } from './model';

/** Images per DescribeImageReferences call (the API's maximum). */
export const IMAGES_PER_REFERENCE_CALL = 10;
/** Launch template versions DescribeImageReferences looks at by default, and at most. */
export const DEFAULT_VERSION_DEPTH = 10;
export const MAX_VERSION_DEPTH = 10_000;
/** Tags every image of the pipeline carries (tag compliance); copies in target regions also name their source. */
export const REQUIRED_TAGS = [TAG.pipeline, TAG.version, TAG.status] as const;
export const COPY_TAGS = [TAG.sourceImage, TAG.sourceRegion] as const;

/** The session name and ExternalId retention uses with the target-account role (the same role the launch template stage assumes). */
export const externalIdFor = (pipeline: string): string => `gami-${pipeline}`;

/** The clients of one account and region; the tooling account's come from the function's own credentials. */
export interface AccountClients {
  ec2(region: string): EC2Client;
  autoScaling(region: string): AutoScalingClient;
}
export interface CollectDeps {
  tooling: AccountClients & { ssm(region: string): SSMClient; sts(): STSClient };
  /** Clients with the assumed role's credentials (tests may replace). */
  assumed(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string }): AccountClients;
}

/** The tooling account's clients are the function's own, cached per region; assumed ones live for one invocation. */
export function defaultCollectDeps(): CollectDeps {
  return {
    tooling: {
      ec2: (region) => ec2Client(region),
      autoScaling: (region) => regionalClient('autoscaling', region, (r) => createClient(AutoScalingClient, { region: r })),
      ssm: (region) => regionalClient('ssm', region, (r) => createClient(SSMClient, { region: r })),
      sts: () => regionalClient('sts', undefined, (r) => createClient(STSClient, { region: r })),
    },
    assumed: (credentials) => {
      const clients = new Map<string, EC2Client | AutoScalingClient>();
      const get = <C extends EC2Client | AutoScalingClient>(key: string, build: () => C): C => {
        if (!clients.has(key)) clients.set(key, build());
        return clients.get(key) as C;
      };
      return {
        ec2: (region) => get(`ec2/${region}`, () => createClient(EC2Client, { region, credentials })),
        autoScaling: (region) => get(`asg/${region}`, () => createClient(AutoScalingClient, { region, credentials })),
      };
    },
  };
}

/** A tag-compliance finding: an image of the pipeline missing a required tag or carrying an inconsistent status. */
export interface ComplianceIssue {
  account: string;
  region: string;
  imageId: string;
  issue: string;
}

export interface Collected {
  inventory: ImageCopy[];
  references: ImageReference[];
  scopes: ReferenceScope[];
  currentVersion: string | null;
  compliance: ComplianceIssue[];
  /** DescribeImages calls per region (the benchmark's bound: ceil(images / 1,000)). */
  describeImagesCalls: Record<string, number>;
}

const tagsOf = (image: Image) => new Map((image.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
const whyNot = (error: unknown) => (isAwsError(error) ? `${error.name}: ${error.message}` : String(error));

/** Every image of the pipeline the account owns in `region`, 1,000 a page. */
async function describePipelineImages(ec2: EC2Client, pipeline: string): Promise<{ images: Image[]; calls: number }> {
  const images: Image[] = [];
  let token: string | undefined;
  let calls = 0;
  do {
    const page = await ec2.send(
      new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${TAG.pipeline}`, Values: [pipeline] }], MaxResults: 1000, NextToken: token }),
    );
    calls++;
    images.push(...(page.Images ?? []));
    token = page.NextToken;
  } while (token);
  return { images, calls };
}

/** One image as the planner sees it, or why it cannot be planned (no version tag: never touched). */
export function toCopy(
  image: Image,
  where: { account: string; region: string; sourceRegion: string; nowMs: number },
): { copy?: ImageCopy; issues: string[] } {
  const tags = tagsOf(image);
  const issues: string[] = [];
  for (const key of REQUIRED_TAGS) if (!tags.get(key)) issues.push(`missing tag ${key}`);
  if (where.region !== where.sourceRegion) for (const key of COPY_TAGS) if (!tags.get(key)) issues.push(`copy missing tag ${key}`);
  const rawStatus = tags.get(TAG.status);
  const status = (IMAGE_STATUS as readonly string[]).includes(rawStatus ?? '') ? (rawStatus as ImageStatus) : undefined;
  if (rawStatus && !status) issues.push(`unknown ${TAG.status} "${rawStatus}"`);
  const deprecatedMs = image.DeprecationTime ? Date.parse(image.DeprecationTime) : undefined;
  const deprecated = deprecatedMs !== undefined && deprecatedMs <= where.nowMs;
  if (status === 'deprecated' && !image.DeprecationTime) issues.push(`${TAG.status} is deprecated but EC2 has no deprecation time`);
  if ((status === 'approved' || status === 'published') && deprecated) issues.push(`${TAG.status} is ${status} but EC2 deprecated it at ${image.DeprecationTime}`);
  if (status === 'retired') issues.push(`${TAG.status} is retired but the image is still registered`);
  const version = tags.get(TAG.version);
  if (!version || !image.ImageId || !image.CreationDate) return { issues: [...issues, 'not planned: kept until it carries a version'] };
  const protection = image.DeregistrationProtection;
  return {
    issues,
    copy: {
      account: where.account,
      region: where.region,
      imageId: image.ImageId,
      version,
      source: where.region === where.sourceRegion,
      status,
      creationTime: new Date(image.CreationDate).toISOString(),
      deprecationTime: image.DeprecationTime ? new Date(image.DeprecationTime).toISOString() : undefined,
      // enabled, enabled-with-cooldown, and disabled-until-<time> (the cooldown after disabling) all block DeregisterImage.
      deregistrationProtection: protection !== undefined && protection !== 'disabled',
      retain: tags.has(RETAIN_TAG),
      lastLaunchedTime: image.LastLaunchedTime ? new Date(image.LastLaunchedTime).toISOString() : undefined,
      snapshots: (image.BlockDeviceMappings ?? []).flatMap((m) =>
        m.Ebs?.SnapshotId ? [{ snapshotId: m.Ebs.SnapshotId, sizeGiB: m.Ebs.VolumeSize ?? 0 }] : [],
      ),
    },
  };
}

/** Versions groups name per launch template id, and which groups; `$Default`/`$Latest` resolved. */
interface TemplateUse {
  template: LaunchTemplate;
  named: Map<number, { kind: 'auto-scaling-group' | 'mixed-instances-policy'; groupName: string }[]>;
}

function groupSpecs(group: AutoScalingGroup): { spec: LaunchTemplateSpecification; kind: 'auto-scaling-group' | 'mixed-instances-policy' }[] {
  const specs: { spec: LaunchTemplateSpecification; kind: 'auto-scaling-group' | 'mixed-instances-policy' }[] = [];
  if (group.LaunchTemplate) specs.push({ spec: group.LaunchTemplate, kind: 'auto-scaling-group' });
  const mixed = group.MixedInstancesPolicy?.LaunchTemplate;
  if (mixed?.LaunchTemplateSpecification) specs.push({ spec: mixed.LaunchTemplateSpecification, kind: 'mixed-instances-policy' });
  for (const o of mixed?.Overrides ?? []) if (o.LaunchTemplateSpecification) specs.push({ spec: o.LaunchTemplateSpecification, kind: 'mixed-instances-policy' });
  return specs;
}

async function allLaunchTemplates(ec2: EC2Client): Promise<LaunchTemplate[]> {
  const out: LaunchTemplate[] = [];
  for await (const page of paginateDescribeLaunchTemplates({ client: ec2, pageSize: 200 }, {})) out.push(...(page.LaunchTemplates ?? []));
  return out;
}

async function allGroups(autoScaling: AutoScalingClient): Promise<AutoScalingGroup[]> {
  const out: AutoScalingGroup[] = [];
  for await (const page of paginateDescribeAutoScalingGroups({ client: autoScaling, pageSize: 100 }, {})) out.push(...(page.AutoScalingGroups ?? []));
  return out;
}

class DepthExceeded extends Error {
  override name = 'VersionDepthExceeded';
}

/**
 * The references of `imageIds` (the tooling account's copies in this region) seen from one account and region:
 * `owner`'s own, or those of the consumer account `seenIn` (each reference then names it).
 */
export async function readReferences(
  clients: AccountClients,
  region: string,
  owner: string,
  imageIds: string[],
  seenIn: string = owner,
): Promise<ImageReference[]> {
  if (imageIds.length === 0) return [];
  const ec2 = clients.ec2(region);
  const [templates, groups] = await Promise.all([allLaunchTemplates(ec2), allGroups(clients.autoScaling(region))]);
  const uses = new Map<string, TemplateUse>(templates.map((t) => [t.LaunchTemplateId ?? '', { template: t, named: new Map() }]));
  const byName = new Map(templates.map((t) => [t.LaunchTemplateName ?? '', t.LaunchTemplateId ?? '']));
  let depth = DEFAULT_VERSION_DEPTH;
  for (const group of groups) {
    for (const { spec, kind } of groupSpecs(group)) {
      const id = spec.LaunchTemplateId ?? byName.get(spec.LaunchTemplateName ?? '');
      const use = id ? uses.get(id) : undefined;
      if (!use) continue;
      const latest = use.template.LatestVersionNumber ?? 1;
      const raw = spec.Version ?? '$Default';
      const version = raw === '$Latest' ? latest : raw === '$Default' ? (use.template.DefaultVersionNumber ?? 1) : Number(raw);
      if (!Number.isInteger(version)) continue;
      use.named.set(version, [...(use.named.get(version) ?? []), { kind, groupName: group.AutoScalingGroupName ?? '' }]);
      const needed = latest - version + 1;
      if (needed > MAX_VERSION_DEPTH) {
        throw new DepthExceeded(`group ${group.AutoScalingGroupName} names version ${version} of ${id}, deeper than DescribeImageReferences reaches (${MAX_VERSION_DEPTH})`);
      }
      depth = Math.max(depth, needed);
    }
  }

  const found: { imageId: string; type: string; arn: string }[] = [];
  for (let i = 0; i < imageIds.length; i += IMAGES_PER_REFERENCE_CALL) {
    let token: string | undefined;
    do {
      const page = await ec2.send(
        new DescribeImageReferencesCommand({
          ImageIds: imageIds.slice(i, i + IMAGES_PER_REFERENCE_CALL),
          ResourceTypes: [
            { ResourceType: 'ec2:Instance' },
            { ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: [String(depth)] }] },
            { ResourceType: 'ssm:Parameter' },
          ],
          MaxResults: 1000,
          NextToken: token,
        }),
      );
      for (const r of page.ImageReferences ?? []) if (r.ImageId && r.ResourceType && r.Arn) found.push({ imageId: r.ImageId, type: r.ResourceType, arn: r.Arn });
      token = page.NextToken;
    } while (token);
  }

  const references: ImageReference[] = [];
  const key = { account: owner, region, ...(seenIn !== owner ? { seenIn } : {}) };
  const wanted = new Set(imageIds);

  // Launch templates: which of their versions (within the depth) use which image.
  const templateIds = [...new Set(found.filter((f) => f.type === 'ec2:LaunchTemplate').map((f) => f.arn.split('/').pop() ?? ''))];
  for (const id of templateIds) {
    const template = uses.get(id)?.template;
    const latest = template?.LatestVersionNumber ?? 1;
    let token: string | undefined;
    do {
      const page = await ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: id,
          MinVersion: String(Math.max(1, latest - depth + 1)),
          ResolveAlias: true,
          MaxResults: 200,
          NextToken: token,
        }),
      );
      for (const v of page.LaunchTemplateVersions ?? []) {
        const imageId = v.LaunchTemplateData?.ImageId;
        if (!imageId || !wanted.has(imageId) || v.VersionNumber === undefined) continue;
        references.push({
          ...key,
          imageId,
          kind: 'launch-template',
          launchTemplateId: id,
          launchTemplateName: v.LaunchTemplateName ?? template?.LaunchTemplateName,
          version: v.VersionNumber,
          isDefault: v.DefaultVersion === true,
          isLatest: v.VersionNumber === latest,
          namedBy: uses.get(id)?.named.get(v.VersionNumber) ?? [],
        });
      }
      token = page.NextToken;
    } while (token);
  }

  // Instances, with their state.
  const instances = found.filter((f) => f.type === 'ec2:Instance');
  const states = new Map<string, string>();
  const instanceIds = [...new Set(instances.map((f) => f.arn.split('/').pop() ?? ''))];
  for (let i = 0; i < instanceIds.length; i += 200) {
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeInstancesCommand({ InstanceIds: instanceIds.slice(i, i + 200), NextToken: token }));
      for (const r of page.Reservations ?? []) for (const inst of r.Instances ?? []) if (inst.InstanceId) states.set(inst.InstanceId, inst.State?.Name ?? 'running');
      token = page.NextToken;
    } while (token);
  }
  for (const f of instances) {
    const instanceId = f.arn.split('/').pop() ?? '';
    // An instance DescribeImageReferences names but DescribeInstances no longer shows is counted as running: fail closed.
    const state = (states.get(instanceId) ?? 'running') as Extract<ImageReference, { kind: 'instance' }>['state'];
    references.push({ ...key, imageId: f.imageId, kind: 'instance', instanceId, state });
  }
  for (const f of found.filter((x) => x.type === 'ssm:Parameter')) {
    const name = f.arn.replace(/^arn:[^:]+:ssm:[^:]*:\d*:parameter/, '');
    references.push({ ...key, imageId: f.imageId, kind: 'ssm-parameter', parameterName: name.startsWith('/') ? name : `/${name}` });
  }
  return references;
}

/** Collect the planner's input for one pipeline across its regions and accounts. */
export async function collect(
  deps: CollectDeps,
  args: {
    pipeline: string;
    account: string;
    settings: RetentionSettings;
    now: string;
    /** Assume this role in every consumer account instead of the configured one (a person's read-only role). */
    consumerRole?: string;
  },
): Promise<Collected> {
  const { pipeline, account: owner, settings } = args;
  const nowMs = Date.parse(args.now);
  const regions = [settings.sourceRegion, ...settings.targetRegions.filter((r) => r !== settings.sourceRegion)];

  const inventory: ImageCopy[] = [];
  const compliance: ComplianceIssue[] = [];
  const describeImagesCalls: Record<string, number> = {};
  const idsByRegion = new Map<string, string[]>();
  await Promise.all(
    regions.map(async (region) => {
      const { images, calls } = await describePipelineImages(deps.tooling.ec2(region), pipeline);
      describeImagesCalls[region] = calls;
      const ids: string[] = [];
      for (const image of images) {
        const { copy, issues } = toCopy(image, { account: owner, region, sourceRegion: settings.sourceRegion, nowMs });
        for (const issue of issues) compliance.push({ account: owner, region, imageId: image.ImageId ?? '', issue });
        if (copy) {
          inventory.push(copy);
          ids.push(copy.imageId);
        }
      }
      idsByRegion.set(region, ids);
    }),
  );
  // Copies of one version whose status tags disagree (in flight and rejected ones aside, which differ by design).
  const statuses = new Map<string, Set<string>>();
  for (const c of inventory) if (c.status && ['approved', 'published', 'deprecated'].includes(c.status)) statuses.set(c.version, (statuses.get(c.version) ?? new Set()).add(c.status));
  for (const [version, set] of statuses) {
    if (set.has('deprecated') && set.size > 1) {
      for (const c of inventory.filter((x) => x.version === version && x.status !== 'deprecated')) {
        compliance.push({ account: c.account, region: c.region, imageId: c.imageId, issue: `${TAG.status} ${c.status} while other copies of version ${version} are deprecated` });
      }
    }
  }

  const references: ImageReference[] = [];
  const scopes: ReferenceScope[] = [];
  const read = async (label: string, clients: AccountClients | Error, seenIn = owner) => {
    await Promise.all(
      regions.map(async (region) => {
        if (clients instanceof Error) {
          scopes.push({ account: owner, region, readable: false, reason: `${label}: ${whyNot(clients)}` });
          return;
        }
        try {
          references.push(...(await readReferences(clients, region, owner, idsByRegion.get(region) ?? [], seenIn)));
          scopes.push({ account: owner, region, readable: true });
        } catch (error) {
          scopes.push({ account: owner, region, readable: false, reason: `${label} in ${region}: ${whyNot(error)}` });
        }
      }),
    );
  };
  const consumers = settings.accounts.filter((a) => a.account !== owner);
  await Promise.all([
    read(`references in the tooling account ${owner}`, deps.tooling),
    ...consumers.map(async ({ account, roleName: configured }) => {
      const roleName = args.consumerRole ?? configured;
      const roleArn = `arn:aws:iam::${account}:role/${roleName}`;
      let clients: AccountClients | Error;
      try {
        const assumed = await deps.tooling.sts().send(
          new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: `gami-retention-${pipeline}`.slice(0, 64), ExternalId: externalIdFor(pipeline), DurationSeconds: 3600 }),
        );
        const c = assumed.Credentials;
        clients = c?.AccessKeyId && c.SecretAccessKey && c.SessionToken
          ? deps.assumed({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken })
          : new Error('AssumeRole returned no credentials');
      } catch (error) {
        clients = error instanceof Error ? error : new Error(String(error));
      }
      await read(`references in account ${account} (role ${roleName})`, clients, account);
    }),
  ]);

  // The current golden image: the publish parameter's image, by its version.
  let currentVersion: string | null = null;
  if (settings.publishParameter) {
    try {
      const parameter = await deps.tooling.ssm(settings.sourceRegion).send(new GetParameterCommand({ Name: settings.publishParameter }));
      const imageId = parameter.Parameter?.Value;
      currentVersion = inventory.find((c) => c.imageId === imageId)?.version ?? null;
    } catch (error) {
      if (!hasErrorName(error, 'ParameterNotFound')) throw error;
    }
  }
  scopes.sort((a, b) => (a.region < b.region ? -1 : a.region > b.region ? 1 : 0));
  return { inventory, references, scopes, currentVersion, compliance, describeImagesCalls };
}
