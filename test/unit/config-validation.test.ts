import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatDiagnostic, validatePipelineFile, validatePipelineFiles } from '../../pipeline/validate';

// A small valid pipeline; each case changes one line, so every expected line:col below can be read off it.
const VALID = `name: web-base
baseImage:
  ssmParameter: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
build:
  subnetId: subnet-0a1b2c3d4e5f67890
  securityGroupIds: [sg-0123456789abcdef0]
  instanceProfile: GamiBuilderInstanceProfile
components:
  - path: components/os-update.yaml
approval:
  approvers: [alice@example.com]
distribution:
  sourceRegion: eu-west-1
  targetRegions:
    - region: eu-central-1
      kmsKeyAlias: alias/gami-ami
  sourceKmsKeyAlias: alias/gami-ami
sharing:
  accounts: ["222222222222"]
launchTemplates:
  - account: "222222222222"
    region: eu-west-1
    launchTemplateName: web-prod
retention:
  deprecateAfterDays: 30
  deregisterAfterDays: 90
schedule:
  cron: cron(0 3 ? * MON *)
  timeZone: Europe/Dublin
scanGate:
  exceptions:
    - cve: CVE-2024-2511
      reason: Not reachable in our configuration.
      approvedBy: sec@example.com
      expiresOn: 2027-03-31
`;

