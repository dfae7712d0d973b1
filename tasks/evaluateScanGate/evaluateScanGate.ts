/**
 * evaluateScanGate (task): list the test instance's active findings, apply the gate, write the SCAN
 * evidence item (every finding and the decision) to the registry, and fail with ScanGateFailed when the
 * image is gated out — the evidence is written first, so a rejected image's reasons are on record.
 */
import type { Inspector2Client } from '@aws-sdk/client-inspector2';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import { registryKeys } from '../../pipeline/registry';
import type { evaluateScanGateEventSchema, GateFinding, GateResult } from '../contracts';
import { ScanGateFailed } from '../errors';
import { byRelevance, countsAgainstThresholds, evaluateScanGate } from './gate';
import { listActiveFindings } from './findings';

export type EvaluateScanGateEvent = z.output<typeof evaluateScanGateEventSchema>;

export interface ScanGateClients {
  inspector2: Inspector2Client;
  registry: DynamoDBDocumentClient;
}

/** DynamoDB items hold 400 KB; keep the evidence well below, most relevant findings first. */
export const MAX_EVIDENCE_BYTES = 300_000;

/** The findings that fit in one registry item, and how many did not. */
export function fitEvidence(findings: readonly GateFinding[], maxBytes = MAX_EVIDENCE_BYTES): { kept: GateFinding[]; omitted: number } {
  let size = 0;
  const kept: GateFinding[] = [];
  for (const finding of findings) {
    size += Buffer.byteLength(JSON.stringify(finding));
    if (size > maxBytes) break;
    kept.push(finding);
  }
  return { kept, omitted: findings.length - kept.length };
}

/** " Remediation windows: HIGH 7 d, MEDIUM 30 d." when any is set. */
function windowsText(result: GateResult): string {
  const set = Object.entries(result.windows ?? {}).filter(([, days]) => days !== 'unlimited');
  return set.length ? ` Remediation windows (days since fix): ${set.map(([severity, days]) => `${severity} ${days}`).join(', ')}.` : '';
}

export function gateFailureMessage(imageId: string, pipeline: string, version: number, result: GateResult): string {
  const exceptions = result.exceptionsApplied.length
    ? ` Exceptions applied: ${result.exceptionsApplied.map((e) => `${e.cve} (${e.findings}, until ${e.expiresOn})`).join(', ')}.`
    : '';
  const expired = result.exceptionsExpired.length ? ` Expired exceptions (not applied): ${result.exceptionsExpired.join(', ')}.` : '';
  return (
    `scan gate failed for ${imageId} (${pipeline} v${version}): ${result.violations.join('; ')}. ` +
    `Findings vs thresholds: ${countsAgainstThresholds(result)}.${windowsText(result)}${exceptions}${expired}`
  );
}

export async function evaluateImageScan(clients: ScanGateClients, event: EvaluateScanGateEvent): Promise<GateResult> {
  const { run, instanceId, imageId, version } = event;
  const findings = await listActiveFindings(clients.inspector2, instanceId);
  const result = evaluateScanGate(findings, event.scanGate, new Date(run.now));

  const evidence = fitEvidence([...findings].sort(byRelevance));
  await clients.registry.send(
    new PutCommand({
      TableName: event.registryTable,
      Item: {
        ...registryKeys.scan(run.pipeline, version),
        pipeline: run.pipeline,
        version,
        imageId,
        instanceId,
        executionArn: run.executionArn,
        evaluatedAt: run.now,
        passed: result.passed,
        result,
        scanGate: event.scanGate,
        findings: evidence.kept,
        findingsOmitted: evidence.omitted,
      },
    }),
  );

  if (!result.passed) throw new ScanGateFailed(gateFailureMessage(imageId, run.pipeline, version, result));
  return result;
}
