/**
 * `gami images <pipeline>`: the pipeline's images — every version, and every copy of it in EC2 — with their
 * package inventories.
 *   gami images web-base                                   per version: status, age, packages, changes from its base;
 *                                                          under it every copy: region, account, image id, status tag,
 *                                                          deprecated, protected, retain tag, shared with, in use by what
 *   gami images web-base --packages [--image-version 5]    also every package of every (or one) image and its base
 *   gami images web-base --package openssl-libs --versions ">=1:3.0.8 <1:3.0.9"
 *                                                          which images (and base images) carry the package in that range
 *   gami images web-base --format json                     the same as JSON
 *   gami images web-base --no-copies                       the registry alone (no EC2 calls)
 * Versions, statuses, ages and inventories come from the registry table (`--local`: the local runtime's
 * `<state-dir>/dynamodb`; otherwise `gami-registry-<pipeline>` with the default AWS credentials). The copies are
 * read from EC2 as retention reads them (tasks/retention/collect.ts: every region of the pipeline's config, `--file`,
 * default the file in pipelines/ named so; references in consumer accounts through the target-account role), plus
 * each copy's launch permissions (DescribeImageAttribute). "In use by" lists what keeps an image from retention —
 * a running or stopped instance, a launch template version that is `$Default`, `$Latest` or named by an Auto
 * Scaling group, an SSM parameter — and says where it could not look. The last line names the newest approved
 * image and its age (what the freshness metric reports).
 */
import { DescribeImageAttributeCommand } from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { Command, CommanderError, Option } from 'commander';
import { resourceNames } from '../infra/pipeline-stack';
import {
  decodeInventory,
  formatPackage,
  inRange,
  InvalidVersionRange,
  inventoryKeys,
  parseVersionRange,
  type InventoryRole,
  type PackageEntry,
  type VersionRange,
} from '../pipeline/inventory';
import { isAwsError } from '../tasks/common/aws-errors';
import { launchPermissionText } from '../tasks/common/images';
import { ageInDays, imageRecords, newestApproved, type ImageAge } from '../tasks/reportFreshness/freshness';
import { collect, defaultCollectDeps, type Collected, type CollectDeps, type ComplianceIssue } from '../tasks/retention/collect';
import type { ImageCopy } from '../tasks/retention/model';
import { describeReference } from '../tasks/retention/plan';
import { retentionSettings } from '../workflows/stages/retention';
import { CONSUMER_ROLE_OPTION, consumerRole, inPipelineAccount, loadPipelineConfig, readerHint } from './account';
import { alignColumns, FORMATS, localNow, openRegistry, type Format } from './target';

/** Exit code for invalid input (as bin/gami.ts). */
const EXIT_INVALID = 2;

export interface ImagesIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface ImagesOptions {
  format: Format;
  /** false with --no-copies: the registry alone. */
  copies: boolean;
  file?: string;
  consumerRole?: string;
  packages?: boolean;
  package?: string;
  versions?: string;
  imageVersion?: string;
  local?: boolean;
  stateDir: string;
  table?: string;
  region?: string;
}

export interface StoredInventory {
  version: number;
  role: InventoryRole;
  imageId: string;
  count: number;
  rawBytes: number;
  storedBytes: number;
  encoding: string;
  packages: PackageEntry[];
  changes?: { added: number; removed: number; changed: number };
}


/** Every inventory item of `pipeline`, oldest version first, base before image. */
export async function readInventories(client: DynamoDBDocumentClient, table: string, pipeline: string): Promise<StoredInventory[]> {
  const out: StoredInventory[] = [];
  const pages = paginateQuery(
    { client },
    {
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `PIPELINE#${pipeline}`, ':prefix': inventoryKeys.prefix },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const changes = item.changesFromBase as { added: unknown[]; removed: unknown[]; changed: unknown[] } | undefined;
      out.push({
        version: Number(item.version),
        role: item.role as InventoryRole,
        imageId: String(item.imageId),
        count: Number(item.count),
        rawBytes: Number(item.rawBytes),
        storedBytes: Number(item.storedBytes),
        encoding: String(item.encoding),
        packages: decodeInventory(item),
        ...(changes ? { changes: { added: changes.added.length, removed: changes.removed.length, changed: changes.changed.length } } : {}),
      });
    }
  }
  return out;
}