const NOW = new Date('2026-11-22T12:00:00Z');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gami-config-'));
  symlinkSync(resolve('pipelines/components'), join(dir, 'components'));
  mkdirSync(join(dir, 'own'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Replace exactly one occurrence of `from` in the valid pipeline (fails loudly if the case is stale). */
function variant(from: string, to: string): string {
  const count = VALID.split(from).length - 1;
  if (count !== 1) throw new Error(`test case: "${from}" occurs ${count} times in VALID`);
  return VALID.replace(from, to);
}

function validate(text: string, name = 'x.yaml') {
  const file = join(dir, name);
  writeFileSync(file, text);
  const result = validatePipelineFile(file, { now: NOW });
  return {
    lines: result.diagnostics.map((d) => formatDiagnostic({ ...d, file: d.file.replace(`${dir}/`, '') })),
    result,
  };
}

describe('validatePipelineFile', () => {
  it('accepts the valid pipeline and applies every default', () => {
    // Act
    const { lines, result } = validate(VALID);

    // Assess
    expect(lines).toEqual([]);
    const config = result.pipeline!.config;
    expect(config.architecture).toBe('x86_64');
    expect(config.instanceType).toBe('t3.medium');
    expect(config.build.requireImdsv2).toBe(true);
    expect(config.scanGate).toMatchObject({
      maxFindings: { CRITICAL: 0, HIGH: 0, MEDIUM: 10, LOW: 'unlimited', INFORMATIONAL: 'unlimited', UNTRIAGED: 0 },
      scanTimeoutMinutes: 60,
      failClosed: true,
    });
    expect(config.approval).toEqual({ required: true, approvers: ['alice@example.com'], minApprovals: 1, timeoutHours: 72 });
    expect(config.distribution).toMatchObject({ encrypted: true, copyConcurrency: 2, startBeforeApproval: false });
    expect(config.launchTemplates[0]).toMatchObject({
      setDefault: true,
      autoScalingGroups: [],
      roleName: 'GamiLaunchTemplateUpdater',
      externalId: 'gami-web-base',
      minHealthyPercentage: 90,
      skipMatching: true,
      refreshTimeoutMinutes: 120,
    });
    expect(config.retention).toEqual({ keepNewest: 3, deprecateAfterDays: 30, deregisterAfterDays: 90, deleteSnapshots: true, dryRun: false, sweepEnabled: true, sweepSchedule: 'cron(0 4 * * ? *)' });
    expect(config.naming.pattern).toBe('{pipeline}-{version}-{yyyymmdd}');
    expect(result.pipeline!.components.map((c) => c.document.name)).toEqual(['os-update']);
  });

  it('accepts the shipped example pipeline', () => {
    const result = validatePipelineFile('pipelines/example.yaml', { now: NOW });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.pipeline!.config.distribution.targetRegions).toHaveLength(2);
    expect(result.pipeline!.config.sharing.accounts).toHaveLength(2);
    expect(result.pipeline!.config.launchTemplates).toHaveLength(2);
    expect(result.pipeline!.components.map((c) => c.document.name)).toEqual(['os-update', 'ssh-hardening', 'cleanup']);
  });

  // Each bad case: [what, from, to, expected diagnostics]
  const cases: Array<[string, string, string, string[]]> = [
    [
      'account id that is not 12 digits',
      'accounts: ["222222222222"]',
      'accounts: ["12345"]',
      ['x.yaml:19:14 sharing.accounts[0]: "12345" is not a 12-digit AWS account id'],
    ],
    [
      'unquoted account id',
      'accounts: ["222222222222"]',
      'accounts: [022222222222]',
      ['x.yaml:19:14 sharing.accounts[0]: 22222222222 must be quoted ("22222222222"): unquoted digits are read as a number, which drops leading zeros'],
    ],
    [
      'typo in a key (must never silently switch a setting off)',
      '  exceptions:',
      '  exception:',
      ['x.yaml:31:3 scanGate.exception: unknown key "exception" (did you mean "exceptions"?)'],
    ],
    [
      'misspelt region',
      '    - region: eu-central-1',
      '    - region: eu-centrl-1',
      ['x.yaml:15:15 distribution.targetRegions[0].region: "eu-centrl-1" is not an AWS region name (did you mean "eu-central-1"?)'],
    ],
    [
      'deregister before deprecate',
      'deregisterAfterDays: 90',
      'deregisterAfterDays: 20',
      [
        'x.yaml:26:24 retention.deregisterAfterDays: deregisterAfterDays (20) must be greater than deprecateAfterDays (30): an image is deprecated before it is deregistered',
      ],
    ],
    [
      'launch template in a region the image never reaches',
      '    region: eu-west-1',
      '    region: us-west-2',
      [
        'x.yaml:22:13 launchTemplates[0].region: us-west-2 is neither the source region nor a target region (eu-west-1, eu-central-1): the image will not exist there',
      ],
    ],
    [
      'instance refresh of a version that is not made the default',
      '    launchTemplateName: web-prod',
      '    launchTemplateName: web-prod\n    setDefault: false\n    autoScalingGroups: [web-prod-asg]',
      [
        'x.yaml:25:24 launchTemplates[0].autoScalingGroups: an instance refresh replaces instances from the version the group launches ($Default): with setDefault false the new version would not be rolled out',
      ],
    ],
    [
      'minimum healthy percentage over 100',
      '    launchTemplateName: web-prod',
      '    launchTemplateName: web-prod\n    minHealthyPercentage: 110',
      ['x.yaml:24:27 launchTemplates[0].minHealthyPercentage: minHealthyPercentage is at most 100'],
    ],
    [
      'sharing encrypted images without a customer key in a target region',
      '      kmsKeyAlias: alias/gami-ami\n',
      '',
      [
        'x.yaml:15:7 distribution.targetRegions[0]: kmsKeyAlias is required for eu-central-1: images encrypted with the default EBS key cannot be shared with other accounts',
      ],
    ],
    [
      'missing required key',
      '  subnetId: subnet-0a1b2c3d4e5f67890\n',
      '',
      ['x.yaml:4:1 build.subnetId: required key "subnetId" is missing'],
    ],
    [
      'cron with both day fields',
      'cron: cron(0 3 ? * MON *)',
      'cron: cron(0 3 * * MON *)',
      ['x.yaml:28:9 schedule.cron: cron(0 3 * * MON *): exactly one of day-of-month and day-of-week must be "?"'],
    ],
    [
      'cron in the five-field Unix form',
      'cron: cron(0 3 ? * MON *)',
      'cron: cron(0 3 * * 1)',
      ['x.yaml:28:9 schedule.cron: "cron(0 3 * * 1)" has 5 fields; EventBridge cron needs 6 (minutes hours day-of-month month day-of-week year)'],
    ],
    [
      'cron hour out of range',
      'cron: cron(0 3 ? * MON *)',
      'cron: cron(0 25 ? * MON *)',
      ['x.yaml:28:9 schedule.cron: cron(0 25 ? * MON *): "25" is not valid in the hours field (0-23)'],
    ],
    [
      'unknown time zone',
      'timeZone: Europe/Dublin',
      'timeZone: Europe/Dublinn',
      ['x.yaml:29:13 schedule.timeZone: "Europe/Dublinn" is not an IANA time zone (e.g. Europe/Dublin, UTC)'],
    ],
    [
      'more approvals needed than approvers',
      '  approvers: [alice@example.com]',
      '  approvers: [alice@example.com]\n  minApprovals: 2',
      ['x.yaml:12:17 approval.minApprovals: 2 distinct approvals are needed but only 1 approver is listed'],
    ],
    [
      'approver that is not an email address',
      '  approvers: [alice@example.com]',
      '  approvers: [alice]',
      ['x.yaml:11:15 approval.approvers[0]: "alice" is not an email address'],
    ],
    [
      'negative threshold',
      'scanGate:\n',
      'scanGate:\n  maxFindings:\n    CRITICAL: -1\n',
      ['x.yaml:32:15 scanGate.maxFindings.CRITICAL: maxFindings.CRITICAL must be 0 or more, got -1'],
    ],
    [
      'gate that tries to fail open',
      'scanGate:\n',
      'scanGate:\n  failClosed: false\n',
      ['x.yaml:31:15 scanGate.failClosed: the scan gate always fails closed (failClosed can only be true)'],
    ],
    [
      'no security group and no VPC to create one in',
      '  securityGroupIds: [sg-0123456789abcdef0]\n',
      '',
      ['x.yaml:4:1 build.securityGroupIds: give securityGroupIds, or vpcId so the stack creates a security group without ingress'],
    ],
    [
      'IMDSv1 builders',
      '  instanceProfile: GamiBuilderInstanceProfile',
      '  instanceProfile: GamiBuilderInstanceProfile\n  requireImdsv2: false',
      ['x.yaml:8:18 build.requireImdsv2: IMDSv2 is always required on builders (requireImdsv2 can only be true)'],
    ],
    [
      'two kinds of base image at once',
      '  ssmParameter: /aws',
      '  amiId: ami-0abcdef1234567890\n  ssmParameter: /aws',
      ['x.yaml:3:3 baseImage: give exactly one of: amiId, ssmParameter, or owner + namePattern'],
    ],
    [
      'architecture that contradicts the base image and the instance type',
      'name: web-base',
      'name: web-base\narchitecture: arm64',
      [
        'x.yaml:2:15 architecture: instance type t3.medium is x86_64 but architecture is arm64',
        'x.yaml:4:17 baseImage.ssmParameter: the parameter names an x86_64 image but architecture is arm64',
      ],
    ],
    [
      'a way to make the image public',
      'accounts: ["222222222222"]',
      'accounts: ["222222222222"]\n  public: true',
      ['x.yaml:20:3 sharing.public: unknown key "public"'],
    ],
    [
      'naming pattern that repeats names',
      'name: web-base',
      'name: web-base\nnaming:\n  pattern: "{pipeline}-{yyyymmdd}"',
      ['x.yaml:3:12 naming.pattern: the pattern must contain {version} or {timestamp}, or two builds would get the same AMI name'],
    ],
    [
      'missing component file',
      'components/os-update.yaml',
      'components/nope.yaml',
      ['x.yaml:9:11 components[0].path: component file "components/nope.yaml" not found next to the pipeline file'],
    ],
    [
      'duplicate key',
      '  deprecateAfterDays: 30',
      '  deprecateAfterDays: 30\n  deprecateAfterDays: 40',
      ['x.yaml:26:3 YAML: Map keys must be unique'],
    ],
    [
      'a time-based copy not in 15-minute steps',
      '  sourceKmsKeyAlias: alias/gami-ami\n',
      '  sourceKmsKeyAlias: alias/gami-ami\n  copyCompletionMinutes: 20\n',
      ['x.yaml:18:26 distribution.copyCompletionMinutes: copyCompletionMinutes must be a multiple of 15, got 20'],
    ],
    [
      'a time-based copy over 48 hours',
      '  sourceKmsKeyAlias: alias/gami-ami\n',
      '  sourceKmsKeyAlias: alias/gami-ami\n  copyCompletionMinutes: 2895\n',
      ['x.yaml:18:26 distribution.copyCompletionMinutes: copyCompletionMinutes must be at most 2880 (48 hours, time-based copy), got 2895'],
    ],
    [
      'a parameter account the image is not shared with',
      'retention:\n',
      'publish:\n  ssmParameter: /golden/web/latest\n  accounts:\n    - account: "444444444444"\nretention:\n',
      ['x.yaml:27:16 publish.accounts[0].account: account 444444444444 is not in sharing.accounts: its parameter could not name an image it can see'],
    ],
    [
      'broken YAML',
      'sharing:\n',
      'sharing:\n  - : [\n',
      [
        'x.yaml:20:3 YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
        'x.yaml:20:3 YAML: All mapping items must start at the same column',
      ],
    ],
  ];

  it.each(cases)('reports %s', (_what, from, to, expected) => {
    // Act
    const { lines, result } = validate(variant(from, to));

    // Assess
    expect(lines).toEqual(expected);
    expect(result.pipeline).toBeUndefined();
  });

  it('warns about an expired exception but still accepts the pipeline', () => {
    const { lines, result } = validate(variant('expiresOn: 2027-03-31', 'expiresOn: 2025-01-31'));
    expect(lines).toEqual([
      'x.yaml:35:18 scanGate.exceptions[0].expiresOn: warning: the exception for CVE-2024-2511 expired on 2025-01-31; it no longer applies',
    ]);
    expect(result.pipeline).toBeDefined();
  });

  it('reports errors inside a component file with its own positions, and the reference to it', () => {
    // Prepare
    writeFileSync(
      join(dir, 'own', 'broken.yaml'),
      'name: broken\nschemaVersion: 1.0\nphases:\n  - name: build\n    steps:\n      - name: Run\n        action: ExecutePowerShell\n        inputs:\n          commands: [echo hi]\n',
    );

    // Act
    const { lines } = validate(variant('components/os-update.yaml', 'own/broken.yaml'));

    // Assess
    expect(lines).toEqual([
      'x.yaml:9:11 components[0].path: component "own/broken.yaml" is invalid (see its errors)',
      'own/broken.yaml:7:17 phases[0].steps[0].action: "ExecutePowerShell" is not a supported action (supported: ExecuteBash)',
    ]);
  });

  it('reports every mistake of a file at once, not just the first', () => {
    const text = variant('accounts: ["222222222222"]', 'accounts: ["12345"]')
      .replace('  exceptions:', '  exception:')
      .replace('deregisterAfterDays: 90', 'deregisterAfterDays: 20');
    expect(validate(text).lines).toEqual([
      'x.yaml:19:14 sharing.accounts[0]: "12345" is not a 12-digit AWS account id',
      expect.stringContaining('x.yaml:26:24 retention.deregisterAfterDays: deregisterAfterDays (20) must be greater'),
      'x.yaml:31:3 scanGate.exception: unknown key "exception" (did you mean "exceptions"?)',
    ]);
  });

  it('reports a missing file', () => {
    const result = validatePipelineFile(join(dir, 'absent.yaml'));
    expect(result.diagnostics.map((d) => d.message)).toEqual(['file not found']);
  });
});

describe('AWS limits and YAML hazards (each with its position)', () => {
  const tags = (n: number) => `tags:\n${Array.from({ length: n }, (_, i) => `  Tag${i}: v`).join('\n')}\n`;
  const accounts = (n: number) => Array.from({ length: n }, (_, i) => `"${String(100000000000 + i)}"`).join(', ');

  const cases: Array<[string, string, string, string[]]> = [
    ['a tag key with the reserved aws: prefix', 'name: web-base', 'name: web-base\ntags:\n  AWS:team: x', ['x.yaml:3:3 tags["AWS:team"]: tag key "AWS:team": keys starting with "aws:" are reserved for AWS']],
    ['a tag key the pipeline sets itself (gami:)', 'name: web-base', 'name: web-base\ntags:\n  gami:status: approved', ['x.yaml:3:3 tags["gami:status"]: tag key "gami:status" is set by the pipeline itself']],
    ['a Name tag (the pipeline names images and instances)', 'name: web-base', 'name: web-base\ntags:\n  Name: x', ['x.yaml:3:3 tags.Name: tag key "Name" is set by the pipeline itself']],
    ['a tag key over 128 characters', 'name: web-base', `name: web-base\ntags:\n  ${'k'.repeat(129)}: x`, [`x.yaml:3:3 tags.${'k'.repeat(129)}: tag key is 129 characters; AWS allows at most 128`]],
    ['a tag value over 256 characters', 'name: web-base', `name: web-base\ntags:\n  Team: ${'v'.repeat(257)}`, ['x.yaml:3:9 tags.Team: tag value is 257 characters; AWS allows at most 256']],
    ['more tags than fit beside the pipeline\'s own', 'name: web-base\n', `name: web-base\n${tags(41)}`, ['x.yaml:3:3 tags: 41 tags; at most 40 fit beside the 10 the pipeline puts on every image (AWS allows 50 per resource)']],
    [
      'more than 1,000 launch permission entities',
      'accounts: ["222222222222"]',
      `accounts: [${accounts(1000)}]\n  organizationArn: arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5`,
      ['x.yaml:19:3 sharing: shares with 1001 accounts, OUs and organizations; an image can be shared with at most 1000 (share with the organization or its OUs instead of many accounts)'],
    ],
    ['more than 50 approvers', '  approvers: [alice@example.com]', `  approvers: [${Array.from({ length: 51 }, (_, i) => `a${i}@example.com`).join(', ')}]`, ['x.yaml:11:14 approval.approvers: 51 approvers; at most 50']],
    ['more than 20 components', '  - path: components/os-update.yaml\n', '  - path: components/os-update.yaml\n'.repeat(21), ['x.yaml:9:3 components: 21 components; at most 20']],
    ['more than 5 security groups', '[sg-0123456789abcdef0]', `[${Array.from({ length: 6 }, (_, i) => `sg-012345678${i}abcdef0`).join(', ')}]`, ['x.yaml:6:21 build.securityGroupIds: 6 security groups; an instance takes at most 5 (VPC quota per network interface)']],
    ['an exception reason over 1,000 characters', 'reason: Not reachable in our configuration.', `reason: ${'r'.repeat(1001)}`, ['x.yaml:33:15 scanGate.exceptions[0].reason: reason is 1001 characters; at most 1000']],
    [
      'an SSM parameter name over 2,048 characters',
      '  ssmParameter: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      `  ssmParameter: /golden/${'p'.repeat(2048)}`,
      ['x.yaml:3:17 baseImage.ssmParameter: the parameter name is 2056 characters; SSM allows at most 2048'],
    ],
    [
      'an SSM parameter hierarchy over 15 levels',
      '  ssmParameter: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      `  ssmParameter: ${'/a'.repeat(16)}`,
      [`x.yaml:3:17 baseImage.ssmParameter: "${'/a'.repeat(16)}" has more than 15 levels; SSM allows at most 15`],
    ],
    [
      'a naming pattern whose names exceed 128 characters',
      'name: web-base',
      `name: web-base\nnaming:\n  pattern: "{pipeline}-{version}-${'x'.repeat(120)}"`,
      ['x.yaml:3:12 naming.pattern: image names from this pattern reach 136 characters; AMI names are at most 128'],
    ],
    ['an alias that names no anchor', '  accounts: ["222222222222"]', '  accounts: *prod', ['x.yaml:19:13 YAML: alias *prod refers to no anchor (an anchor &prod must come before it)']],
    [
      'an alias bomb (billion laughs)',
      'name: web-base\n',
      'name: web-base\nx-a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nx-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nx-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nx-d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
      ['x.yaml:3:10 YAML: the aliases expand into more than 100 repeated nodes (an alias bomb?); write the values out'],
    ],
    ['an owner the trust policy cannot name', 'name: web-base', 'name: web-base\nbaseImageTrust:\n  allowedOwners: [amazon, "12345"]', ['x.yaml:3:27 baseImageTrust.allowedOwners[1]: "12345" is not an image owner (amazon, self, aws-marketplace or a 12-digit account id)']],
    ['a trust policy that trusts no one', 'name: web-base', 'name: web-base\nbaseImageTrust:\n  allowedOwners: []', ['x.yaml:3:18 baseImageTrust.allowedOwners: allowedOwners needs at least one owner: with none, no base image could be used']],
    ['a trust policy key typo', 'name: web-base', 'name: web-base\nbaseImageTrust:\n  allowedOwner: [amazon]', ['x.yaml:3:3 baseImageTrust.allowedOwner: unknown key "allowedOwner" (did you mean "allowedOwners"?)']],
  ];

  it.each(cases)('reports %s', (_what, from, to, expected) => {
    const { lines, result } = validate(variant(from, to));
    expect(lines).toEqual(expected);
    expect(result.pipeline).toBeUndefined();
  });

  it('accepts exactly the limits: 40 tags, 1,000 share entities', () => {
    const { lines } = validate(variant('accounts: ["222222222222"]', `accounts: [${accounts(1000)}]`).replace('name: web-base\n', `name: web-base\n${tags(40)}`));
    expect(lines).toEqual([]);
  });

  it('resolves an alias that has its anchor', () => {
    const { lines, result } = validate(variant('  accounts: ["222222222222"]', '  accounts: *prod').replace('name: web-base\n', 'name: web-base\nprodAccounts: &prod ["222222222222"]\n'));
    // The anchor's key is unknown, the alias itself is fine.
    expect(lines).toEqual(['x.yaml:2:1 prodAccounts: unknown key "prodAccounts"']);
    expect(result.pipeline).toBeUndefined();
  });

  it('refuses a configuration too large to embed in the state machine', () => {
    const exceptions = Array.from(
      { length: 80 },
      (_, i) => `    - cve: CVE-2024-${String(10000 + i)}\n      reason: ${'r'.repeat(900)}\n      approvedBy: sec@example.com\n      expiresOn: 2027-03-31`,
    ).join('\n');
    const { lines } = validate(variant('  exceptions:\n', `  exceptions:\n${exceptions}\n`));
    expect(lines).toEqual(['x.yaml:1:1 the configuration is 79 KiB as JSON; at most 64 KiB (it is embedded in the state machine)']);
  });

  it('refuses a file over 256 KiB before parsing it', () => {
    const { lines } = validate(`${'# padding\n'.repeat(30000)}${VALID}`);
    expect(lines).toEqual(['x.yaml:1:1 the file is 294 KiB; a pipeline or component file is at most 256 KiB']);
  });

  it('says a directory is a directory', () => {
    const result = validatePipelineFile(join(dir, 'own'));
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([`${join(dir, 'own')}:1:1 is a directory, not a YAML file`]);
  });
});

describe('base image trust and the builder instance profile', () => {
  it('defaults the trust policy to Amazon and this account, and the instance profile to one per pipeline', () => {
    const { result } = validate(variant('  instanceProfile: GamiBuilderInstanceProfile\n', ''));
    expect(result.pipeline!.config.baseImageTrust).toEqual({ allowedOwners: ['amazon', 'self'] });
    expect(result.pipeline!.config.build.instanceProfile).toBe('gami-web-base-builder');
  });

  it('keeps a configured trust policy and instance profile', () => {
    const { lines, result } = validate(variant('name: web-base', 'name: web-base\nbaseImageTrust:\n  allowedOwners: [aws-marketplace, "123456789012"]'));
    expect(lines).toEqual([]);
    expect(result.pipeline!.config.baseImageTrust.allowedOwners).toEqual(['aws-marketplace', '123456789012']);
    expect(result.pipeline!.config.build.instanceProfile).toBe('GamiBuilderInstanceProfile');
  });
});

describe('validatePipelineFiles (several files in one run)', () => {
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const shown = (results: ReturnType<typeof validatePipelineFiles>) =>
    results.flatMap((r) => r.diagnostics.map((d) => formatDiagnostic(d).replaceAll(`${dir}/`, '')));

  it('reports a pipeline name used twice in both files, each with the other\'s position', () => {
    const a = write('a.yaml', variant('  instanceProfile: GamiBuilderInstanceProfile\n', ''));
    const b = write('b.yaml', `# the same pipeline again\n${variant('  instanceProfile: GamiBuilderInstanceProfile\n', '  instanceProfile: other-profile\n')}`);
    const results = validatePipelineFiles([a, b], { now: NOW });
    expect(shown(results)).toEqual([
      'a.yaml:1:7 name: pipeline name "web-base" is also used by b.yaml:2:7; it must be unique (stacks, state machines and tags are named after it)',
      'b.yaml:2:7 name: pipeline name "web-base" is also used by a.yaml:1:7; it must be unique (stacks, state machines and tags are named after it)',
    ]);
    expect(results.map((r) => r.pipeline)).toEqual([undefined, undefined]);
  });

  it('reports an instance profile used by two pipelines in both files, including a default one', () => {
    const a = write('a.yaml', variant('name: web-base', 'name: api-base'));
    const b = write('b.yaml', variant('name: web-base', 'name: db-base'));
    const c = write('c.yaml', variant('  instanceProfile: GamiBuilderInstanceProfile\n', '  instanceProfile: gami-web-base-builder\n').replace('name: web-base', 'name: cache'));
    const d = write('d.yaml', variant('  instanceProfile: GamiBuilderInstanceProfile\n', ''));
    const why = 'it must be unique (each stack creates its own, and IAM names are unique per account)';
    expect(shown(validatePipelineFiles([a, b, c, d], { now: NOW }))).toEqual([
      `a.yaml:7:20 build.instanceProfile: instance profile "GamiBuilderInstanceProfile" is also used by b.yaml:7:20; ${why}`,
      `b.yaml:7:20 build.instanceProfile: instance profile "GamiBuilderInstanceProfile" is also used by a.yaml:7:20; ${why}`,
      `c.yaml:7:20 build.instanceProfile: instance profile "gami-web-base-builder" is also used by d.yaml:5:3; ${why}`,
      `d.yaml:5:3 build.instanceProfile: instance profile "gami-web-base-builder" is also used by c.yaml:7:20; ${why}`,
    ]);
  });

  it('validates every file even when one holds an alias bomb or an undefined alias', () => {
    const bomb = write('bomb.yaml', 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n');
    const undefinedAlias = write('undefined.yaml', 'name: *missing\n');
    const good = write('good.yaml', VALID);
    const results = validatePipelineFiles([bomb, undefinedAlias, good], { now: NOW });
    expect(shown(results)).toEqual([
      'bomb.yaml:2:8 YAML: the aliases expand into more than 100 repeated nodes (an alias bomb?); write the values out',
      'undefined.yaml:1:7 YAML: alias *missing refers to no anchor (an anchor &missing must come before it)',
    ]);
    expect(results[2].pipeline?.config.name).toBe('web-base');
  });
});
