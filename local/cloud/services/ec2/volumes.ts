/**
 * EBS volumes and block device mappings: the volumes RunInstances creates (the image's mappings, with the
 * request's overrides and extra data volumes), the mappings CreateImage records, EBS's per-type size, IOPS and
 * throughput rules, instance types' boot modes and NitroTPM, and DescribeVolumes.
 *
 * Sources:
 * - EBS user guide, "Amazon EBS volume types", and the CreateVolume / EbsBlockDevice API reference: sizes, IOPS and
 *   throughput per type; `Iops` only for io1, io2 and gp3; `Throughput` only for gp3; `KmsKeyId` only with
 *   `Encrypted` and only at RunInstances (not CreateImage/RegisterImage); a volume from an encrypted snapshot is
 *   encrypted; without a key, the account's `aws/ebs` key. gp3's maxima as raised in September 2025 (64 TiB, 80,000
 *   IOPS, 2,000 MiB/s); 500 IOPS per GiB and 0.25 MiB/s per IOPS.
 * - Error texts EC2 returns, as seen in public issue threads: `InvalidBlockDeviceMapping` "Volume of size 4GB is
 *   smaller than snapshot 'snap-…', expect size >= 8GB" (hashicorp/packer and terraform-provider-aws reports);
 *   "The parameter iops is not supported for gp2 volumes."; "Iops to volume size ratio of 60.000000 is too high;
 *   maximum is 50.000000"; "Throughput (MiBps) to iops ratio of 0.500000 is too high; maximum is 0.250000 MiBps per
 *   iops."; `InvalidParameterDependency` for KmsKeyId without Encrypted (hashicorp/packer#5774). A launch whose key is
 *   missing, disabled or not usable is accepted and the instance then terminates with the state reason
 *   `Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state` (CiscoDevNet/cloud-cml#8,
 *   hashicorp/terraform-provider-aws#38633). Texts not in those sources are marked "(message: assumption)".
 * - EC2 user guide, "Boot modes" / "Instance type boot modes": Graviton (arm64) instance types boot UEFI only,
 *   Xen-based instance types Legacy BIOS only, Nitro x86 types both; a `uefi-preferred` AMI boots UEFI where the
 *   type supports it. "NitroTPM": Nitro instance types, UEFI boot mode; TpmSupport is set by RegisterImage.
 */
import type {
  BlockDeviceMapping,
  DescribeVolumesCommandInput,
  DescribeVolumesCommandOutput,
  Volume,
  VolumeType,
} from '@aws-sdk/client-ec2';
import { fail } from '../../errors';
import { paginate, type Operation, type OperationContext } from '../../operations';
import type { BlockDeviceRecord, ImageRecord, InstanceRecord, VolumeRecord } from '../../world';
import { canUseKey, defaultEbsKey, findKey } from '../kms';
import { anyMatches, parseFilters, tagFilterMatches } from './common';

// ---------------------------------------------------------------------------------------------------- EBS rules

interface VolumeTypeRule {
  minSize: number;
  maxSize: number;
  iops?: { min: number; max: number; perGiB: number; required: boolean; default?: number };
  throughput?: { min: number; max: number; perIops: number; default: number };
}

export const VOLUME_TYPES: Record<string, VolumeTypeRule> = {
  gp2: { minSize: 1, maxSize: 16_384 },
  gp3: { minSize: 1, maxSize: 65_536, iops: { min: 3_000, max: 80_000, perGiB: 500, required: false, default: 3_000 }, throughput: { min: 125, max: 2_000, perIops: 0.25, default: 125 } },
  io1: { minSize: 4, maxSize: 16_384, iops: { min: 100, max: 64_000, perGiB: 50, required: true } },
  io2: { minSize: 4, maxSize: 65_536, iops: { min: 100, max: 256_000, perGiB: 1_000, required: true } },
  st1: { minSize: 125, maxSize: 16_384 },
  sc1: { minSize: 125, maxSize: 16_384 },
  standard: { minSize: 1, maxSize: 1_024 },
};

const ratio = (n: number) => n.toFixed(6);