/** One package hit of `--package`: which image (or base image) carries which version. */
export interface PackageHit {
  version: number;
  role: InventoryRole;
  imageId: string;
  package: string;
  packageVersion: string;
}

/** The images carrying `name` in `range` (any version without one), one hit per image and package. */
export function findPackage(inventories: readonly StoredInventory[], name: string, range?: VersionRange): PackageHit[] {
  return inventories.flatMap((inventory) =>
    inventory.packages
      .filter((p) => p.name === name && (!range || inRange(p, range)))
      .map((p) => ({ version: inventory.version, role: inventory.role, imageId: inventory.imageId, package: p.name, packageVersion: formatPackage(p) })),
  );
}

/** One copy of a version: the image in one account and region, as EC2 sees it now. */
export interface CopyView {
  region: string;
  account: string;
  imageId: string;
  /** The copy the pipeline built (home region); the others are copies of it. */
  source: boolean;
  /** Its `gami:status` tag. */
  status?: string;
  /** EC2 deprecated it (its deprecation time has passed). */
  deprecated: boolean;
  deprecationTime?: string;
  /** Deregistration protection is on. */
  protected: boolean;
  /** It carries the `gami:retain` tag. */
  retain: boolean;
  /** Its launch permissions: account ids, organization and OU ARNs (`all` would be public); undefined when unreadable. */
  sharedWith?: string[];
  sharedWithError?: string;
  /** What uses it and keeps it from retention (where it could be read). */
  inUseBy: string[];
  /** Where references could not be read (the copy may be in use there). */
  notRead: string[];
}

export interface InventoryView {
  packages: number;
  rawBytes: number;
  storedBytes: number;
  encoding: string;
  changesFromBase?: { added: number; removed: number; changed: number };
  base?: { imageId: string; packages: number };
  /** With --packages. */
  imagePackages?: string[];
  basePackages?: string[];
}

/** One version of the pipeline's image: its registry record, its inventory and its copies. */
export interface VersionView {
  version: number;
  /** The source image (the registry's, else the source copy's). */
  imageId?: string;
  /** The registry's status (else the source copy's tag). */
  status?: string;
  createdAt?: string;
  ageDays?: number;
  inventory?: InventoryView;
  copies: CopyView[];
}

