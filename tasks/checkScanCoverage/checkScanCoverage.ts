/**
 * checkScanCoverage: one poll of Amazon Inspector's coverage of the test instance. Fail closed: a reason
 * that means Inspector will never scan this instance throws ScanIncomplete at once; the workflow's scan
 * timeout turns "still pending" into ScanIncomplete too. Only a finished scan lets the gate decide.
 */
import { paginateListCoverage, type CoveredResource, type Inspector2Client } from '@aws-sdk/client-inspector2';
import type { z } from 'zod';
import type { checkScanCoverageEventSchema, checkScanCoverageResultSchema } from '../contracts';
import { ScanIncomplete } from '../errors';

export type CheckScanCoverageEvent = z.output<typeof checkScanCoverageEventSchema>;
export type CheckScanCoverageResult = z.output<typeof checkScanCoverageResultSchema>;

/** Reasons Inspector gives while a scan is still to come (or it recovers by itself, INTERNAL_ERROR). */
const PENDING_REASONS = new Set([
  'PENDING_INITIAL_SCAN',
  'PENDING_REVIVAL_SCAN',
  'SCAN_IN_PROGRESS',
  'NO_INVENTORY',
  'DEEP_INSPECTION_NO_INVENTORY',
  'INTERNAL_ERROR',
]);

/** What to do about the reasons a person can fix, quoted into ScanIncomplete. */
const REMEDIES: Record<string, string> = {
  UNSUPPORTED_OS: 'Inspector does not support this operating system or architecture; pick a supported base image',
  UNMANAGED_EC2_INSTANCE: 'the instance is not managed by SSM; check the instance profile, the SSM agent and the subnet route to SSM',
  ACCESS_DENIED: 'an access policy keeps Inspector from the instance; check the Inspector service-linked role',
  EXCLUDED_BY_TAG: 'the instance carries the InspectorEc2Exclusion tag; remove it from the pipeline tags',
  RESOURCE_TERMINATED: 'the test instance was terminated before the scan finished',
  EC2_INSTANCE_STOPPED: 'the test instance was stopped before the scan finished',
  RESOURCE_STOPPED: 'the test instance was stopped before the scan finished',
  STALE_INVENTORY: 'the SSM inventory of the instance is stale; check the SSM agent',
};

async function coverageOf(inspector2: Inspector2Client, instanceId: string): Promise<CoveredResource | undefined> {
  // Inspector may return an empty page with a token: the paginator keeps reading.
  const pages = paginateListCoverage({ client: inspector2 }, { filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: instanceId }] } });
  for await (const page of pages) {
    const covered = page.coveredResources?.find((resource) => resource.resourceId === instanceId);
    if (covered) return covered;
  }
  return undefined;
}

/** Still pending: poll again, unless the scan timeout (the workflow's deadline) has passed. */
function pending(event: CheckScanCoverageEvent, coverage: CoveredResource | undefined): CheckScanCoverageResult {
  const reason = coverage?.scanStatus?.reason;
  if (event.deadline && Date.parse(event.run.now) >= Date.parse(event.deadline)) {
    const last = coverage?.scanStatus ? `${coverage.scanStatus.statusCode ?? 'unknown'} (${reason ?? 'no reason given'})` : 'not yet discovered by Inspector';
    throw new ScanIncomplete(
      `Amazon Inspector did not finish scanning test instance ${event.instanceId} by ${event.deadline} (scan timeout); ` +
        `last coverage: ${last}. No scan result means no gate decision (fail closed).`,
    );
  }
  return { status: 'PENDING', ...(reason ? { statusReason: reason } : {}) };
}

export async function checkScanCoverage(
  clients: { inspector2: Inspector2Client },
  event: CheckScanCoverageEvent,
): Promise<CheckScanCoverageResult> {
  const { instanceId } = event;
  const coverage = await coverageOf(clients.inspector2, instanceId);
  // Inspector has not discovered the instance yet.
  if (!coverage?.scanStatus) return pending(event, coverage);

  const { statusCode, reason } = coverage.scanStatus;
  if (reason && PENDING_REASONS.has(reason)) return pending(event, coverage);
  if (statusCode === 'ACTIVE') {
    if (reason === 'SUCCESSFUL' || coverage.lastScannedAt) return { status: 'SCANNED', ...(reason ? { statusReason: reason } : {}) };
    return pending(event, coverage);
  }
  const remedy = REMEDIES[reason ?? ''];
  throw new ScanIncomplete(
    `Amazon Inspector cannot scan test instance ${instanceId}: coverage is ${statusCode ?? 'unknown'} (${reason ?? 'no reason given'})` +
      `${remedy ? `: ${remedy}` : ''}. No scan result means no gate decision (fail closed).`,
  );
}
