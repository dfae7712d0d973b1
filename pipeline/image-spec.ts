/**
 * The `image` section of a pipeline: what the baked AMI is made of — root and data volumes (size, EBS type,
 * IOPS, throughput), encryption with a KMS key, boot mode, NitroTPM and IMDSv2-only — and the rules a
 * validator can check without AWS. This file imports nothing from config.ts (config.ts imports it), so it
 * carries its own small field helpers.
 *
 * Where each setting is applied:
 * - RunInstances of the builder: every volume (root overrides on the base image's root device, data volumes
 *   added), Encrypted + KmsKeyId. The image's snapshots are encrypted exactly as the builder's volumes.
 * - CreateImage: the same volume sizes, types, IOPS and throughput, pinned in its BlockDeviceMappings.
 * - ModifyImageAttribute ImdsSupport v2.0 once the image is available (CreateImage has no such parameter).
 * - Boot mode and NitroTPM: EC2 sets them only at RegisterImage; CreateImage copies the source AMI's. The
 *   pipeline does not re-register images: it checks at the builder's launch that the base image already has
 *   the configured boot mode and TPM support (InstanceLaunchFailed naming both when not) and records them.
 *
 * Checked here, offline: EBS type rules (sizes, IOPS and throughput ranges and ratios, boot-volume types),
 * device names, key vs. encryption, boot mode vs. architecture and instance type, NitroTPM prerequisites.
 * Not checkable offline (they need the base image): root size ≥ the base image's root snapshot, the base
 * image's boot mode and TPM support — launchInstance checks those before RunInstances.
 */
import * as z from 'zod';

const quote = (value: unknown): string => JSON.stringify(value) ?? String(value);

export const VOLUME_TYPES = ['gp3', 'gp2', 'io1', 'io2', 'st1', 'sc1', 'standard'] as const;
export type VolumeType = (typeof VOLUME_TYPES)[number];
export const BOOT_MODES = ['uefi', 'legacy-bios', 'uefi-preferred'] as const;
export type BootMode = (typeof BOOT_MODES)[number];

/** EBS limits per volume type (EBS user guide, "Amazon EBS volume types"; gp3 as raised in September 2025). */
export const EBS_RULES: Record<VolumeType, {
  minSize: number;
  maxSize: number;
  boot: boolean;
  iops?: { min: number; max: number; perGiB: number; required: boolean; baseline?: number };
  throughput?: { min: number; max: number; perIops: number; baseline: number };
}> = {
  gp3: { minSize: 1, maxSize: 65_536, boot: true, iops: { min: 3_000, max: 80_000, perGiB: 500, required: false, baseline: 3_000 }, throughput: { min: 125, max: 2_000, perIops: 0.25, baseline: 125 } },
  gp2: { minSize: 1, maxSize: 16_384, boot: true },
  io1: { minSize: 4, maxSize: 16_384, boot: true, iops: { min: 100, max: 64_000, perGiB: 50, required: true } },
  io2: { minSize: 4, maxSize: 65_536, boot: true, iops: { min: 100, max: 256_000, perGiB: 1_000, required: true } },
  st1: { minSize: 125, maxSize: 16_384, boot: false },
  sc1: { minSize: 125, maxSize: 16_384, boot: false },
  standard: { minSize: 1, maxSize: 1_024, boot: true },
};

const wholeNumber = (what: string, min: number, max: number) =>
  z
    .number({ error: (iss) => `${what} must be a whole number, got ${quote(iss.input)}` })
    .int({ error: (iss) => `${what} must be a whole number, got ${quote(iss.input)}` })
    .min(min, { error: (iss) => `${what} must be at least ${min}, got ${quote(iss.input)}` })
    .max(max, { error: (iss) => `${what} must be at most ${max}, got ${quote(iss.input)}` });

const volumeType = z
  .enum(VOLUME_TYPES, { error: (iss) => `${quote(iss.input)} is not an EBS volume type (${VOLUME_TYPES.join(', ')})` })
  .default('gp3')
  .describe('EBS volume type. Default: gp3.');

