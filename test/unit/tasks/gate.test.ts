import type { GateFinding } from '../../../tasks/contracts';
import { countsAgainstThresholds, evaluateScanGate, type ScanGate } from '../../../tasks/evaluateScanGate/gate';

const NOW = new Date('2026-11-22T10:15:30.000Z');

let serial = 0;
const finding = (severity: GateFinding['severity'], vulnerabilityId = `CVE-2026-${1000 + serial}`, inspectorScore?: number): GateFinding => {
  serial += 1;
  return {
    findingArn: `arn:aws:inspector2:eu-west-1:111111111111:finding/${serial}`,
    vulnerabilityId,
    severity,
    title: `${vulnerabilityId} - openssl`,
    ...(inspectorScore === undefined ? {} : { inspectorScore }),
  };
};
const many = (count: number, severity: GateFinding['severity']) => Array.from({ length: count }, () => finding(severity));

const gate = (maxFindings: Partial<ScanGate['maxFindings']> = {}, exceptions: ScanGate['exceptions'] = []): ScanGate => ({
  maxFindings: { CRITICAL: 0, HIGH: 0, MEDIUM: 10, LOW: 'unlimited', INFORMATIONAL: 'unlimited', UNTRIAGED: 0, ...maxFindings },
  exceptions,
});
const exception = (cve: string, expiresOn: string) => ({ cve, reason: 'not reachable in our configuration', approvedBy: 'sec@example.com', expiresOn });

describe('evaluateScanGate thresholds', () => {
  it.each([
    ['CRITICAL at its limit', gate({ CRITICAL: 1 }), many(1, 'CRITICAL'), true, []],
    ['CRITICAL over its limit', gate(), many(1, 'CRITICAL'), false, ['CRITICAL: 1 finding > 0 allowed']],
    ['HIGH over its limit', gate({ HIGH: 2 }), many(3, 'HIGH'), false, ['HIGH: 3 findings > 2 allowed']],
    ['MEDIUM at its limit', gate(), many(10, 'MEDIUM'), true, []],
    ['MEDIUM over its limit', gate(), many(11, 'MEDIUM'), false, ['MEDIUM: 11 findings > 10 allowed']],
    ['LOW unlimited', gate(), many(500, 'LOW'), true, []],
    ['LOW with a number', gate({ LOW: 3 }), many(4, 'LOW'), false, ['LOW: 4 findings > 3 allowed']],
    ['INFORMATIONAL with 0', gate({ INFORMATIONAL: 0 }), many(1, 'INFORMATIONAL'), false, ['INFORMATIONAL: 1 finding > 0 allowed']],
    ['CRITICAL unlimited', gate({ CRITICAL: 'unlimited' }), many(7, 'CRITICAL'), true, []],
    ['several at once, in severity order', gate(), [...many(2, 'HIGH'), ...many(1, 'CRITICAL')], false, ['CRITICAL: 1 finding > 0 allowed', 'HIGH: 2 findings > 0 allowed']],
    ['no findings', gate(), [], true, []],
  ] as const)('%s', (_name, config, findings, passed, violations) => {
    // Act
    const result = evaluateScanGate(findings, config, NOW);

    // Assess
    expect(result.passed).toBe(passed);
    expect(result.violations).toEqual(violations);
    expect(result.totalFindings).toBe(findings.length);
    expect(result.thresholds).toEqual(config.maxFindings);
  });

  it('counts every severity, zero included', () => {
    const result = evaluateScanGate([...many(2, 'MEDIUM'), ...many(1, 'LOW')], gate(), NOW);

    expect(result.counts).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 2, LOW: 1, INFORMATIONAL: 0, UNTRIAGED: 0 });
    expect(countsAgainstThresholds(result)).toBe('CRITICAL 0/0, HIGH 0/0, MEDIUM 2/10, LOW 1/unlimited, INFORMATIONAL 0/unlimited, UNTRIAGED 0/0');
  });
});

describe('evaluateScanGate UNTRIAGED policy', () => {
  it.each([
    ['fails on one untriaged finding with the default 0', gate(), false],
    ['passes when untriaged findings are allowed', gate({ UNTRIAGED: 1 }), true],
    ['passes with unlimited', gate({ UNTRIAGED: 'unlimited' }), true],
  ] as const)('%s', (_name, config, passed) => {
    const result = evaluateScanGate([finding('UNTRIAGED', 'GHSA-abcd-efgh-ijkl')], config, NOW);

    expect(result.passed).toBe(passed);
    expect(result.counts.UNTRIAGED).toBe(1);
    expect(result.counts.CRITICAL).toBe(0);
  });

  it('does not let UNTRIAGED findings use another severity budget', () => {
    const result = evaluateScanGate(many(2, 'UNTRIAGED'), gate({ UNTRIAGED: 1, LOW: 'unlimited' }), NOW);

    expect(result.violations).toEqual(['UNTRIAGED: 2 findings > 1 allowed']);
  });
});

