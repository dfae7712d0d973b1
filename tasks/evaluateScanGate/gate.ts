/**
 * The scan gate, as a pure function of the findings, the configured gate and the time: no I/O, so every
 * rule is table-tested.
 *
 * Rules:
 * - A finding counts against the threshold of its severity; UNTRIAGED has its own threshold like any other.
 * - An exception removes the findings of exactly the vulnerability id it names, and only while it is valid:
 *   `expiresOn` is the last valid day in UTC, so on that day it still applies and from the next day on the
 *   finding counts again (and the exception is listed as expired).
 * - 'unlimited' never fails; a number fails when the count is above it.
 * - Remediation windows (maxDaysSinceFix): a counted finding with a fix available fails the gate, whatever the
 *   counts, when more whole days than its severity's window have passed since the fix became available
 *   (fixAvailableSince); on the window's last day it still passes, and a window of 0 lets no fixable finding
 *   through (the config's "0: not at all"). A fixable finding without a date fails
 *   closed (no date, no proof it is within the window). Findings without a fix are left to the counts; an
 *   exception removes a finding from windows as from counts.
 * - Top findings: those still counted, most severe first, then highest Inspector score; an untriaged finding
 *   ranks right below HIGH because it could be anything until triaged.
 */
import { SEVERITIES, type Severity } from '../../pipeline/config';
import type { evaluateScanGateEventSchema, GateFinding, GateResult, WindowViolation } from '../contracts';
import type { z } from 'zod';

type Threshold = number | 'unlimited';

export type ScanGate = z.output<typeof evaluateScanGateEventSchema>['scanGate'];

export const TOP_FINDINGS = 10;

const RANK: Record<Severity, number> = { CRITICAL: 0, HIGH: 1, UNTRIAGED: 2, MEDIUM: 3, LOW: 4, INFORMATIONAL: 5 };

/** `YYYY-MM-DD` of `now` in UTC. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

const DAY_MS = 86_400_000;

/** Whole days from `since` to `now` (a fix released 10.5 days ago is 10 days old). */
export function daysSince(since: string, now: Date): number {
  return Math.floor((now.getTime() - Date.parse(since)) / DAY_MS);
}

/** Fixable findings past their severity's window, oldest fix first (undated ones first: they fail closed). */
export function windowViolations(findings: readonly GateFinding[], windows: Record<Severity, Threshold>, now: Date): WindowViolation[] {
  const out: WindowViolation[] = [];
  for (const finding of findings) {
    const window = windows[finding.severity];
    if (window === 'unlimited' || !finding.fixAvailable) continue;
    const days = finding.fixAvailableSince ? daysSince(finding.fixAvailableSince, now) : undefined;
    // A window of 0 days means a finding may not ship at all once its fix is out, even on the fix's own day.
    if (days !== undefined && days <= window && window > 0) continue;
    const violation: WindowViolation = { vulnerabilityId: finding.vulnerabilityId, severity: finding.severity, maxDaysSinceFix: window };
    if (finding.packageName) violation.packageName = finding.packageName;
    if (finding.installedVersion) violation.installedVersion = finding.installedVersion;
    if (finding.fixedInVersion) violation.fixedInVersion = finding.fixedInVersion;
    if (finding.fixAvailableSince) violation.fixAvailableSince = finding.fixAvailableSince;
    if (days !== undefined) violation.daysSinceFix = days;
    out.push(violation);
  }
  return out.sort((a, b) => (a.fixAvailableSince ?? '').localeCompare(b.fixAvailableSince ?? '') || a.vulnerabilityId.localeCompare(b.vulnerabilityId));
}

/** "HIGH CVE-2024-2961 (glibc 2.34-52): fix available since 2026-11-12, 10 days > 7 allowed". */
export function describeWindowViolation(v: WindowViolation): string {
  const what = `${v.severity} ${v.vulnerabilityId}${v.packageName ? ` (${v.packageName}${v.installedVersion ? ` ${v.installedVersion}` : ''})` : ''}`;
  if (v.fixAvailableSince && v.maxDaysSinceFix === 0) {
    return `${what}: fix available since ${v.fixAvailableSince.slice(0, 10)}; a 0-day window lets no fixable ${v.severity} finding ship`;
  }
  return v.fixAvailableSince
    ? `${what}: fix available since ${v.fixAvailableSince.slice(0, 10)}, ${plural(v.daysSinceFix ?? 0, 'day')} > ${v.maxDaysSinceFix} allowed`
    : `${what}: a fix is available but Inspector gives no date for it; the ${v.maxDaysSinceFix}-day window cannot be shown to hold (fail closed)`;
}

/** Most severe first, then highest Inspector score; ties by id so the order is stable. */
export function byRelevance(a: GateFinding, b: GateFinding): number {
  return (
    RANK[a.severity] - RANK[b.severity] ||
    (b.inspectorScore ?? -1) - (a.inspectorScore ?? -1) ||
    a.vulnerabilityId.localeCompare(b.vulnerabilityId) ||
    a.findingArn.localeCompare(b.findingArn)
  );
}

export function evaluateScanGate(findings: readonly GateFinding[], gate: ScanGate, now: Date): GateResult {
  const today = utcDay(now);
  const valid = new Map<string, ScanGate['exceptions'][number]>();
  const expired: string[] = [];
  for (const exception of gate.exceptions) {
    // ISO dates compare as strings; equal to today means still valid (last valid day).
    if (exception.expiresOn >= today) valid.set(exception.cve, exception);
    else expired.push(exception.cve);
  }

  const counted: GateFinding[] = [];
  const excepted = new Map<string, number>();
  for (const finding of findings) {
    if (valid.has(finding.vulnerabilityId)) excepted.set(finding.vulnerabilityId, (excepted.get(finding.vulnerabilityId) ?? 0) + 1);
    else counted.push(finding);
  }

  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  for (const finding of counted) counts[finding.severity] += 1;

  const thresholds = { ...gate.maxFindings };
  const violations: string[] = [];
  for (const severity of SEVERITIES) {
    const allowed = thresholds[severity];
    if (allowed !== 'unlimited' && counts[severity] > allowed) {
      violations.push(`${severity}: ${plural(counts[severity], 'finding')} > ${allowed} allowed`);
    }
  }

  const windows = Object.fromEntries(SEVERITIES.map((severity) => [severity, gate.maxDaysSinceFix?.[severity] ?? 'unlimited'])) as Record<Severity, Threshold>;
  const late = windowViolations(counted, windows, now);
  violations.push(...late.map(describeWindowViolation));

  return {
    passed: violations.length === 0,
    counts,
    thresholds,
    windows,
    windowViolations: late,
    violations,
    exceptionsApplied: [...excepted].map(([cve, count]) => ({ cve, findings: count, expiresOn: valid.get(cve)?.expiresOn ?? '' })),
    exceptionsExpired: expired,
    totalFindings: findings.length,
    topFindings: [...counted].sort(byRelevance).slice(0, TOP_FINDINGS),
  };
}

/** One line per severity, `HIGH 3/0`, for messages and summaries. */
export function countsAgainstThresholds(result: Pick<GateResult, 'counts' | 'thresholds'>): string {
  return SEVERITIES.map((severity) => `${severity} ${result.counts[severity] ?? 0}/${result.thresholds[severity] ?? 'unlimited'}`).join(', ');
}