/** Size, IOPS and throughput of one volume checked against its type's rules; returns the effective IOPS/throughput. */
export function checkVolume(spec: { type: string; size: number; iops?: number; throughput?: number }): { iops?: number; throughput?: number } {
  const rule = VOLUME_TYPES[spec.type];
  if (!rule) fail('InvalidParameterValue', `Value (${spec.type}) for parameter volumeType is invalid. Valid values: ${Object.keys(VOLUME_TYPES).join(', ')} (message: assumption)`);
  if (!Number.isInteger(spec.size) || spec.size < rule.minSize) fail('InvalidParameterValue', `Volume of ${spec.size}GiB is too small; minimum is ${rule.minSize}GiB. (message: assumption)`);
  if (spec.size > rule.maxSize) fail('InvalidParameterValue', `Volume of ${spec.size}GiB is too large; maximum is ${rule.maxSize}GiB. (message: assumption)`);
  if (spec.iops !== undefined && !rule.iops) fail('InvalidParameterCombination', `The parameter iops is not supported for ${spec.type} volumes.`);
  if (spec.throughput !== undefined && !rule.throughput) fail('InvalidParameterCombination', `The parameter throughput is not supported for ${spec.type} volumes. (message: assumption)`);
  if (!rule.iops) return {};
  if (spec.iops === undefined && rule.iops.required) fail('InvalidParameterCombination', `The parameter iops must be specified for ${spec.type} volumes. (message: assumption)`);
  const iops = spec.iops ?? rule.iops.default ?? rule.iops.min;
  if (iops < rule.iops.min) fail('InvalidParameterValue', `Volume iops of ${iops} is too low; minimum is ${rule.iops.min}. (message: assumption)`);
  if (iops > rule.iops.max) fail('InvalidParameterValue', `Volume iops of ${iops} is too high; maximum is ${rule.iops.max}. (message: assumption)`);
  // gp3's baseline 3,000 IOPS is allowed on any size; provisioned IOPS above it follow the per-GiB ratio.
  if (spec.iops !== undefined && iops > rule.iops.perGiB * spec.size && !(spec.type === 'gp3' && iops <= 3_000)) {
    fail('InvalidParameterValue', `Iops to volume size ratio of ${ratio(iops / spec.size)} is too high; maximum is ${ratio(rule.iops.perGiB)}`);
  }
  if (!rule.throughput) return { iops };
  const throughput = spec.throughput ?? rule.throughput.default;
  if (throughput < rule.throughput.min || throughput > rule.throughput.max) {
    fail('InvalidParameterValue', `Throughput of ${throughput} MiBps is out of range; it must be between ${rule.throughput.min} and ${rule.throughput.max} MiBps. (message: assumption)`);
  }
  if (throughput > rule.throughput.default && throughput / iops > rule.throughput.perIops) {
    fail('InvalidParameterValue', `Throughput (MiBps) to iops ratio of ${ratio(throughput / iops)} is too high; maximum is ${ratio(rule.throughput.perIops)} MiBps per iops.`);
  }
  return { iops, throughput };
}

// ---------------------------------------------------------------------------------------------------- instance types

const GRAVITON = /^(a1|[a-z]+\d+g[a-z]*)\./;
const XEN = /^(t1|t2|m1|m2|m3|m4|c1|c3|c4|r3|r4|i2|i3|d2|x1|x1e|p2|p3|g2|g3|g3s|f1|h1|cc2|cr1|hs1)\./;

export function instanceTypeArchitecture(instanceType: string): 'arm64' | 'x86_64' {
  return GRAVITON.test(instanceType) ? 'arm64' : 'x86_64';
}

/** The boot modes an instance type supports (DescribeInstanceTypes SupportedBootModes). */
export function supportedBootModes(instanceType: string): ('legacy-bios' | 'uefi')[] {
  if (GRAVITON.test(instanceType)) return ['uefi'];
  if (XEN.test(instanceType)) return ['legacy-bios'];
  return ['legacy-bios', 'uefi'];
}

export function supportsNitroTpm(instanceType: string): boolean {
  return !XEN.test(instanceType) && !instanceType.endsWith('.metal');
}

/**
 * The boot mode an instance of `instanceType` gets from `image`, or EC2's refusal. An image without a boot mode
 * boots the type's default (legacy BIOS on x86, UEFI on Graviton).
 */
export function launchBootMode(image: ImageRecord, instanceType: string): 'legacy-bios' | 'uefi' {
  const typeArch = instanceTypeArchitecture(instanceType);
  if (image.architecture !== typeArch) {
    fail(
      'InvalidParameterValue',
      `The architecture '${typeArch}' of the specified instance type does not match the architecture '${image.architecture}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again.`,
    );
  }
  const supported = supportedBootModes(instanceType);
  const mode = image.bootMode;
  if (mode === undefined) return supported[0];
  if (mode === 'uefi-preferred') return supported.includes('uefi') ? 'uefi' : 'legacy-bios';
  if (!supported.includes(mode as 'uefi')) {
    fail('InvalidParameterCombination', `The instance type '${instanceType}' does not support the boot mode '${mode}' of the AMI ${image.imageId}. (message: assumption)`);
  }
  if (image.tpmSupport === 'v2.0' && !supportsNitroTpm(instanceType)) {
    fail('InvalidParameterCombination', `The instance type '${instanceType}' does not support NitroTPM, which the AMI ${image.imageId} requires. (message: assumption)`);
  }
  return mode as 'legacy-bios' | 'uefi';
}

