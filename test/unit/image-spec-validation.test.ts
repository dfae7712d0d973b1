/**
 * The `image` section and the scan gate's remediation windows (issue 15): defaults, every offline rule as a
 * positioned diagnostic, and `gami validate`'s summary lines.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { instanceTypeBootModes, instanceTypeSupportsNitroTpm, resolveImageSpec } from '../../pipeline/image-spec';
import { summarizePipeline } from '../../pipeline/summary';
import { formatDiagnostic, validatePipelineFile } from '../../pipeline/validate';

// The image section starts at line 15 and distribution follows it, so positions below read off this text.
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
  required: false
scanGate:
  maxFindings: { HIGH: 3 }
image:
  rootVolume:
    sizeGiB: 10
    type: gp3
  dataVolumes:
    - deviceName: /dev/sdf
      sizeGiB: 20
  bootMode: uefi-preferred
distribution:
  sourceRegion: eu-west-1
instanceType: t3.medium
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gami-image-spec-'));
  symlinkSync(resolve('pipelines/components'), join(dir, 'components'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function variant(from: string, to: string): string {
  const count = VALID.split(from).length - 1;
  if (count !== 1) throw new Error(`test case: "${from}" occurs ${count} times in VALID`);
  return VALID.replace(from, to);
}

function validate(text: string) {
  const file = join(dir, 'x.yaml');
  writeFileSync(file, text);
  const result = validatePipelineFile(file, { now: new Date('2026-11-22T12:00:00Z') });
  return { lines: result.diagnostics.map((d) => formatDiagnostic({ ...d, file: 'x.yaml' })), result };
}

describe('image section', () => {
  it('applies every default when the section is absent', () => {
    const { lines, result } = validate(VALID.replace(/^image:\n(?: .*\n)*/m, ''));

    expect(lines).toEqual([]);
    expect(result.pipeline!.config.image).toEqual({
      rootVolume: { type: 'gp3' },
      dataVolumes: [],
      encrypted: true,
      imdsSupport: 'v2.0',
    });
    expect(result.pipeline!.config.scanGate.maxDaysSinceFix).toEqual({
      CRITICAL: 'unlimited', HIGH: 'unlimited', MEDIUM: 'unlimited', LOW: 'unlimited', INFORMATIONAL: 'unlimited', UNTRIAGED: 'unlimited',
    });
  });

  it('accepts the valid section and fills the defaults of each volume', () => {
    const { lines, result } = validate(VALID);

    expect(lines).toEqual([]);
    expect(result.pipeline!.config.image).toEqual({
      rootVolume: { sizeGiB: 10, type: 'gp3' },
      dataVolumes: [{ deviceName: '/dev/sdf', sizeGiB: 20, type: 'gp3', deleteOnTermination: true }],
      encrypted: true,
      bootMode: 'uefi-preferred',
      imdsSupport: 'v2.0',
    });
  });

  it('folds the older build.rootVolumeSizeGiB and the source key into the spec a run applies', () => {
    const { result } = validate(
      variant('  instanceProfile: GamiBuilderInstanceProfile\n', '  instanceProfile: GamiBuilderInstanceProfile\n  rootVolumeSizeGiB: 12\n')
        .replace('    sizeGiB: 10\n', '')
        .replace('  sourceRegion: eu-west-1\n', '  sourceRegion: eu-west-1\n  sourceKmsKeyAlias: alias/gami-ami\n'),
    );

    const spec = resolveImageSpec(result.pipeline!.config);
    expect(spec.rootVolume.sizeGiB).toBe(12);
    expect(spec.kmsKeyAlias).toBe('alias/gami-ami');
  });

  // [what, from, to, expected diagnostics]
  const cases: Array<[string, string, string, string[]]> = [
    ['unknown volume type', '    type: gp3\n', '    type: gp4\n', ['x.yaml:17:11 image.rootVolume.type: "gp4" is not an EBS volume type (gp3, gp2, io1, io2, st1, sc1, standard)']],
    ['HDD type as the root volume', '    sizeGiB: 10\n    type: gp3\n', '    sizeGiB: 500\n    type: st1\n', [
      'x.yaml:17:11 image.rootVolume.type: st1 volumes cannot be boot volumes (use gp3, gp2, io1, io2 or standard)',
    ]],
    ['size outside the type\'s range', '    sizeGiB: 10\n    type: gp3\n', '    sizeGiB: 2\n    type: io1\n    iops: 100\n', ['x.yaml:16:14 image.rootVolume.sizeGiB: io1 volumes are 4-16384 GiB, got 2']],
    ['iops on gp2', '    type: gp3\n', '    type: gp2\n    iops: 3000\n', ['x.yaml:18:11 image.rootVolume.iops: gp2 volumes take no iops (only gp3, io1 and io2 do)']],
    ['io2 without iops', '    type: gp3\n', '    type: io2\n', ['x.yaml:16:5 image.rootVolume: io2 volumes need iops (100-256000)']],
    ['gp3 iops out of range', '    type: gp3\n', '    type: gp3\n    iops: 2000\n', ['x.yaml:18:11 image.rootVolume.iops: gp3 volumes take 3000-80000 IOPS, got 2000']],
    ['io1 iops above 50 per GiB', '    type: gp3\n', '    type: io1\n    iops: 1000\n', ['x.yaml:18:11 image.rootVolume.iops: 1000 IOPS on 10 GiB is more than io1\'s 50 IOPS per GiB (at most 500)']],
    ['throughput on io2', '    type: gp3\n', '    type: io2\n    iops: 1000\n    throughputMiBps: 250\n', ['x.yaml:19:22 image.rootVolume.throughputMiBps: only gp3 volumes take a throughput, not io2']],
    ['gp3 throughput above 0.25 MiB/s per IOPS', '    type: gp3\n', '    type: gp3\n    throughputMiBps: 1000\n', [
      'x.yaml:18:22 image.rootVolume.throughputMiBps: 1000 MiB/s needs at least 4000 IOPS (0.25 MiB/s per IOPS); iops is 3000',
    ]],
    ['root device as a data volume', '    - deviceName: /dev/sdf\n', '    - deviceName: /dev/xvda\n', [
      'x.yaml:19:19 image.dataVolumes[0].deviceName: "/dev/xvda" is not a data volume device name (/dev/sdb-/dev/sdz or /dev/xvdb-/dev/xvdz)',
    ]],
    ['the same device twice', '      sizeGiB: 20\n', '      sizeGiB: 20\n    - deviceName: /dev/xvdf\n      sizeGiB: 5\n', [
      'x.yaml:21:19 image.dataVolumes[1].deviceName: /dev/xvdf is mapped twice (also dataVolumes[0])',
    ]],
    ['a key without encryption', '  bootMode: uefi-preferred\n', '  bootMode: uefi-preferred\n  encrypted: false\n  kmsKeyAlias: alias/gami-ami\n', [
      'x.yaml:23:16 image.kmsKeyAlias: a key is given but encrypted is false: set encrypted: true or remove kmsKeyAlias',
    ]],
    ['a key other than the source key', '  bootMode: uefi-preferred\ndistribution:\n  sourceRegion: eu-west-1\n', '  bootMode: uefi-preferred\n  kmsKeyAlias: alias/other\ndistribution:\n  sourceRegion: eu-west-1\n  sourceKmsKeyAlias: alias/gami-ami\n', [
      'x.yaml:22:16 image.kmsKeyAlias: alias/other differs from distribution.sourceKmsKeyAlias (alias/gami-ami): the baked image has one key; give it once',
    ]],
    ['no encryption where the source key asks for it', '  bootMode: uefi-preferred\ndistribution:\n  sourceRegion: eu-west-1\n', '  bootMode: uefi-preferred\n  encrypted: false\ndistribution:\n  sourceRegion: eu-west-1\n  sourceKmsKeyAlias: alias/gami-ami\n', [
      'x.yaml:22:14 image.encrypted: encrypted is false but distribution.sourceKmsKeyAlias (alias/gami-ami) asks for an image encrypted with that key',
    ]],
    ['the root size given twice', '  instanceProfile: GamiBuilderInstanceProfile\n', '  instanceProfile: GamiBuilderInstanceProfile\n  rootVolumeSizeGiB: 12\n', [
      'x.yaml:8:22 build.rootVolumeSizeGiB: give the root volume size once, as image.rootVolume.sizeGiB (build.rootVolumeSizeGiB is the older spelling)',
    ]],
    ['unknown boot mode', '  bootMode: uefi-preferred\n', '  bootMode: bios\n', ['x.yaml:21:13 image.bootMode: "bios" is not a boot mode (uefi, legacy-bios or uefi-preferred)']],
    ['UEFI-preferred on arm64', 'instanceType: t3.medium\n', 'instanceType: t4g.medium\narchitecture: arm64\n', [
      'x.yaml:3:17 baseImage.ssmParameter: the parameter names an x86_64 image but architecture is arm64',
      'x.yaml:21:13 image.bootMode: arm64 images boot UEFI only; uefi-preferred is not possible (use uefi)',
    ]],
    ['UEFI on a Xen instance type', '  bootMode: uefi-preferred\ndistribution:\n  sourceRegion: eu-west-1\ninstanceType: t3.medium\n', '  bootMode: uefi\ndistribution:\n  sourceRegion: eu-west-1\ninstanceType: t2.medium\n', [
      'x.yaml:21:13 image.bootMode: instance type t2.medium boots legacy-bios only, so a uefi image cannot run on it (use a Nitro type such as t3, or bootMode uefi-preferred)',
    ]],
    ['legacy BIOS on a Graviton type', '  bootMode: uefi-preferred\ndistribution:\n  sourceRegion: eu-west-1\ninstanceType: t3.medium\n', '  bootMode: legacy-bios\ndistribution:\n  sourceRegion: eu-west-1\ninstanceType: m7g.large\n', [
      'x.yaml:21:13 image.bootMode: instance type m7g.large boots uefi only, so a legacy-bios image cannot run on it (use an x86 type, or bootMode uefi)',
      'x.yaml:24:15 instanceType: instance type m7g.large is arm64 but architecture is x86_64',
    ]],
    ['NitroTPM without UEFI', '  bootMode: uefi-preferred\n', '  bootMode: uefi-preferred\n  tpmSupport: v2.0\n', ['x.yaml:22:15 image.tpmSupport: NitroTPM needs bootMode uefi, not uefi-preferred']],
    ['NitroTPM on a Xen type', '  bootMode: uefi-preferred\ndistribution:\n  sourceRegion: eu-west-1\ninstanceType: t3.medium\n', '  bootMode: uefi\n  tpmSupport: v2.0\ndistribution:\n  sourceRegion: eu-west-1\ninstanceType: m4.large\n', [
      'x.yaml:21:13 image.bootMode: instance type m4.large boots legacy-bios only, so a uefi image cannot run on it (use a Nitro type such as t3, or bootMode uefi-preferred)',
      'x.yaml:22:15 image.tpmSupport: instance type m4.large does not support NitroTPM (use a Nitro type, not bare metal)',
    ]],
    ['IMDSv1 allowed', '  bootMode: uefi-preferred\n', '  bootMode: uefi-preferred\n  imdsSupport: none\n', [
      'x.yaml:22:16 image.imdsSupport: warning: instances launched from this image will accept IMDSv1 unless their launch template requires tokens',
    ]],
    ['a window where the count is already 0', '  maxFindings: { HIGH: 3 }\n', '  maxFindings: { HIGH: 3 }\n  maxDaysSinceFix: { CRITICAL: 3, HIGH: 7 }\n', [
      'x.yaml:14:32 scanGate.maxDaysSinceFix.CRITICAL: warning: maxFindings.CRITICAL is 0, so any CRITICAL finding fails the gate at once and this 3-day window never applies',
    ]],
    ['a window that is not a number of days', '  maxFindings: { HIGH: 3 }\n', '  maxFindings: { HIGH: 3 }\n  maxDaysSinceFix: { HIGH: 7d }\n', [
      'x.yaml:14:28 scanGate.maxDaysSinceFix.HIGH: maxDaysSinceFix.HIGH must be a whole number of days ≥ 0 or "unlimited", got "7d"',
    ]],
  ];

  it.each(cases)('%s', (_what, from, to, expected) => {
    expect(validate(variant(from, to)).lines).toEqual(expected);
  });
});

