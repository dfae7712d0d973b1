import { InvalidRetentionInput } from '../../tasks/errors';
import {
  retentionInputSchema,
  retentionPlanSchema,
  retentionPolicySchema,
  type ImageCopy,
  type ImageReference,
  type RetentionInput,
} from '../../tasks/retention/model';
import { planRetention } from '../../tasks/retention/plan';

const NOW = '2026-11-28T09:00:00.000Z';
const BUILD = '111111111111';
const CONSUMER = '222222222222';
/** A reference without the image it points at (Omit over each member of the union). */
type ReferenceBody = ImageReference extends infer R ? (R extends ImageReference ? Omit<R, 'account' | 'region' | 'imageId'> : never) : never;
const daysAgo = (days: number) => new Date(Date.parse(NOW) - days * 86_400_000).toISOString();

let serial = 0;
const copy = (version: string, age: number, over: Partial<ImageCopy> = {}): ImageCopy => {
  serial += 1;
  return {
    account: BUILD,
    region: 'eu-west-1',
    imageId: `ami-${serial.toString(16).padStart(8, '0')}`,
    version,
    source: true,
    status: 'approved',
    creationTime: daysAgo(age),
    deregistrationProtection: false,
    retain: false,
    snapshots: [{ snapshotId: `snap-${serial.toString(16).padStart(8, '0')}`, sizeGiB: 8 }],
    ...over,
  };
};

const input = (inventory: ImageCopy[], over: Partial<RetentionInput> = {}): RetentionInput => {
  const scopes = [...new Set(inventory.map((c) => `${c.account}|${c.region}`))].map((s) => {
    const [account, region] = s.split('|');
    return { account, region, readable: true };
  });
  return {
    policy: retentionPolicySchema.parse({ keepNewest: 1, deprecateAfterDays: 30, deregisterAfterDays: 90 }),
    now: NOW,
    currentVersion: null,
    inventory,
    references: [],
    scopes,
    ...over,
  };
};

const decisionOf = (plan: ReturnType<typeof planRetention>, imageId: string) => {
  const d = plan.decisions.find((x) => x.imageId === imageId);
  if (!d) throw new Error(`no decision for ${imageId}`);
  return d;
};
const codes = (plan: ReturnType<typeof planRetention>, imageId: string) => decisionOf(plan, imageId).reasons.map((r) => r.code);

describe('planRetention: age', () => {
  it('keeps the newest approved version, deprecates past deprecateAfterDays, deregisters past deregisterAfterDays', () => {
    const newest = copy('1.0.3', 5);
    const young = copy('1.0.2', 10, { status: 'published' });
    const old = copy('1.0.1', 31);
    const ancient = copy('1.0.0', 91);

    const plan = planRetention(input([ancient, old, young, newest].reverse()));

    expect(decisionOf(plan, newest.imageId).decision).toBe('keep');
    expect(codes(plan, newest.imageId)).toEqual(['newest-approved', 'within-deprecate-age']);
    expect(decisionOf(plan, young.imageId).decision).toBe('keep');
    expect(codes(plan, young.imageId)).toEqual(['within-deprecate-age']);
    expect(decisionOf(plan, old.imageId)).toMatchObject({ decision: 'deprecate', reasons: [{ code: 'past-deprecate-age', text: '31 days old, more than 30' }] });
    expect(decisionOf(plan, ancient.imageId)).toMatchObject({ decision: 'deregister', deleteSnapshots: [ancient.snapshots[0].snapshotId] });
    expect(plan.totals).toEqual({ kept: 2, deprecated: 1, deregistered: 1, snapshotsDeleted: 1, freedGiB: 8 });
    expect(() => retentionPlanSchema.parse(plan)).not.toThrow();
  });

  it('ranks the newest by build time, not by version string, and counts only approved or published versions', () => {
    const rejectedNewer = copy('2.0.0', 1, { status: 'rejected' });
    const approved = copy('1.10.0', 100);
    const older = copy('1.9.0', 120);

    const plan = planRetention(input([older, rejectedNewer, approved]));

    expect(decisionOf(plan, approved.imageId).decision).toBe('keep');
    expect(decisionOf(plan, older.imageId).decision).toBe('deregister');
    expect(decisionOf(plan, rejectedNewer.imageId).reasons[0].code).toBe('within-rejected-retention');
  });

  it('exactly N days old is not older than N days', () => {
    const a = copy('1', 0);
    const b = copy('0', 30);
    expect(decisionOf(planRetention(input([a, b])), b.imageId).decision).toBe('keep');
  });

  it('deregisters rejected and expired images after rejectedRetentionDays, never deprecating them first', () => {
    const rejected = copy('0.9', 8, { status: 'rejected' });
    const expired = copy('0.8', 8, { status: 'expired' });
    const recent = copy('0.7', 6, { status: 'rejected' });

    const plan = planRetention(input([rejected, expired, recent]));

    expect(decisionOf(plan, rejected.imageId)).toMatchObject({ decision: 'deregister', reasons: [{ code: 'past-rejected-retention' }] });
    expect(decisionOf(plan, expired.imageId).decision).toBe('deregister');
    expect(decisionOf(plan, recent.imageId).decision).toBe('keep');
  });

  it('keeps in-flight images until they are older than deregisterAfterDays, then deregisters them as abandoned', () => {
    const building = copy('3.0', 60, { status: 'building' });
    const stuck = copy('2.0', 91, { status: 'awaiting-approval' });
    const untagged = copy('1.0', 91, { status: undefined });

    const plan = planRetention(input([building, stuck, untagged]));

    expect(codes(plan, building.imageId)).toEqual(['in-flight']);
    expect(decisionOf(plan, stuck.imageId)).toMatchObject({ decision: 'deregister', reasons: [{ code: 'abandoned-in-flight' }] });
    expect(decisionOf(plan, untagged.imageId).decision).toBe('deregister');
  });
});