describe('evaluateScanGate exceptions', () => {
  const critical = () => finding('CRITICAL', 'CVE-2024-2511', 9.8);

  it.each([
    ['valid before its last day', '2026-12-31', true],
    ['still valid on its last day (expiresOn == today, UTC)', '2026-11-22', true],
    ['expired the day after', '2026-11-21', false],
  ])('an exception %s', (_name, expiresOn, applies) => {
    // Act
    const result = evaluateScanGate([critical(), critical()], gate({}, [exception('CVE-2024-2511', expiresOn)]), NOW);

    // Assess
    expect(result.passed).toBe(applies);
    expect(result.counts.CRITICAL).toBe(applies ? 0 : 2);
    expect(result.exceptionsApplied).toEqual(applies ? [{ cve: 'CVE-2024-2511', findings: 2, expiresOn }] : []);
    expect(result.exceptionsExpired).toEqual(applies ? [] : ['CVE-2024-2511']);
    expect(result.totalFindings).toBe(2);
  });

  it('uses the UTC day: late evening west of Greenwich on the last day is already the next day', () => {
    const result = evaluateScanGate([critical()], gate({}, [exception('CVE-2024-2511', '2026-11-21')]), new Date('2026-11-22T00:30:00.000Z'));

    expect(result.passed).toBe(false);
  });

  it('applies only to the CVE it names', () => {
    // Prepare
    const findings = [critical(), finding('CRITICAL', 'CVE-2024-2512'), finding('HIGH', 'CVE-2024-25111')];

    // Act
    const result = evaluateScanGate(findings, gate({}, [exception('CVE-2024-2511', '2027-03-31')]), NOW);

    // Assess
    expect(result.counts).toMatchObject({ CRITICAL: 1, HIGH: 1 });
    expect(result.exceptionsApplied).toEqual([{ cve: 'CVE-2024-2511', findings: 1, expiresOn: '2027-03-31' }]);
    expect(result.violations).toEqual(['CRITICAL: 1 finding > 0 allowed', 'HIGH: 1 finding > 0 allowed']);
    expect(result.topFindings.map((f) => f.vulnerabilityId)).toEqual(['CVE-2024-2512', 'CVE-2024-25111']);
  });

  it('does not list an exception as applied when no finding matches it', () => {
    const result = evaluateScanGate(many(1, 'LOW'), gate({}, [exception('CVE-2024-2511', '2027-03-31')]), NOW);

    expect(result.exceptionsApplied).toEqual([]);
    expect(result.exceptionsExpired).toEqual([]);
  });
});

describe('evaluateScanGate top findings', () => {
  it('orders by severity (untriaged right below HIGH), then score, and keeps ten', () => {
    // Prepare
    const findings = [
      finding('LOW', 'CVE-L', 3.1),
      finding('MEDIUM', 'CVE-M1', 5.0),
      finding('UNTRIAGED', 'CVE-U'),
      finding('HIGH', 'CVE-H1', 7.5),
      finding('CRITICAL', 'CVE-C1', 9.1),
      finding('HIGH', 'CVE-H2', 8.8),
      finding('MEDIUM', 'CVE-M2', 6.5),
      finding('CRITICAL', 'CVE-C2', 9.8),
      finding('INFORMATIONAL', 'CVE-I'),
      ...many(5, 'LOW'),
    ];

    // Act
    const result = evaluateScanGate(findings, gate({ CRITICAL: 'unlimited' }), NOW);

    // Assess
    expect(result.topFindings).toHaveLength(10);
    expect(result.topFindings.slice(0, 8).map((f) => f.vulnerabilityId)).toEqual(['CVE-C2', 'CVE-C1', 'CVE-H2', 'CVE-H1', 'CVE-U', 'CVE-M2', 'CVE-M1', 'CVE-L']);
    expect(result.topFindings.slice(8).every((f) => f.severity === 'LOW')).toBe(true);
  });

  it('leaves excepted findings out of the top findings', () => {
    const result = evaluateScanGate(
      [finding('CRITICAL', 'CVE-2024-2511', 9.8), finding('LOW', 'CVE-2026-0002', 2.0)],
      gate({}, [exception('CVE-2024-2511', '2027-03-31')]),
      NOW,
    );

    expect(result.topFindings.map((f) => f.vulnerabilityId)).toEqual(['CVE-2026-0002']);
  });
});
