/**
 * recordInventory: read a managed instance's installed packages from SSM Inventory (AWS:Application, the
 * inventory Amazon Inspector's scan reads) and write them to the registry with the image they belong to — the
 * new image (from the test instance) or its base (from the builder, before the first build step changes it).
 * The image's item also records what changed from its base. Writing is a Put of a deterministic key: a retry
 * writes the same item again.
 *
 * The stack's inventory association (AWS-GatherSoftwareInventory on this pipeline's instances, infra/
 * pipeline-stack.ts) collects when the instance becomes managed and every 30 minutes: until it has run,
 * ListInventoryEntries answers no entries, and this task throws InventoryNotCollected, which the state machine
 * retries.
 */
import { ListInventoryEntriesCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { decodeInventory, diffInventories, encodeInventory, inventoryKeys, type PackageEntry } from '../../pipeline/inventory';
import type { recordInventoryEventSchema, recordInventoryResultSchema } from '../contracts';
import { InventoryNotCollected } from '../errors';

export type RecordInventoryEvent = z.output<typeof recordInventoryEventSchema>;
export type RecordInventoryResult = z.output<typeof recordInventoryResultSchema>;

/** Most changes kept on the image's item (the full lists stay derivable from the two inventories). */
export const MAX_RECORDED_CHANGES = 500;

/** Every AWS:Application entry of `instanceId`, as packages, and the collection's time. */
export async function readInventory(ssm: SSMClient, instanceId: string): Promise<{ packages: PackageEntry[]; captureTime?: string }> {
  const packages: PackageEntry[] = [];
  let captureTime: string | undefined;
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(new ListInventoryEntriesCommand({ InstanceId: instanceId, TypeName: 'AWS:Application', MaxResults: 50, NextToken }));
    captureTime ??= page.CaptureTime;
    for (const entry of page.Entries ?? []) {
      if (!entry.Name) continue;
      packages.push({
        name: entry.Name,
        epoch: entry.Epoch && /^\d+$/.test(entry.Epoch) ? Number(entry.Epoch) : 0,
        version: entry.Version ?? '',
        release: entry.Release ?? '',
        arch: entry.Architecture ?? '',
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return { packages, captureTime };
}

export async function recordInventory(
  clients: { ssm: SSMClient; registry: DynamoDBDocumentClient },
  event: RecordInventoryEvent,
): Promise<RecordInventoryResult> {
  const { run, version, role } = event;
  const { packages, captureTime } = await readInventory(clients.ssm, event.instanceId);
  if (packages.length === 0) {
    throw new InventoryNotCollected(`SSM Inventory has no AWS:Application entries for ${event.instanceId} yet (the inventory association has not run)`);
  }
  const encoded = encodeInventory(packages);

  let changes: RecordInventoryResult['changes'];
  let diff: ReturnType<typeof diffInventories> | undefined;
  if (role === 'image') {
    const base = (await clients.registry.send(new GetCommand({ TableName: event.registryTable, Key: inventoryKeys.item(run.pipeline, version, 'base'), ConsistentRead: true }))).Item;
    if (base) {
      diff = diffInventories(decodeInventory(base), packages);
      changes = { added: diff.added.length, removed: diff.removed.length, changed: diff.changed.length };
    }
  }

  await clients.registry.send(
    new PutCommand({
      TableName: event.registryTable,
      Item: {
        ...inventoryKeys.item(run.pipeline, version, role),
        pipeline: run.pipeline,
        version,
        role,
        imageId: event.imageId,
        instanceId: event.instanceId,
        executionArn: run.executionArn,
        source: 'ssm-inventory:AWS:Application',
        captureTime,
        recordedAt: run.now,
        ...encoded,
        ...(diff
          ? {
              changesFromBase: {
                added: diff.added.slice(0, MAX_RECORDED_CHANGES),
                removed: diff.removed.slice(0, MAX_RECORDED_CHANGES),
                changed: diff.changed.slice(0, MAX_RECORDED_CHANGES),
                truncated: Math.max(diff.added.length, diff.removed.length, diff.changed.length) > MAX_RECORDED_CHANGES,
              },
            }
          : {}),
      },
    }),
  );

  const { packages: _list, packagesGzip: _gzip, ...sizes } = encoded;
  return { role, imageId: event.imageId, ...sizes, ...(captureTime ? { captureTime } : {}), ...(changes ? { changes } : {}) };
}