describe('planRetention: guards', () => {
  const newest = () => copy('9.9.9', 1);

  it('never retires the current golden version, even when older than the newest approved', () => {
    const golden = copy('1.0.0', 200);
    const plan = planRetention(input([newest(), golden], { currentVersion: '1.0.0' }));
    expect(decisionOf(plan, golden.imageId)).toMatchObject({ decision: 'keep', reasons: [{ code: 'current-version' }, { code: 'past-deregister-age' }] });
  });

  it.each<[string, ReferenceBody]>([
    ['a stopped instance', { kind: 'instance', instanceId: 'i-1', state: 'stopped' }],
    ['a pending instance', { kind: 'instance', instanceId: 'i-1', state: 'pending' }],
    ['a launch template $Default', { kind: 'launch-template', launchTemplateId: 'lt-1', version: 2, isDefault: true, isLatest: false, namedBy: [] }],
    ['a launch template $Latest', { kind: 'launch-template', launchTemplateId: 'lt-1', version: 4, isDefault: false, isLatest: true, namedBy: [] }],
    [
      'a launch template version an Auto Scaling group names',
      { kind: 'launch-template', launchTemplateId: 'lt-1', version: 1, isDefault: false, isLatest: false, namedBy: [{ kind: 'auto-scaling-group', groupName: 'web' }] },
    ],
    [
      'a launch template version a mixed-instances policy names',
      { kind: 'launch-template', launchTemplateId: 'lt-1', version: 1, isDefault: false, isLatest: false, namedBy: [{ kind: 'mixed-instances-policy', groupName: 'batch' }] },
    ],
    ['an SSM parameter', { kind: 'ssm-parameter', parameterName: '/app/ami' }],
  ])('keeps an old image referenced by %s', (_, ref) => {
    const old = copy('1.0.0', 400);
    const plan = planRetention(input([newest(), old], { references: [{ account: old.account, region: old.region, imageId: old.imageId, ...ref }] }));
    expect(decisionOf(plan, old.imageId).decision).toBe('keep');
    expect(codes(plan, old.imageId)).toEqual(['referenced', 'past-deregister-age']);
  });

  it.each<[string, ReferenceBody]>([
    ['a terminated instance', { kind: 'instance', instanceId: 'i-1', state: 'terminated' }],
    ['an old launch template version nothing names', { kind: 'launch-template', launchTemplateId: 'lt-1', version: 1, isDefault: false, isLatest: false, namedBy: [] }],
  ])('does not keep an image used only by %s, and says so', (_, ref) => {
    const old = copy('1.0.0', 400);
    const plan = planRetention(input([newest(), old], { references: [{ account: old.account, region: old.region, imageId: old.imageId, ...ref }] }));
    expect(decisionOf(plan, old.imageId).decision).toBe('deregister');
    expect(codes(plan, old.imageId)).toEqual(['past-deregister-age', 'ignored-reference']);
  });

  it('lists every reason, each reference by name', () => {
    const old = copy('1.0.0', 400, { deregistrationProtection: true, retain: true });
    const at = { account: old.account, region: old.region, imageId: old.imageId };
    const plan = planRetention(
      input([newest(), old], {
        references: [
          { ...at, kind: 'ssm-parameter', parameterName: '/app/ami' },
          { ...at, kind: 'launch-template', launchTemplateId: 'lt-0a', launchTemplateName: 'web', version: 3, isDefault: true, isLatest: true, namedBy: [{ kind: 'auto-scaling-group', groupName: 'web-asg' }] },
        ],
      }),
    );
    expect(decisionOf(plan, old.imageId).reasons.map((r) => `${r.code}: ${r.text}`)).toEqual([
      'referenced: used by SSM parameter /app/ami',
      'referenced: used by launch template web (lt-0a) version 3: $Default, $Latest, Auto Scaling group web-asg',
      'deregistration-protected: deregistration protection is on',
      'retain-tag: tagged gami:retain',
      'past-deregister-age: 400 days old, more than 90',
    ]);
  });

  it('decides per copy: the referenced copy in a consumer account stays, its unused siblings go, the source stays for it', () => {
    const source = copy('1.0.0', 400);
    const used = copy('1.0.0', 399, { account: CONSUMER, source: false });
    const unused = copy('1.0.0', 399, { region: 'us-east-1', source: false });
    const plan = planRetention(
      input([newest(), source, used, unused], {
        references: [{ account: CONSUMER, region: 'eu-west-1', imageId: used.imageId, kind: 'instance', instanceId: 'i-9', state: 'running' }],
      }),
    );
    expect(decisionOf(plan, used.imageId).decision).toBe('keep');
    expect(decisionOf(plan, unused.imageId).decision).toBe('deregister');
    expect(decisionOf(plan, source.imageId)).toMatchObject({
      decision: 'keep',
      reasons: [{ code: 'source-of-kept-copies', text: 'source of version 1.0.0, of which 1 other copy is kept' }, { code: 'past-deregister-age' }],
    });
    expect(plan.versions.find((v) => v.version === '1.0.0')).toMatchObject({ copies: 3, kept: 2, deregistered: 1, retired: false });
  });

  it('fails closed: keeps every image of a scope whose references could not be read, or were never collected, and reports it', () => {
    const denied = copy('1.0.0', 400, { account: CONSUMER, source: false });
    const uncollected = copy('1.0.0', 400, { region: 'ap-south-1', source: false });
    const source = copy('1.0.0', 400);
    const plan = planRetention({
      ...input([newest(), source, denied, uncollected]),
      scopes: [
        { account: BUILD, region: 'eu-west-1', readable: true },
        { account: CONSUMER, region: 'eu-west-1', readable: false, reason: 'AccessDenied on DescribeImageReferences' },
      ],
    });
    expect(decisionOf(plan, denied.imageId)).toMatchObject({
      decision: 'keep',
      reasons: [{ code: 'unreadable-scope', text: `references in ${CONSUMER} eu-west-1 unknown: AccessDenied on DescribeImageReferences` }, { code: 'past-deregister-age' }],
    });
    expect(decisionOf(plan, uncollected.imageId).decision).toBe('keep');
    expect(decisionOf(plan, source.imageId).decision).toBe('keep');
    expect(plan.unreadableScopes).toEqual([
      { account: BUILD, region: 'ap-south-1', reason: 'references were not collected' },
      { account: CONSUMER, region: 'eu-west-1', reason: 'AccessDenied on DescribeImageReferences' },
    ]);
  });
});

