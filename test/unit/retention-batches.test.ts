import { actionsOf, toBatches, type RetentionAction } from '../../tasks/retention/batches';
import type { ImageCopy } from '../../tasks/retention/model';
import { planRetention } from '../../tasks/retention/plan';
import { finishReport, fitBase, renderMarkdown, summarizePlan, summaryLines, type ReportBase } from '../../tasks/retention/report';

const NOW = '2026-11-22T09:00:00.000Z';
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.parse(NOW) - days * DAY).toISOString();
const action = (region: string, kind: RetentionAction['kind'], i: number): RetentionAction => ({
  account: '111111111111',
  region,
  imageId: `ami-${i.toString(16).padStart(8, '0')}`,
  version: String(i),
  kind,
  deleteSnapshots: [],
  snapshotGiB: 0,
});

describe('toBatches (executor batches under EC2 request limits)', () => {
  it('takes at most the per-scope caps of each account and region and the total, and every action exactly once', () => {
    const actions = [
      ...Array.from({ length: 150 }, (_, i) => action('eu-west-1', 'deregister', i)),
      ...Array.from({ length: 70 }, (_, i) => action('eu-west-1', 'deprecate', 1000 + i)),
      ...Array.from({ length: 10 }, (_, i) => action('us-east-1', 'deregister', 2000 + i)),
    ];

    const batches = toBatches(actions, { deregisterPerScope: 60, deprecatePerScope: 30, total: 80 });

    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(80);
      expect(batch.filter((a) => a.region === 'eu-west-1' && a.kind === 'deregister').length).toBeLessThanOrEqual(60);
      expect(batch.filter((a) => a.region === 'eu-west-1' && a.kind === 'deprecate').length).toBeLessThanOrEqual(30);
    }
    expect(batches.flat().map((a) => a.imageId).sort()).toEqual(actions.map((a) => a.imageId).sort());
    // The rotating start: us-east-1 is not starved behind eu-west-1 when the total binds.
    expect(batches.findIndex((b) => b.some((a) => a.region === 'us-east-1'))).toBeLessThanOrEqual(2);
  });

  it('has no batch for no action', () => {
    expect(toBatches([])).toEqual([]);
  });
});

describe('actionsOf, the report and its lines', () => {
  const copy = (version: string, days: number, extra: Partial<ImageCopy> = {}): ImageCopy => ({
    account: '111111111111',
    region: 'eu-west-1',
    imageId: `ami-${version.padStart(8, '0')}`,
    version,
    source: true,
    status: 'deprecated',
    creationTime: ago(days),
    deprecationTime: ago(days - 30),
    deregistrationProtection: false,
    retain: false,
    snapshots: [{ snapshotId: `snap-${version.padStart(8, '0')}`, sizeGiB: 8 }],
    ...extra,
  });
  const inventory = [copy('1', 120), copy('2', 60), copy('3', 45, { status: 'approved', deprecationTime: undefined }), copy('4', 5, { status: 'published', deprecationTime: undefined })];
  const plan = planRetention({
    policy: { keepNewest: 1, deprecateAfterDays: 30, deregisterAfterDays: 90, deleteSnapshots: true, rejectedRetentionDays: 7 },
    now: NOW,
    currentVersion: '4',
    inventory,
    references: [],
    scopes: [{ account: '111111111111', region: 'eu-west-1', readable: true }],
  });

  it('acts only where something changes: an image already deprecated (tag and time) needs no action', () => {
    const actions = actionsOf(plan, inventory);

    expect(actions.map((a) => [a.version, a.kind])).toEqual([
      ['3', 'deprecate'],
      ['1', 'deregister'],
    ]);
    expect(actions[1]).toMatchObject({ deleteSnapshots: ['snap-00000001'], snapshotGiB: 8 });
  });

  it('reports what was done, kept and why, as JSON and Markdown, and a line per version', () => {
    const actions = actionsOf(plan, inventory);
    const base = summarizePlan(plan, { pipeline: 'web-base', sweepId: 'sweep-1', trigger: 'sweep', dryRun: false, compliance: [], describeImagesCalls: { 'eu-west-1': 1 } }, actions, 1);

    const report = finishReport(base, [
      { action: actions[0], result: { imageId: actions[0].imageId, region: 'eu-west-1', kind: 'deprecate', outcome: 'done', snapshotsDeleted: [], snapshotsLeft: [] } },
      { action: actions[1], result: { imageId: actions[1].imageId, region: 'eu-west-1', kind: 'deregister', outcome: 'done', snapshotsDeleted: ['snap-00000001'], snapshotsLeft: [] } },
    ]);
    const markdown = renderMarkdown(report);

    expect(report.done).toEqual({ kept: 1, deprecated: 1, deregistered: 1, snapshotsDeleted: 1, freedGiB: 8 });
    expect(report.alreadyDeprecated).toBe(1);
    expect(markdown).toContain('| 4 | 1 | 1 | 1 | 1 | 8 | 0 |');
    expect(markdown).toContain('version 4 is the current golden image');
    expect(markdown).toContain('Every image of the pipeline carries its required tags and a consistent status.');
    expect(summaryLines(report)).toEqual([
      expect.stringMatching(/^version 4: 1 kept — 111111111111\/eu-west-1 ami-00000004: version 4 is the current golden image; /),
      'version 3 retired: 1 deprecated',
      'version 2 retired: 1 deprecated',
      'version 1 retired: 1 deregistered',
    ]);
  });

  it('counts a failed action as kept and lists it', () => {
    const actions = actionsOf(plan, inventory);
    const base = summarizePlan(plan, { pipeline: 'web-base', sweepId: 'sweep-1', trigger: 'sweep', dryRun: false, compliance: [], describeImagesCalls: {} }, actions, 1);

    const report = finishReport(base, [
      { action: actions[1], result: { imageId: actions[1].imageId, region: 'eu-west-1', kind: 'deregister', outcome: 'failed', error: 'AccessDenied: no', snapshotsDeleted: [], snapshotsLeft: [] } },
    ]);

    expect(report.failed).toBe(1);
    expect(report.done).toMatchObject({ kept: 2, deregistered: 0 });
    expect(renderMarkdown(report)).toContain('## Failed (kept) (1)\n\n- deregister eu-west-1 ami-00000001 (version 1): AccessDenied: no');
  });
});

describe('fitBase (the report fits one registry item)', () => {
  it('lists fewer versions, newest first, until the summary is within its budget, and counts the others', () => {
    const versions = Array.from({ length: 300 }, (_, i) => ({
      version: String(300 - i), creationTime: NOW, copies: 100, kept: 5, deprecated: 0, deregistered: 95, retired: false,
      keptBecause: Array.from({ length: 5 }, () => 'x'.repeat(400)), moreKept: 0,
    }));
    const base = { pipeline: 'p', sweepId: 's', trigger: 'sweep', now: NOW, dryRun: false, images: 30_000, planned: { kept: 0, deprecated: 0, deregistered: 0, snapshotsDeleted: 0, freedGiB: 0 },
      actions: 0, deprecateActions: 0, batches: 0, deferred: 0, versions, olderVersions: 700, unreadableScopes: [], compliance: { count: 0, issues: [] }, describeImagesCalls: {} } as ReportBase;

    const fitted = fitBase(base, 120_000);

    expect(Buffer.byteLength(JSON.stringify(fitted))).toBeLessThanOrEqual(120_000);
    expect(fitted.versions[0].version).toBe('300');
    expect(fitted.versions.length + fitted.olderVersions).toBe(1000);
  });
});
