/** Reading the test instance's active Inspector findings and converting them to the gate's shape. */
import { paginateListFindings, type Finding, type Inspector2Client } from '@aws-sdk/client-inspector2';
import { SEVERITIES, type Severity } from '../../pipeline/config';
import type { GateFinding } from '../contracts';

const isSeverity = (value: string | undefined): value is Severity => (SEVERITIES as readonly string[]).includes(value ?? '');

/** Inspector's finding → the gate's finding. Unknown severities count as UNTRIAGED: never silently dropped. */
export function toGateFinding(finding: Finding): GateFinding {
  const details = finding.packageVulnerabilityDetails;
  const vulnerable = details?.vulnerablePackages?.[0];
  const installed = vulnerable ? [vulnerable.epoch ? `${vulnerable.epoch}:` : '', vulnerable.version ?? '', vulnerable.release ? `-${vulnerable.release}` : ''].join('') : '';
  const result: GateFinding = {
    findingArn: finding.findingArn ?? '',
    vulnerabilityId: details?.vulnerabilityId ?? finding.title ?? finding.findingArn ?? 'unknown',
    severity: isSeverity(finding.severity) ? finding.severity : 'UNTRIAGED',
    title: finding.title ?? details?.vulnerabilityId ?? 'untitled finding',
  };
  if (vulnerable?.name) result.packageName = vulnerable.name;
  if (installed) result.installedVersion = installed;
  if (vulnerable?.fixedInVersion && vulnerable.fixedInVersion !== 'NotAvailable') result.fixedInVersion = vulnerable.fixedInVersion;
  if (finding.inspectorScore !== undefined) result.inspectorScore = finding.inspectorScore;
  if (finding.exploitAvailable) result.exploitAvailable = finding.exploitAvailable === 'YES';
  if (finding.fixAvailable) result.fixAvailable = finding.fixAvailable !== 'NO';
  // The vendor updates its advisory when the fixed build ships: for a fixable finding, that is when the fix became available.
  if (result.fixAvailable && details?.vendorUpdatedAt) result.fixAvailableSince = new Date(details.vendorUpdatedAt).toISOString();
  return result;
}

/** Every ACTIVE finding of `resourceId`, all pages. */
export async function listActiveFindings(inspector2: Inspector2Client, resourceId: string): Promise<GateFinding[]> {
  const findings: GateFinding[] = [];
  const pages = paginateListFindings(
    { client: inspector2, pageSize: 100 },
    {
      filterCriteria: {
        resourceId: [{ comparison: 'EQUALS', value: resourceId }],
        findingStatus: [{ comparison: 'EQUALS', value: 'ACTIVE' }],
      },
    },
  );
  for await (const page of pages) findings.push(...(page.findings ?? []).map(toGateFinding));
  return findings;
}