describe('planRetention: deprecation, snapshots, input', () => {
  it('a scope any report calls unreadable is unreadable, with every reason given, whatever the order of the reports', () => {
    const old = copy('1.0.0', 400, { account: CONSUMER, source: false });
    const reports = [
      { account: CONSUMER, region: 'eu-west-1', readable: true },
      { account: CONSUMER, region: 'eu-west-1', readable: false, reason: 'ThrottlingException after 8 attempts' },
      { account: CONSUMER, region: 'eu-west-1', readable: false, reason: 'AccessDenied' },
    ];
    for (const scopes of [reports, [...reports].reverse()]) {
      const plan = planRetention({ ...input([copy('2', 1), old]), scopes: [{ account: BUILD, region: 'eu-west-1', readable: true }, ...scopes] });
      expect(decisionOf(plan, old.imageId).decision).toBe('keep');
      expect(plan.unreadableScopes).toEqual([{ account: CONSUMER, region: 'eu-west-1', reason: 'AccessDenied; ThrottlingException after 8 attempts' }]);
    }
  });


  it('leaves a deprecation in place on a kept image and re-plans one due, both marked already-deprecated', () => {
    const keptDeprecated = copy('2.0.0', 5, { deprecationTime: daysAgo(1) });
    const due = copy('1.0.0', 40, { status: 'deprecated', deprecationTime: daysAgo(5) });
    const scheduled = copy('0.9.0', 40, { deprecationTime: daysAgo(-10) });
    const plan = planRetention(input([keptDeprecated, due, scheduled]));
    expect(codes(plan, keptDeprecated.imageId)).toEqual(['newest-approved', 'within-deprecate-age', 'already-deprecated']);
    expect(decisionOf(plan, due.imageId)).toMatchObject({ decision: 'deprecate' });
    expect(codes(plan, due.imageId)).toContain('already-deprecated');
    expect(codes(plan, scheduled.imageId)).toEqual(['past-deprecate-age']);
  });

  it('never deletes a snapshot that a copy it keeps also uses, keeps snapshots when deleteSnapshots is off, counts each once', () => {
    const shared = { snapshotId: 'snap-0000aaaa', sizeGiB: 30 };
    const gone = copy('1.0.0', 400, { snapshots: [shared, { snapshotId: 'snap-0000bbbb', sizeGiB: 10 }] });
    const kept = copy('1.0.1', 400, { retain: true, snapshots: [shared] });
    const policy = retentionPolicySchema.parse({ keepNewest: 1, deprecateAfterDays: 30, deregisterAfterDays: 90 });
    const plan = planRetention(input([copy('2', 1), gone, kept], { policy }));
    expect(decisionOf(plan, gone.imageId).deleteSnapshots).toEqual(['snap-0000bbbb']);
    expect(plan.totals.freedGiB).toBe(10);

    const keepSnapshots = planRetention(input([copy('2', 1), gone, kept], { policy: { ...policy, deleteSnapshots: false } }));
    expect(decisionOf(keepSnapshots, gone.imageId)).toMatchObject({ decision: 'deregister', deleteSnapshots: [] });
    expect(keepSnapshots.totals).toMatchObject({ freedGiB: 0, snapshotsDeleted: 0 });
  });

  it('rejects the same image listed twice with a named error', () => {
    const a = copy('1.0.0', 1);
    expect(() => planRetention(input([a, { ...a }]))).toThrow(InvalidRetentionInput);
  });

  it('policy: rejectedRetentionDays defaults to 7 and may not exceed deregisterAfterDays; deregister must come after deprecate', () => {
    expect(retentionPolicySchema.parse({}).rejectedRetentionDays).toBe(7);
    expect(() => retentionPolicySchema.parse({ deregisterAfterDays: 5, deprecateAfterDays: 1, rejectedRetentionDays: 6 })).toThrow(/rejectedRetentionDays/);
    expect(() => retentionPolicySchema.parse({ deregisterAfterDays: 30, deprecateAfterDays: 30 })).toThrow(/deprecated before/);
  });

  it('the input schema accepts what the planner is given', () => {
    const a = copy('1.0.0', 1);
    expect(() => retentionInputSchema.parse(input([a], { references: [{ account: a.account, region: a.region, imageId: a.imageId, kind: 'ssm-parameter', parameterName: '/x' }] }))).not.toThrow();
  });
});