const performance = {
  iops: wholeNumber('iops', 100, 256_000)
    .optional()
    .describe('Provisioned IOPS: gp3 3000-80000 (≤ 500 per GiB above 3000; default 3000), io1 100-64000 (≤ 50/GiB), io2 100-256000 (≤ 1000/GiB); required for io1/io2, not allowed for other types.'),
  throughputMiBps: wholeNumber('throughputMiBps', 125, 2_000)
    .optional()
    .describe('gp3 only: 125-2000 MiB/s, at most 0.25 MiB/s per provisioned IOPS above 125. Default: 125.'),
};

export const rootVolumeSchema = z
  .strictObject({
    sizeGiB: wholeNumber('sizeGiB', 1, 65_536)
      .optional()
      .describe("Root volume size in GiB; at least the base image's root snapshot (checked at launch). Default: the base image's size."),
    type: volumeType,
    ...performance,
  })
  .describe('The root volume, on the base image root device.');

const DEVICE_NAME = /^\/dev\/(sd[b-z]|xvd[b-z])$/;

export const dataVolumeSchema = z
  .strictObject({
    deviceName: z
      .string()
      .regex(DEVICE_NAME, { error: (iss) => `${quote(iss.input)} is not a data volume device name (/dev/sdb-/dev/sdz or /dev/xvdb-/dev/xvdz)` })
      .describe('Device name, e.g. /dev/sdf (/dev/sdb-z or /dev/xvdb-z; the root device is the base image one).'),
    sizeGiB: wholeNumber('sizeGiB', 1, 65_536).describe('Size in GiB (new empty volume).'),
    type: volumeType,
    ...performance,
    deleteOnTermination: z.boolean().default(true).describe('Delete the volume with the instance. Default: true.'),
  })
  .describe('An extra EBS data volume, attached to the builder and recorded in the image.');

export const imageSpecSchema = z
  .strictObject({
    rootVolume: rootVolumeSchema.prefault({}),
    dataVolumes: z
      .array(dataVolumeSchema)
      .max(20, { error: 'at most 20 data volumes' })
      .default([])
      .describe('Extra data volumes. Default: none.'),
    encrypted: z
      .boolean()
      .default(true)
      .describe("Encrypt every volume and so the image's snapshots. Default: true."),
    kmsKeyAlias: z
      .string()
      .regex(/^alias\/[a-zA-Z0-9/_-]{1,250}$/, { error: (iss) => `${quote(iss.input)} is not a KMS key alias (expected "alias/<name>")` })
      .optional()
      .describe("Customer managed key for the volumes. Default: distribution.sourceKmsKeyAlias, else the account's aws/ebs key."),
    bootMode: z
      .enum(BOOT_MODES, { error: (iss) => `${quote(iss.input)} is not a boot mode (uefi, legacy-bios or uefi-preferred)` })
      .optional()
      .describe(
        'Boot mode the image must have: uefi, legacy-bios or uefi-preferred (UEFI where the instance type supports it). ' +
          "EC2 copies it from the base image at CreateImage, so the base image must have it (checked at launch). Default: the base image's.",
      ),
    tpmSupport: z
      .literal('v2.0', { error: (iss) => `${quote(iss.input)} is not a TPM version (only "v2.0")` })
      .optional()
      .describe('Require NitroTPM v2.0 (needs bootMode uefi and a Nitro instance type; the base image must have it). Default: not required.'),
    imdsSupport: z
      .enum(['v2.0', 'none'], { error: (iss) => `${quote(iss.input)} is not an IMDS support value ("v2.0" or "none")` })
      .default('v2.0')
      .describe('v2.0: the image is marked IMDSv2-only (ModifyImageAttribute), so every instance launched from it requires tokens. Default: v2.0.'),
  })
  .describe('What the image is made of: volumes, encryption, boot mode, NitroTPM, IMDSv2-only.');

export type ImageSpec = z.output<typeof imageSpecSchema>;
export type VolumeSpec = z.output<typeof rootVolumeSchema>;

