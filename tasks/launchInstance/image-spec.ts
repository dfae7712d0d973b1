/**
 * The builder's block device mappings from the pipeline's image spec, and the checks that need the base image
 * (the validator cannot see AWS): the root volume at least the base image's root snapshot, the base image's boot
 * mode and NitroTPM support as configured (EC2 copies both at CreateImage and sets them only at RegisterImage,
 * which this pipeline does not call — so a base image without them cannot make an image with them).
 */
import type { BlockDeviceMapping, Image, VolumeType } from '@aws-sdk/client-ec2';
import type { ImageSpec } from '../../pipeline/image-spec';

/** Why `base` cannot be built into an image of `spec`, or undefined. Messages name the config field. */
export function baseImageMismatch(base: Image, spec: ImageSpec): string | undefined {
  const id = base.ImageId ?? 'the base image';
  const root = base.BlockDeviceMappings?.find((m) => m.DeviceName === base.RootDeviceName)?.Ebs;
  const wanted = spec.rootVolume.sizeGiB;
  if (wanted !== undefined && root?.VolumeSize !== undefined && wanted < root.VolumeSize) {
    return `image.rootVolume.sizeGiB (${wanted}) is smaller than the root snapshot ${root.SnapshotId ?? ''} of base image ${id} (${root.VolumeSize} GiB): set at least ${root.VolumeSize} or leave it unset`;
  }
  // An AMI without a boot mode boots the instance type's default: legacy BIOS on x86, UEFI on arm64.
  const baseMode = base.BootMode ?? (base.Architecture === 'arm64' ? 'uefi' : 'legacy-bios');
  if (spec.bootMode && spec.bootMode !== baseMode) {
    return (
      `image.bootMode is ${spec.bootMode} but base image ${id} has boot mode ${baseMode}${base.BootMode ? '' : ' (none set: the architecture default)'}; ` +
      `EC2 copies the boot mode at CreateImage and sets it only at RegisterImage, which this pipeline does not do: choose a base image with boot mode ${spec.bootMode} or set image.bootMode: ${baseMode}`
    );
  }
  if (spec.tpmSupport && base.TpmSupport !== spec.tpmSupport) {
    return (
      `image.tpmSupport is ${spec.tpmSupport} but base image ${id} has no NitroTPM support; EC2 sets TpmSupport only at RegisterImage, ` +
      'which this pipeline does not do: choose a base image with TpmSupport v2.0'
    );
  }
  return undefined;
}

/** RunInstances mappings: the root on the base image's root device, then each data volume, all encrypted as configured. */
export function launchMappings(rootDeviceName: string, spec: ImageSpec): BlockDeviceMapping[] {
  const encryption = spec.encrypted ? { Encrypted: true, ...(spec.kmsKeyAlias ? { KmsKeyId: spec.kmsKeyAlias } : {}) } : {};
  return imageMappings(rootDeviceName, spec).map((m) => ({ ...m, Ebs: { ...m.Ebs, ...encryption } }));
}

/** The mappings without encryption (CreateImage takes none: snapshots are encrypted as the volumes are). */
export function imageMappings(rootDeviceName: string, spec: ImageSpec): BlockDeviceMapping[] {
  const root = spec.rootVolume;
  return [
    {
      DeviceName: rootDeviceName,
      Ebs: {
        ...(root.sizeGiB !== undefined ? { VolumeSize: root.sizeGiB } : {}),
        VolumeType: root.type as VolumeType,
        ...(root.iops !== undefined ? { Iops: root.iops } : {}),
        ...(root.throughputMiBps !== undefined ? { Throughput: root.throughputMiBps } : {}),
        DeleteOnTermination: true,
      },
    },
    ...spec.dataVolumes.map((v) => ({
      DeviceName: v.deviceName,
      Ebs: {
        VolumeSize: v.sizeGiB,
        VolumeType: v.type as VolumeType,
        ...(v.iops !== undefined ? { Iops: v.iops } : {}),
        ...(v.throughputMiBps !== undefined ? { Throughput: v.throughputMiBps } : {}),
        DeleteOnTermination: v.deleteOnTermination,
      },
    })),
  ];
}
