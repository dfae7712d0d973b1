/**
 * The evidence an approver sees, built from the run (the state machine's variables) and what the registry
 * holds (the scan item's findings, the package inventories, the previous approved image of the pipeline).
 * Pure: the caller reads, this assembles. A list that is incomplete (findings omitted from the scan item, no
 * inventory) is left out rather than guessed, and the page says the difference is not available and why.
 */
import type { z } from 'zod';
import { decodeInventory, formatPackage, type PackageEntry } from '../../pipeline/inventory';
import type { ApprovalEvidence, InstalledPackage } from '../approval/record';
import type { requestApprovalEventSchema } from '../contracts';

export type ApprovalRequestEvent = Extract<z.output<typeof requestApprovalEventSchema>, { phase: 'request' }>;

/** Image statuses that mean "a person approved it (or none was required)": the previous approved image is the newest of these. */
export const APPROVED_STATUSES = ['distributing', 'approved', 'published'] as const;

export interface StoredImageFacts {
  /** Every vulnerability id of the scan item, or undefined when the item omitted findings (or is missing). */
  vulnerabilityIds?: string[];
  /** The image inventory's packages, or undefined when none was recorded. */
  packages?: InstalledPackage[];
}

/** Vulnerability ids of a scan item: only when it kept every finding. */
export function scanVulnerabilityIds(item: Record<string, unknown> | undefined): string[] | undefined {
  if (!item || !Array.isArray(item.findings) || (typeof item.findingsOmitted === 'number' && item.findingsOmitted > 0)) return undefined;
  const ids = (item.findings as { vulnerabilityId?: unknown }[]).map((f) => f.vulnerabilityId).filter((id): id is string => typeof id === 'string');
  return [...new Set(ids)].sort();
}

/** An inventory item's packages as name → full version (one entry per name: the highest arch-sorted last wins). */
export function inventoryPackages(item: Record<string, unknown> | undefined): InstalledPackage[] | undefined {
  if (!item) return undefined;
  const packages: PackageEntry[] = decodeInventory(item);
  if (packages.length === 0) return undefined;
  const byName = new Map<string, string>();
  for (const p of packages) byName.set(p.name, formatPackage(p, false));
  return [...byName].map(([name, version]) => ({ name, version }));
}

export function buildEvidence(
  event: ApprovalRequestEvent,
  current: StoredImageFacts,
  lineage: string[],
  previous?: { version: number; imageId: string; approvedAt?: string } & StoredImageFacts,
): ApprovalEvidence {
  const applied = new Map(event.gate.exceptionsApplied.map((e) => [e.cve, e.findings]));
  const steps = [...(event.buildSteps ?? []), ...(event.testSteps ?? [])].map(({ component, phase, step, status }) => ({ component, phase, step, status }));
  return {
    pipeline: event.run.pipeline,
    version: event.version,
    image: { imageId: event.imageId, name: event.imageName },
    baseImage: event.baseImage,
    lineage,
    components: event.components,
    steps,
    gate: event.gate,
    exceptions: event.exceptions.filter((e) => applied.has(e.cve)).map((e) => ({ ...e, findings: applied.get(e.cve) ?? 0 })),
    ...(current.vulnerabilityIds ? { vulnerabilityIds: current.vulnerabilityIds } : {}),
    ...(current.packages ? { packages: current.packages } : {}),
    ...(previous
      ? {
          previous: {
            version: previous.version,
            imageId: previous.imageId,
            ...(previous.approvedAt ? { approvedAt: previous.approvedAt } : {}),
            ...(previous.vulnerabilityIds ? { vulnerabilityIds: previous.vulnerabilityIds } : {}),
            ...(previous.packages ? { packages: previous.packages } : {}),
          },
        }
      : {}),
    ...(event.reason ? { reason: event.reason } : {}),
    ...(event.requestedBy ? { requestedBy: event.requestedBy } : {}),
  };
}