// ---- instance types --------------------------------------------------------------------------------------------

const GRAVITON_FAMILY = /^(a1|[a-z]+\d+g[a-z]*)$/;
/** Xen-based families (EC2 user guide, "Instances built on the Nitro System": everything else is Nitro). */
const XEN_FAMILY = /^(t1|t2|m1|m2|m3|m4|c1|c3|c4|r3|r4|i2|i3|d2|x1|x1e|p2|p3|g2|g3|g3s|f1|h1|cc2|cr1|hs1)$/;

/** Boot modes an instance type boots (DescribeInstanceTypes SupportedBootModes, by family). */
export function instanceTypeBootModes(instanceType: string): ('legacy-bios' | 'uefi')[] {
  const family = instanceType.split('.')[0];
  if (GRAVITON_FAMILY.test(family)) return ['uefi'];
  if (XEN_FAMILY.test(family)) return ['legacy-bios'];
  return ['legacy-bios', 'uefi'];
}

export function instanceTypeSupportsNitroTpm(instanceType: string): boolean {
  const [family, size] = instanceType.split('.');
  return !XEN_FAMILY.test(family) && size !== 'metal';
}

// ---- offline rules ---------------------------------------------------------------------------------------------

type PathSegment = string | number;
/** Same shape as validate.ts's reporter: path, message, optional warning. */
export type ImageSpecReport = (path: readonly PathSegment[], message: string, options?: { key?: boolean; severity?: 'warning' }) => void;

function quietly<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

/** EBS rules of one volume; `size` may be unknown (root volume of the base image's size). */
export function volumeProblems(volume: { type: VolumeType; sizeGiB?: number; iops?: number; throughputMiBps?: number }, root: boolean): Array<[PathSegment | undefined, string]> {
  const problems: Array<[PathSegment | undefined, string]> = [];
  const rule = EBS_RULES[volume.type];
  if (root && !rule.boot) problems.push(['type', `${volume.type} volumes cannot be boot volumes (use gp3, gp2, io1, io2 or standard)`]);
  if (volume.sizeGiB !== undefined && (volume.sizeGiB < rule.minSize || volume.sizeGiB > rule.maxSize)) {
    problems.push(['sizeGiB', `${volume.type} volumes are ${rule.minSize}-${rule.maxSize} GiB, got ${volume.sizeGiB}`]);
  }
  if (volume.iops !== undefined && !rule.iops) problems.push(['iops', `${volume.type} volumes take no iops (only gp3, io1 and io2 do)`]);
  if (volume.iops === undefined && rule.iops?.required) problems.push([undefined, `${volume.type} volumes need iops (${rule.iops.min}-${rule.iops.max})`]);
  if (volume.iops !== undefined && rule.iops) {
    if (volume.iops < rule.iops.min || volume.iops > rule.iops.max) {
      problems.push(['iops', `${volume.type} volumes take ${rule.iops.min}-${rule.iops.max} IOPS, got ${volume.iops}`]);
    } else if (volume.sizeGiB !== undefined && volume.iops > rule.iops.perGiB * volume.sizeGiB && volume.iops > (rule.iops.baseline ?? 0)) {
      problems.push(['iops', `${volume.iops} IOPS on ${volume.sizeGiB} GiB is more than ${volume.type}'s ${rule.iops.perGiB} IOPS per GiB (at most ${rule.iops.perGiB * volume.sizeGiB})`]);
    }
  }
  if (volume.throughputMiBps !== undefined) {
    if (!rule.throughput) problems.push(['throughputMiBps', `only gp3 volumes take a throughput, not ${volume.type}`]);
    else {
      const iops = volume.iops ?? rule.iops?.baseline ?? 0;
      if (volume.throughputMiBps > rule.throughput.baseline && volume.throughputMiBps > iops * rule.throughput.perIops) {
        problems.push([
          'throughputMiBps',
          `${volume.throughputMiBps} MiB/s needs at least ${Math.ceil(volume.throughputMiBps / rule.throughput.perIops)} IOPS (${rule.throughput.perIops} MiB/s per IOPS); iops is ${iops}`,
        ]);
      }
    }
  }
  return problems;
}