/** The boot modes an image may carry for its architecture (RegisterImage; arm64 is UEFI only). */
export function checkImageBootMode(architecture: string, bootMode: string | undefined, tpmSupport: string | undefined): void {
  if (bootMode !== undefined && !['legacy-bios', 'uefi', 'uefi-preferred'].includes(bootMode)) {
    fail('InvalidParameterValue', `Value (${bootMode}) for parameter bootMode is invalid. Valid values: legacy-bios, uefi, uefi-preferred (message: assumption)`);
  }
  if (architecture === 'arm64' && bootMode !== undefined && bootMode !== 'uefi') {
    fail('InvalidParameterCombination', `The boot mode '${bootMode}' is not supported for the architecture 'arm64'; arm64 AMIs boot UEFI only. (message: assumption)`);
  }
  if (tpmSupport !== undefined && tpmSupport !== 'v2.0') fail('InvalidParameterValue', `Value (${tpmSupport}) for parameter tpmSupport is invalid. Valid values: v2.0 (message: assumption)`);
  if (tpmSupport === 'v2.0' && bootMode !== 'uefi') {
    fail('InvalidParameterCombination', `NitroTPM (TpmSupport v2.0) requires the boot mode 'uefi' (message: assumption)`);
  }
}

// ---------------------------------------------------------------------------------------------------- RunInstances

export interface LaunchVolumes {
  volumes: VolumeRecord[];
  /** A key the launch cannot use: the instance is accepted and then terminates with Client.InvalidKMSKey.InvalidState. */
  kmsKeyUnusable: boolean;
}

function deviceOrder(a: { deviceName: string }, b: { deviceName: string }, root: string): number {
  if (a.deviceName === root) return -1;
  if (b.deviceName === root) return 1;
  return a.deviceName.localeCompare(b.deviceName);
}

/**
 * The volumes RunInstances creates: the image's mappings with the request's overrides (size ≥ snapshot, type,
 * IOPS, throughput, encryption with a key), `NoDevice` removals, and new data volumes.
 */