export interface ImagesReport {
  pipeline: string;
  now: string;
  versions: VersionView[];
  newestApproved: ImageAge | null;
  /** false with --no-copies. */
  copiesRead: boolean;
  /** Tag problems retention found on the copies (missing tags, statuses that disagree). */
  compliance: ComplianceIssue[];
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const label = (hit: Pick<PackageHit, 'role' | 'version' | 'imageId'>) => (hit.role === 'image' ? `v${hit.version} ${hit.imageId}` : `base ${hit.imageId} (of v${hit.version})`);

/** A copy as read, with its version and creation time (which the report shows per version). */
export type CollectedCopy = CopyView & { version: string; creationTime: string };

/** Every copy of the pipeline's images with its shares and uses: retention's collection, plus launch permissions. */
async function readCopies(deps: CollectDeps, collected: Collected, nowMs: number): Promise<CollectedCopy[]> {
  const { tooling } = deps;
  const uses = new Map<string, { counting: string[] }>();
  for (const ref of collected.references) {
    const key = `${ref.account}/${ref.region}/${ref.imageId}`;
    const { counts, text } = describeReference(ref);
    if (!counts) continue;
    uses.set(key, { counting: [...(uses.get(key)?.counting ?? []), text] });
  }
  const copies = collected.inventory;
  const shares = new Map<string, { sharedWith?: string[]; error?: string }>();
  // A few calls at a time: one DescribeImageAttribute per copy.
  for (let i = 0; i < copies.length; i += 10) {
    await Promise.all(
      copies.slice(i, i + 10).map(async (c: ImageCopy) => {
        try {
          const answer = await tooling.ec2(c.region).send(new DescribeImageAttributeCommand({ ImageId: c.imageId, Attribute: 'launchPermission' }));
          shares.set(c.imageId, { sharedWith: (answer.LaunchPermissions ?? []).map(launchPermissionText).sort() });
        } catch (error) {
          shares.set(c.imageId, { error: isAwsError(error) ? `${error.name}: ${error.message}` : String(error) });
        }
      }),
    );
  }
  return copies.map((c) => {
    const share = shares.get(c.imageId) ?? {};
    return {
      version: c.version,
      creationTime: c.creationTime,
      region: c.region,
      account: c.account,
      imageId: c.imageId,
      source: c.source,
      ...(c.status ? { status: c.status } : {}),
      deprecated: c.deprecationTime !== undefined && Date.parse(c.deprecationTime) <= nowMs,
      ...(c.deprecationTime ? { deprecationTime: c.deprecationTime } : {}),
      protected: c.deregistrationProtection,
      retain: c.retain,
      ...(share.sharedWith ? { sharedWith: share.sharedWith } : { sharedWithError: share.error ?? 'not read' }),
      inUseBy: [...(uses.get(`${c.account}/${c.region}/${c.imageId}`)?.counting ?? [])].sort(),
      notRead: collected.scopes.filter((s) => !s.readable && s.account === c.account && s.region === c.region).map((s) => s.reason ?? 'not read'),
    };
  });
}

/** The report: registry records and inventories, joined with the copies by version. */
export function buildReport(args: {
  pipeline: string;
  now: Date;
  records: readonly Record<string, unknown>[];
  inventories: readonly StoredInventory[];
  copies?: CollectedCopy[];
  compliance?: ComplianceIssue[];
  withPackages?: boolean;
  only?: number;
}): ImagesReport {
  const { records, inventories, copies = [] } = args;
  const versions = new Set<number>([
    ...records.map((r) => Number(r.version)),
    ...inventories.map((i) => i.version),
    ...copies.map((c) => Number(c.version)),
  ]);
  const view: VersionView[] = [...versions]
    .filter((v) => Number.isInteger(v) && (args.only === undefined || v === args.only))
    .sort((a, b) => a - b)
    .map((version) => {
      const record = records.find((r) => Number(r.version) === version);
      const mine = copies.filter((c) => Number(c.version) === version).sort((a, b) => Number(b.source) - Number(a.source) || a.region.localeCompare(b.region) || a.account.localeCompare(b.account));
      const source = mine.find((c) => c.source);
      const image = inventories.find((i) => i.version === version && i.role === 'image');
      const base = inventories.find((i) => i.version === version && i.role === 'base');
      const createdAt = typeof record?.createdAt === 'string' ? record.createdAt : source?.creationTime;
      const status = typeof record?.status === 'string' ? record.status : source?.status;
      const imageId = typeof record?.imageId === 'string' ? record.imageId : (source?.imageId ?? image?.imageId);
      return {
        version,
        ...(imageId ? { imageId } : {}),
        ...(status ? { status } : {}),
        ...(createdAt ? { createdAt, ageDays: ageInDays(createdAt, args.now) } : {}),
        ...(image
          ? {
              inventory: {
                packages: image.count,
                rawBytes: image.rawBytes,
                storedBytes: image.storedBytes,
                encoding: image.encoding,
                ...(image.changes ? { changesFromBase: image.changes } : {}),
                ...(base ? { base: { imageId: base.imageId, packages: base.count } } : {}),
                ...(args.withPackages
                  ? { imagePackages: image.packages.map((p) => `${p.name} ${formatPackage(p)}`), ...(base ? { basePackages: base.packages.map((p) => `${p.name} ${formatPackage(p)}`) } : {}) }
                  : {}),
              },
            }
          : {}),
        copies: mine.map(({ version: _v, creationTime: _c, ...copy }) => copy),
      };
    });
  return {
    pipeline: args.pipeline,
    now: args.now.toISOString(),
    versions: view,
    newestApproved: newestApproved(records, args.now) ?? null,
    copiesRead: args.copies !== undefined,
    compliance: args.compliance ?? [],
  };
}

/** The report as lines: a line per version, its copies under it as aligned columns. */
export function formatImages(report: ImagesReport): string[] {
  const out: string[] = [];
  for (const v of report.versions) {
    const facts = [
      [v.status, v.ageDays !== undefined ? `${v.ageDays} days old` : undefined].filter(Boolean).join(', '),
      v.inventory
        ? `${v.inventory.packages} packages (${v.inventory.encoding === 'gzip' ? `${kib(v.inventory.rawBytes)} as JSON, ${kib(v.inventory.storedBytes)} gzip-compressed` : kib(v.inventory.storedBytes)})`
        : 'no package inventory recorded',
      v.inventory?.base
        ? `from its base ${v.inventory.base.imageId} (${v.inventory.base.packages} packages)${v.inventory.changesFromBase ? `: ${v.inventory.changesFromBase.changed} changed, ${v.inventory.changesFromBase.added} added, ${v.inventory.changesFromBase.removed} removed` : ''}`
        : undefined,
    ].filter(Boolean);
    out.push(`v${v.version} ${v.imageId ?? '(no image)'}: ${facts.join('; ')}`);
    if (report.copiesRead) {
      if (v.copies.length === 0) out.push('  no copy registered in EC2');
      const rows = v.copies.map((c) => [
        `${c.region}${c.source ? ' (source)' : ''}`,
        c.account,
        c.imageId,
        // The tag, and EC2's own deprecation where the tag does not already say so.
        `${c.status ?? 'no status tag'}${c.deprecated && c.status !== 'deprecated' ? ' (deprecated in EC2)' : ''}`,
        [c.protected ? 'protected' : 'not protected', ...(c.retain ? ['retain tag'] : [])].join(', '),
        c.sharedWith ? (c.sharedWith.length ? `shared with ${c.sharedWith.join(', ')}` : 'not shared') : `shares not read (${c.sharedWithError})`,
        `in use by: ${c.inUseBy.length ? c.inUseBy.join('; ') : 'nothing'}${c.notRead.length ? ` (maybe more: ${c.notRead.length} reading(s) failed, below)` : ''}`,
      ]);
      out.push(...alignColumns(undefined, rows).map((line) => `  ${line}`));
    }
    if (v.inventory?.imagePackages) {
      out.push(`  packages of ${v.imageId}:`);
      out.push(...v.inventory.imagePackages.map((p) => `    ${p}`));
    }
    if (v.inventory?.basePackages) {
      out.push(`  packages of its base ${v.inventory.base?.imageId}:`);
      out.push(...v.inventory.basePackages.map((p) => `    ${p}`));
    }
  }
  const notRead = [...new Set(report.versions.flatMap((v) => v.copies.flatMap((c) => c.notRead.map((why) => `${c.region}: ${why}`))))].sort();
  for (const why of notRead) out.push(`not read, so a copy there may be in use: ${why}`);
  const hint = readerHint(report.pipeline, notRead);
  if (hint) out.push(hint);
  for (const c of report.compliance) out.push(`tag compliance: ${c.account} ${c.region} ${c.imageId}: ${c.issue}`);
  const newest = report.newestApproved;
  out.push(
    newest
      ? `newest approved image: v${newest.version} ${newest.imageId ?? ''}, ${newest.ageDays} days old (the freshness alarm fires past freshness.maxAgeDays)`
      : `no approved image of ${report.pipeline} yet (the freshness alarm fires until there is one)`,
  );
  return out;
}

export async function listImages(options: ImagesOptions & { pipeline: string }, io: ImagesIo): Promise<void> {
  let range: VersionRange | undefined;
  try {
    range = options.versions ? parseVersionRange(options.versions) : undefined;
  } catch (error) {
    if (error instanceof InvalidVersionRange) throw new CommanderError(EXIT_INVALID, 'gami.badRange', `--versions: ${error.message}`);
    throw error;
  }
  if (range && !options.package) throw new CommanderError(EXIT_INVALID, 'gami.rangeWithoutPackage', '--versions needs --package <name>');
  const only = options.imageVersion !== undefined ? Number(options.imageVersion) : undefined;
  if (only !== undefined && !Number.isInteger(only)) throw new CommanderError(EXIT_INVALID, 'gami.badVersion', `--image-version: "${options.imageVersion}" is not a version number`);
  const json = options.format === 'json';
  // The copies need the pipeline's regions and accounts: its config, checked before anything is read.
  const readCopiesToo = options.copies !== false && !options.package;
  const config = readCopiesToo ? loadPipelineConfig(options.pipeline, options.file, 'give --file, or --no-copies for the registry alone') : undefined;
  const role = consumerRole(options.pipeline, options);

  const registry = await openRegistry(options);
  let inventories: StoredInventory[];
  let records: Record<string, unknown>[];
  const table = options.table ?? resourceNames(options.pipeline).registryTable;
  try {
    inventories = await readInventories(registry.client, table, options.pipeline);
    records = await imageRecords(registry.client, table, options.pipeline);
  } finally {
    await registry.close();
  }

  if (options.package) {
    const hits = findPackage(inventories.filter((i) => only === undefined || i.version === only), options.package, range);
    if (json) io.out(JSON.stringify({ pipeline: options.pipeline, package: options.package, versions: options.versions ?? null, images: hits }, null, 2));
    else if (hits.length === 0) io.out(`no image of ${options.pipeline} carries ${options.package}${options.versions ? ` ${options.versions}` : ''}`);
    else for (const hit of hits) io.out(`${label(hit)}  ${hit.package} ${hit.packageVersion}`);
    return;
  }

  let copies: CollectedCopy[] | undefined;
  let compliance: ComplianceIssue[] = [];
  // Ages against the simulated account's time locally (its clock may run ahead), the wall clock on AWS.
  let now = new Date(options.local ? localNow(options.stateDir) : Date.now());
  if (config) {
    const settings = retentionSettings(config);
    ({ copies, compliance } = await inPipelineAccount(config, options, async (nowMs, account) => {
      now = new Date(nowMs);
      const deps = defaultCollectDeps();
      const collected = await collect(deps, { pipeline: options.pipeline, account, settings, now: now.toISOString(), consumerRole: role });
      return { copies: await readCopies(deps, collected, nowMs), compliance: collected.compliance };
    }));
  }
  const report = buildReport({ pipeline: options.pipeline, now, records, inventories, copies, compliance, withPackages: options.packages, only });
  if (json) {
    io.out(JSON.stringify(report, null, 2));
    return;
  }
  if (report.versions.length === 0) {
    io.out(`no image of ${options.pipeline}${only !== undefined ? ` v${only}` : ''} in the registry${report.copiesRead ? ' or in EC2' : ''}`);
    return;
  }
  for (const line of formatImages(report)) io.out(line);
}

/** Add `images` to a gami program (bin/gami.ts wires it in). */
export function addImagesCommand(program: Command, io: ImagesIo): Command {
  program
    .command('images')
    .description("list a pipeline's images — every copy with its region, account, status, protection, shares and what uses it — and their package inventories; find the images carrying a package")
    .argument('<pipeline>', 'pipeline name')
    .option('--packages', 'list every package of each image and its base')
    .option('--package <name>', 'only images carrying this package')
    .option('--versions <range>', 'with --package: a version range, e.g. ">=3.0.8 <3.0.9" or "=1:3.0.8-1.amzn2023.0.12"')
    .option('--image-version <n>', 'only this image version')
    .option('--no-copies', 'the registry alone: do not read the copies from EC2')
    .option('--file <path>', 'pipeline file, for its regions and accounts (default: the one in pipelines/ with this name)')
    .option(...CONSUMER_ROLE_OPTION)
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('text'))
    .option('--local', 'read the local runtime (the state directory npm start uses)')
    .option('--state-dir <dir>', 'state directory of the local runtime', '.gami')
    .option('--table <name>', 'registry table (default: gami-registry-<pipeline>)')
    .option('--region <region>', 'region of the registry table (default: from the AWS environment)')
    .action((pipeline: string, options: ImagesOptions) => listImages({ ...options, pipeline }, io));
  return program;
}