/**
 * Cross-field rules of the image section (called from validate.ts's cross-field pass). `raw` is the whole
 * pipeline document as parsed; sections that are themselves invalid are skipped (their own errors are reported).
 */
export function checkImageSpec(raw: Record<string, unknown>, report: ImageSpecReport): void {
  if (raw.image === undefined && raw.build === undefined) return;
  const image = quietly(imageSpecSchema.prefault({}), raw.image);
  if (!image) return;
  const at = (...path: PathSegment[]) => ['image', ...path];
  const rawImage = (raw.image ?? {}) as Record<string, unknown>;

  for (const [field, message] of volumeProblems(image.rootVolume, true)) report(field === undefined ? at('rootVolume') : at('rootVolume', field), message);
  const devices = new Map<string, number>();
  image.dataVolumes.forEach((volume, i) => {
    for (const [field, message] of volumeProblems(volume, false)) report(field === undefined ? at('dataVolumes', i) : at('dataVolumes', i, field), message);
    // /dev/sdf and /dev/xvdf are the same device to the kernel of a Xen or Nitro instance.
    const device = volume.deviceName.replace(/^\/dev\/xvd/, '/dev/sd');
    if (devices.has(device)) report(at('dataVolumes', i, 'deviceName'), `${volume.deviceName} is mapped twice (also dataVolumes[${devices.get(device)}])`);
    devices.set(device, i);
  });

  if (!image.encrypted && image.kmsKeyAlias) report(at('kmsKeyAlias'), `a key is given but encrypted is false: set encrypted: true or remove kmsKeyAlias`);
  const distribution = raw.distribution as Record<string, unknown> | undefined;
  const sourceKey = typeof distribution?.sourceKmsKeyAlias === 'string' ? distribution.sourceKmsKeyAlias : undefined;
  if (image.kmsKeyAlias && sourceKey && image.kmsKeyAlias !== sourceKey) {
    report(at('kmsKeyAlias'), `${image.kmsKeyAlias} differs from distribution.sourceKmsKeyAlias (${sourceKey}): the baked image has one key; give it once`);
  }
  if (!image.encrypted && sourceKey) {
    report(at('encrypted'), `encrypted is false but distribution.sourceKmsKeyAlias (${sourceKey}) asks for an image encrypted with that key`);
  }

  const build = raw.build as Record<string, unknown> | undefined;
  if (build?.rootVolumeSizeGiB !== undefined && image.rootVolume.sizeGiB !== undefined) {
    report(['build', 'rootVolumeSizeGiB'], 'give the root volume size once, as image.rootVolume.sizeGiB (build.rootVolumeSizeGiB is the older spelling)');
  }

  const architecture = raw.architecture === undefined ? 'x86_64' : raw.architecture;
  const instanceType = typeof raw.instanceType === 'string' ? raw.instanceType : raw.instanceType === undefined ? 't3.medium' : undefined;
  if (image.bootMode && architecture === 'arm64' && image.bootMode !== 'uefi') {
    report(at('bootMode'), `arm64 images boot UEFI only; ${image.bootMode} is not possible (use uefi)`);
  } else if (image.bootMode && instanceType) {
    const supported = instanceTypeBootModes(instanceType);
    if (image.bootMode !== 'uefi-preferred' && !supported.includes(image.bootMode)) {
      const fix = image.bootMode === 'uefi' ? 'a Nitro type such as t3, or bootMode uefi-preferred' : 'an x86 type, or bootMode uefi';
      report(at('bootMode'), `instance type ${instanceType} boots ${supported.join(' or ')} only, so a ${image.bootMode} image cannot run on it (use ${fix})`);
    }
  }
  if (image.tpmSupport) {
    if (image.bootMode !== 'uefi') report(at('tpmSupport'), `NitroTPM needs bootMode uefi${image.bootMode ? `, not ${image.bootMode}` : ' (set image.bootMode: uefi)'}`);
    if (instanceType && !instanceTypeSupportsNitroTpm(instanceType)) report(at('tpmSupport'), `instance type ${instanceType} does not support NitroTPM (use a Nitro type, not bare metal)`);
  }
  if (image.imdsSupport === 'none' && rawImage.imdsSupport !== undefined) {
    report(at('imdsSupport'), 'instances launched from this image will accept IMDSv1 unless their launch template requires tokens', { severity: 'warning' });
  }
}