export function launchVolumes(ctx: OperationContext, image: ImageRecord, imageOwner: string, mappings: BlockDeviceMapping[] | undefined): LaunchVolumes {
  const { world, account, region } = ctx;
  let kmsKeyUnusable = false;
  const byDevice = new Map<string, { base?: BlockDeviceRecord; spec?: BlockDeviceMapping }>();
  for (const b of image.blockDeviceMappings) byDevice.set(b.deviceName, { base: b });
  for (const m of mappings ?? []) {
    if (!m.DeviceName) fail('MissingParameter', 'The request must contain the parameter BlockDeviceMapping.DeviceName');
    if (m.NoDevice !== undefined) {
      if (m.DeviceName === image.rootDeviceName) fail('InvalidBlockDeviceMapping', `The device '${m.DeviceName}' is the root device and cannot be suppressed. (message: assumption)`);
      byDevice.delete(m.DeviceName);
      continue;
    }
    if (!m.Ebs) continue; // instance store (VirtualName): not simulated
    byDevice.set(m.DeviceName, { base: byDevice.get(m.DeviceName)?.base, spec: m });
  }
  const volumes: VolumeRecord[] = [];
  for (const [deviceName, { base, spec }] of byDevice) {
    const ebs = spec?.Ebs ?? {};
    const snapshotId = ebs.SnapshotId ?? base?.snapshotId;
    const snapshot = snapshotId ? world.region(imageOwner, region).snapshots[snapshotId] ?? world.region(account, region).snapshots[snapshotId] : undefined;
    const snapshotSize = base?.volumeSize ?? snapshot?.volumeSize;
    if (!snapshotId && ebs.VolumeSize === undefined) {
      fail('InvalidBlockDeviceMapping', `The block device mapping for ${deviceName} must specify a snapshot or a volume size. (message: assumption)`);
    }
    const size = ebs.VolumeSize ?? snapshotSize ?? 0;
    if (snapshotSize !== undefined && size < snapshotSize) {
      fail('InvalidBlockDeviceMapping', `Volume of size ${size}GB is smaller than snapshot '${snapshotId}', expect size >= ${snapshotSize}GB`);
    }
    const type = ebs.VolumeType ?? (spec?.Ebs && !base ? 'gp2' : base?.volumeType ?? 'gp2');
    // A changed type starts from that type's defaults, not the image's IOPS/throughput.
    const keepPerformance = base && type === base.volumeType;
    const performance = checkVolume({
      type,
      size,
      iops: ebs.Iops ?? (keepPerformance ? base?.iops : undefined),
      throughput: ebs.Throughput ?? (keepPerformance ? base?.throughput : undefined),
    });
    if (ebs.KmsKeyId !== undefined && ebs.Encrypted !== true) fail('InvalidParameterDependency', 'The parameter KmsKeyId requires the parameter Encrypted to be set.');
    const fromEncrypted = base?.encrypted === true || snapshot?.encrypted === true;
    if (ebs.Encrypted === false && fromEncrypted) {
      fail('InvalidBlockDeviceMapping', `The snapshot ${snapshotId} is encrypted: a volume created from it must be encrypted. (message: assumption)`);
    }
    const encrypted = ebs.Encrypted === true || fromEncrypted;
    let kmsKeyId: string | undefined;
    if (encrypted) {
      if (ebs.KmsKeyId !== undefined) {
        const key = findKey(world, account, region, ebs.KmsKeyId);
        if (!key || key.region !== region || !canUseKey(key, account, 'Encrypt')) kmsKeyUnusable = true;
        kmsKeyId = key?.key.arn ?? ebs.KmsKeyId;
      } else if (fromEncrypted && base?.kmsKeyId) {
        // Without a key the volume keeps the snapshot's (a shared image's key must be usable by the launcher).
        kmsKeyId = base.kmsKeyId;
      } else {
        kmsKeyId = defaultEbsKey(world, account, region).arn;
      }
    }
    volumes.push({
      deviceName,
      volumeId: world.nextId('vol'),
      size,
      volumeType: type,
      iops: performance.iops,
      throughput: performance.throughput,
      encrypted,
      kmsKeyId,
      snapshotId,
      deleteOnTermination: ebs.DeleteOnTermination ?? (base ? base.deleteOnTermination : true),
    });
  }
  volumes.sort((a, b) => deviceOrder(a, b, image.rootDeviceName));
  return { volumes, kmsKeyUnusable };
}

// ---------------------------------------------------------------------------------------------------- CreateImage

export interface ImageDeviceSpec {
  deviceName: string;
  /** The instance volume to snapshot. */
  volume: VolumeRecord;
  size: number;
  volumeType: string;
  iops?: number;
  throughput?: number;
  deleteOnTermination: boolean;
}

/**
 * The mappings CreateImage records: one per instance volume (its type, IOPS, throughput, encryption and key), with
 * CreateImage's own BlockDeviceMappings overriding size (never below the volume), type, IOPS, throughput and
 * DeleteOnTermination, or excluding devices (`NoDevice`). CreateImage takes no KmsKeyId and
 * cannot change encryption: an image's snapshots are encrypted exactly as the instance's volumes.
 */
export function imageDevices(instance: InstanceRecord, mappings: BlockDeviceMapping[] | undefined): ImageDeviceSpec[] {
  const root = instance.volumes[0]?.deviceName;
  const devices = new Map<string, ImageDeviceSpec>();
  for (const v of instance.volumes) {
    devices.set(v.deviceName, { deviceName: v.deviceName, volume: v, size: v.size, volumeType: v.volumeType, iops: v.iops, throughput: v.throughput, deleteOnTermination: v.deleteOnTermination ?? true });
  }
  for (const m of mappings ?? []) {
    if (!m.DeviceName) fail('MissingParameter', 'The request must contain the parameter BlockDeviceMapping.DeviceName');
    if (m.NoDevice !== undefined) {
      if (m.DeviceName === root) fail('InvalidBlockDeviceMapping', `The device '${m.DeviceName}' is the root device and cannot be excluded. (message: assumption)`);
      devices.delete(m.DeviceName);
      continue;
    }
    const ebs = m.Ebs;
    if (!ebs) continue;
    if (ebs.KmsKeyId !== undefined) fail('InvalidParameterCombination', 'The parameter KmsKeyId is not supported for CreateImage. (message: assumption)');
    const current = devices.get(m.DeviceName);
    // EC2 lets CreateImage map new empty volumes; the simulation records only snapshots of the instance's volumes.
    if (!current) fail('InvalidBlockDeviceMapping', `The simulated account does not map new empty volumes at CreateImage (${m.DeviceName}); attach the volume at RunInstances instead.`);
    if (ebs.Encrypted !== undefined) {
      fail('InvalidParameterCombination', `Encrypted cannot be specified for ${m.DeviceName}, which is created from a volume of the instance. (message: assumption)`);
    }
    if (ebs.VolumeSize !== undefined && ebs.VolumeSize < current.volume.size) {
      fail('InvalidBlockDeviceMapping', `Volume of size ${ebs.VolumeSize}GB is smaller than snapshot of ${m.DeviceName}, expect size >= ${current.volume.size}GB`);
    }
    const type = ebs.VolumeType ?? current.volumeType;
    const size = ebs.VolumeSize ?? current.size;
    const keep = type === current.volumeType;
    const performance = checkVolume({ type, size, iops: ebs.Iops ?? (keep ? current.iops : undefined), throughput: ebs.Throughput ?? (keep ? current.throughput : undefined) });
    devices.set(m.DeviceName, {
      deviceName: m.DeviceName,
      volume: current.volume,
      size,
      volumeType: type,
      iops: performance.iops,
      throughput: performance.throughput,
      deleteOnTermination: ebs.DeleteOnTermination ?? current.deleteOnTermination,
    });
  }
  return [...devices.values()].sort((a, b) => deviceOrder(a, b, root ?? ''));
}

