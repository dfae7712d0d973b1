/**
 * `gami images <pipeline>`: the pipeline's images and their package inventories, read from the registry table.
 *   gami images web-base                                   one line per image: version, id, packages, changes from its base
 *   gami images web-base --packages [--image-version 5]    every package of every (or one) image
 *   gami images web-base --package openssl-libs --versions ">=1:3.0.8 <1:3.0.9"
 *                                                          which images (and base images) carry the package in that range
 * `--local` reads the local runtime's registry (`<state-dir>/dynamodb`, as `npm start` keeps it; default `.gami`);
 * otherwise the table `gami-registry-<pipeline>` in `--region` with the default AWS credentials.
 * Each image line ends with its status and age in days; the last line names the newest approved image and its
 * age (what the freshness metric reports).
 */
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { Command, CommanderError } from 'commander';
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
import { savedWorldTime } from '../local/cloud';
import { openRegistry } from './target';
import { ageInDays, imageRecords, newestApproved } from '../tasks/reportFreshness/freshness';

/** Exit code for invalid input (as bin/gami.ts). */
const EXIT_INVALID = 2;

export interface ImagesIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface ImagesOptions {
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

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const label = (i: StoredInventory) => (i.role === 'image' ? `v${i.version} ${i.imageId}` : `base ${i.imageId} (of v${i.version})`);

/** The images carrying `name` in `range` (any version without one): one line per image and package. */
export function findPackage(inventories: readonly StoredInventory[], name: string, range?: VersionRange): string[] {
  return inventories.flatMap((inventory) =>
    inventory.packages.filter((p) => p.name === name && (!range || inRange(p, range))).map((p) => `${label(inventory)}  ${p.name} ${formatPackage(p)}`),
  );
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
  // Ages against the simulated account's time locally (its clock may run ahead), the wall clock on AWS.
  const now = new Date(options.local ? Math.max(Date.now(), savedWorldTime(options.stateDir) ?? 0) : Date.now());
  const recordOf = new Map(records.map((r) => [Number(r.version), r]));
  const age = (version: number) => {
    const record = recordOf.get(version);
    return record && typeof record.createdAt === 'string' ? `; ${String(record.status)}, ${ageInDays(record.createdAt, now)} days old` : '';
  };
  inventories = inventories.filter((i) => only === undefined || i.version === only);
  if (inventories.length === 0) {
    io.out(`no package inventory recorded for ${options.pipeline}${only !== undefined ? ` v${only}` : ''}`);
    return;
  }

  if (options.package) {
    const lines = findPackage(inventories, options.package, range);
    if (lines.length === 0) io.out(`no image of ${options.pipeline} carries ${options.package}${options.versions ? ` ${options.versions}` : ''}`);
    for (const line of lines) io.out(line);
    return;
  }
  for (const inventory of inventories) {
    const stored = inventory.encoding === 'gzip' ? `${kib(inventory.rawBytes)} as JSON, ${kib(inventory.storedBytes)} gzip-compressed` : `${kib(inventory.storedBytes)}`;
    const changes = inventory.changes
      ? `; from its base: ${inventory.changes.changed} changed, ${inventory.changes.added} added, ${inventory.changes.removed} removed`
      : '';
    io.out(`${label(inventory)}: ${inventory.count} packages (${stored})${changes}${inventory.role === 'image' ? age(inventory.version) : ''}`);
    if (options.packages) for (const p of inventory.packages) io.out(`  ${p.name} ${formatPackage(p)}`);
  }
  const newest = newestApproved(records, now);
  io.out(
    newest
      ? `newest approved image: v${newest.version} ${newest.imageId ?? ''}, ${newest.ageDays} days old (the freshness alarm fires past freshness.maxAgeDays)`
      : `no approved image of ${options.pipeline} yet (the freshness alarm fires until there is one)`,
  );
}

/** Add `images` to a gami program (bin/gami.ts wires it in). */
export function addImagesCommand(program: Command, io: ImagesIo): Command {
  program
    .command('images')
    .description("list a pipeline's images and their package inventories from the registry; find the images carrying a package")
    .argument('<pipeline>', 'pipeline name')
    .option('--packages', 'list every package of each image')
    .option('--package <name>', 'only images carrying this package')
    .option('--versions <range>', 'with --package: a version range, e.g. ">=3.0.8 <3.0.9" or "=1:3.0.8-1.amzn2023.0.12"')
    .option('--image-version <n>', 'only this image version')
    .option('--local', 'read the local runtime registry (the state directory npm start uses)')
    .option('--state-dir <dir>', 'state directory of the local runtime', '.gami')
    .option('--table <name>', 'registry table (default: gami-registry-<pipeline>)')
    .option('--region <region>', 'region of the registry table (default: from the AWS environment)')
    .action((pipeline: string, options: ImagesOptions) => listImages({ ...options, pipeline }, io));
  return program;
}