/** The image spec a run applies: the section with the legacy root size and the source key folded in. */
export function resolveImageSpec(config: { image: ImageSpec; build: { rootVolumeSizeGiB?: number }; distribution: { sourceKmsKeyAlias?: string } }): ImageSpec {
  const { image } = config;
  return {
    ...image,
    rootVolume: { ...image.rootVolume, ...(image.rootVolume.sizeGiB === undefined && config.build.rootVolumeSizeGiB ? { sizeGiB: config.build.rootVolumeSizeGiB } : {}) },
    ...(image.encrypted && !image.kmsKeyAlias && config.distribution.sourceKmsKeyAlias ? { kmsKeyAlias: config.distribution.sourceKmsKeyAlias } : {}),
  };
}

/** One line for `gami validate`. */
export function summarizeImageSpec(spec: ImageSpec): string {
  const volume = (v: VolumeSpec & { deviceName?: string }) =>
    `${v.sizeGiB ?? 'base size'}${v.sizeGiB ? ' GiB' : ''} ${v.type}${v.iops ? ` ${v.iops} IOPS` : ''}${v.throughputMiBps ? ` ${v.throughputMiBps} MiB/s` : ''}`;
  const data = spec.dataVolumes.map((v) => `${v.deviceName} ${volume(v)}`);
  const encryption = spec.encrypted ? `encrypted with ${spec.kmsKeyAlias ?? 'aws/ebs'}` : 'unencrypted';
  return (
    `  image: root ${volume(spec.rootVolume)}${data.length ? `, data ${data.join(', ')}` : ''}; ${encryption}; ` +
    `boot mode ${spec.bootMode ?? "the base image's"}${spec.tpmSupport ? ', NitroTPM v2.0' : ''}; ${spec.imdsSupport === 'v2.0' ? 'IMDSv2 only' : 'IMDSv1 allowed'}`
  );
}

/**
 * Remediation windows beside the counts (scanGate.maxDaysSinceFix): a window on a severity whose maxFindings is 0
 * never decides anything (any such finding already fails), which usually means the window was meant elsewhere.
 * `scanGate` is the section as parsed (undefined when it is itself invalid: its own errors are reported).
 */
export function checkRemediationWindows(
  scanGate: { maxFindings: Record<string, number | 'unlimited'>; maxDaysSinceFix: Record<string, number | 'unlimited'> } | undefined,
  report: ImageSpecReport,
): void {
  if (!scanGate) return;
  for (const [severity, days] of Object.entries(scanGate.maxDaysSinceFix)) {
    if (days !== 'unlimited' && scanGate.maxFindings[severity] === 0) {
      report(['scanGate', 'maxDaysSinceFix', severity], `maxFindings.${severity} is 0, so any ${severity} finding fails the gate at once and this ${days}-day window never applies`, {
        severity: 'warning',
      });
    }
  }
}

/** `gami validate`'s lines for the remediation windows (when any) and the image section. */
export function imageSpecSummaryLines(config: Parameters<typeof resolveImageSpec>[0] & { scanGate: { maxDaysSinceFix: Record<string, number | 'unlimited'> } }): string[] {
  const windows = Object.entries(config.scanGate.maxDaysSinceFix).filter(([, days]) => days !== 'unlimited');
  return [
    ...(windows.length ? [`  remediation windows: ${windows.map(([severity, days]) => `${severity} fixed ≤ ${days} d ago`).join(', ')}; fixable findings past them fail the gate`] : []),
    summarizeImageSpec(resolveImageSpec(config)),
  ];
}