describe('instance type rules', () => {
  it.each([
    ['t3.medium', ['legacy-bios', 'uefi'], true],
    ['m7g.large', ['uefi'], true],
    ['t2.micro', ['legacy-bios'], false],
    ['c5.metal', ['legacy-bios', 'uefi'], false],
  ] as const)('%s boots %j; NitroTPM %s', (type, modes, tpm) => {
    expect(instanceTypeBootModes(type)).toEqual(modes);
    expect(instanceTypeSupportsNitroTpm(type)).toBe(tpm);
  });
});

describe('gami validate summary', () => {
  it('summarises the image section and the windows', () => {
    const { result } = validate(variant('  maxFindings: { HIGH: 3 }\n', '  maxFindings: { HIGH: 3 }\n  maxDaysSinceFix: { HIGH: 7, MEDIUM: 30 }\n'));

    const lines = summarizePipeline(result.pipeline!);
    expect(lines).toContain('  remediation windows: HIGH fixed ≤ 7 d ago, MEDIUM fixed ≤ 30 d ago; fixable findings past them fail the gate');
    expect(lines).toContain('  image: root 10 GiB gp3, data /dev/sdf 20 GiB gp3; encrypted with aws/ebs; boot mode uefi-preferred; IMDSv2 only');
  });
});