// ---------------------------------------------------------------------------------------------------- DescribeVolumes

function volumeOut(instance: InstanceRecord, v: VolumeRecord, region: string): Volume {
  const attached = instance.state !== 'terminated';
  return {
    VolumeId: v.volumeId,
    Size: v.size,
    VolumeType: v.volumeType as VolumeType,
    Iops: v.iops,
    Throughput: v.throughput,
    Encrypted: v.encrypted,
    KmsKeyId: v.kmsKeyId,
    SnapshotId: v.snapshotId ?? '',
    AvailabilityZone: `${region}a`,
    CreateTime: new Date(instance.launchTime),
    State: attached ? 'in-use' : 'deleted',
    Attachments: attached
      ? [{ VolumeId: v.volumeId, InstanceId: instance.instanceId, Device: v.deviceName, State: 'attached', AttachTime: new Date(instance.launchTime), DeleteOnTermination: v.deleteOnTermination ?? true }]
      : [],
    MultiAttachEnabled: false,
  };
}

const VOLUME_FILTERS = ['volume-id', 'attachment.instance-id', 'attachment.device', 'volume-type', 'encrypted', 'size', 'snapshot-id', 'status'];

/** Volumes of the caller's instances (volumes exist here only attached to instances). */
export const describeVolumes: Operation<DescribeVolumesCommandInput, DescribeVolumesCommandOutput> = async (ctx, input) => {
  const filters = parseFilters(input.Filters, VOLUME_FILTERS);
  const all: Volume[] = [];
  for (const instance of Object.values(ctx.regionState.instances)) {
    if (instance.state === 'terminated') continue;
    for (const v of instance.volumes) {
      const out = volumeOut(instance, v, ctx.region);
      const ok = filters.every((f) => {
        const tag = tagFilterMatches(f, {});
        if (tag !== undefined) return tag;
        switch (f.name) {
          case 'volume-id': return anyMatches(f.values, v.volumeId);
          case 'attachment.instance-id': return anyMatches(f.values, instance.instanceId);
          case 'attachment.device': return anyMatches(f.values, v.deviceName);
          case 'volume-type': return anyMatches(f.values, v.volumeType);
          case 'encrypted': return anyMatches(f.values, String(v.encrypted));
          case 'size': return anyMatches(f.values, String(v.size));
          case 'snapshot-id': return anyMatches(f.values, v.snapshotId);
          case 'status': return anyMatches(f.values, out.State);
          default: return false;
        }
      });
      if (ok) all.push(out);
    }
  }
  const ids = input.VolumeIds ?? [];
  const missing = ids.filter((id) => !all.some((v) => v.VolumeId === id));
  if (missing.length > 0) fail('InvalidVolume.NotFound', `The volume '${missing.join(', ')}' does not exist.`);
  const selected = ids.length > 0 ? all.filter((v) => ids.includes(v.VolumeId ?? '')) : all;
  const page = paginate(selected, input, {
    defaultMax: 1000,
    minLimit: 5,
    maxLimit: 1000,
    invalidTokenCode: 'InvalidParameterValue',
    invalidParameterCode: 'InvalidParameterValue',
    queryFingerprint: JSON.stringify([input.Filters ?? [], ids]),
  });
  return { Volumes: page.items, NextToken: page.nextToken };
};
