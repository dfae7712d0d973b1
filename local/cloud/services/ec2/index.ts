/** Every simulated EC2 operation, by command name. */
import * as allowedImages from './allowed-images';
import * as images from './images';
import * as instances from './instances';
import * as launchTemplates from './launch-templates';
import * as regions from './regions';
import * as snapshots from './snapshots';
import * as tags from './tags';
import { describeTags } from './describe-tags';
import * as volumes from './volumes';

export const ec2Operations = {
  RunInstances: instances.runInstances,
  DescribeInstances: instances.describeInstances,
  StartInstances: instances.startInstances,
  StopInstances: instances.stopInstances,
  TerminateInstances: instances.terminateInstances,
  CreateImage: images.createImage,
  RegisterImage: images.registerImage,
  DescribeImages: images.describeImages,
  CopyImage: images.copyImage,
  ModifyImageAttribute: images.modifyImageAttribute,
  DescribeImageAttribute: images.describeImageAttribute,
  EnableImageDeprecation: images.enableImageDeprecation,
  DisableImageDeprecation: images.disableImageDeprecation,
  EnableImageDeregistrationProtection: images.enableImageDeregistrationProtection,
  DisableImageDeregistrationProtection: images.disableImageDeregistrationProtection,
  DeregisterImage: images.deregisterImage,
  AttachImageWatermark: images.attachImageWatermark,
  DetachImageWatermark: images.detachImageWatermark,
  GetImageBlockPublicAccessState: images.getImageBlockPublicAccessState,
  EnableImageBlockPublicAccess: images.enableImageBlockPublicAccess,
  DisableImageBlockPublicAccess: images.disableImageBlockPublicAccess,
  DescribeImageReferences: images.describeImageReferences,
  GetAllowedImagesSettings: allowedImages.getAllowedImagesSettings,
  EnableAllowedImagesSettings: allowedImages.enableAllowedImagesSettings,
  DisableAllowedImagesSettings: allowedImages.disableAllowedImagesSettings,
  ReplaceImageCriteriaInAllowedImagesSettings: allowedImages.replaceImageCriteriaInAllowedImagesSettings,
  DescribeRegions: regions.describeRegions,
  CreateTags: tags.createTags,
  DeleteTags: tags.deleteTags,
  DescribeTags: describeTags,
  DescribeSnapshots: snapshots.describeSnapshots,
  DescribeVolumes: volumes.describeVolumes,
  ModifySnapshotAttribute: snapshots.modifySnapshotAttribute,
  DeleteSnapshot: snapshots.deleteSnapshot,
  CreateLaunchTemplate: launchTemplates.createLaunchTemplate,
  CreateLaunchTemplateVersion: launchTemplates.createLaunchTemplateVersion,
  ModifyLaunchTemplate: launchTemplates.modifyLaunchTemplate,
  DescribeLaunchTemplates: launchTemplates.describeLaunchTemplates,
  DescribeLaunchTemplateVersions: launchTemplates.describeLaunchTemplateVersions,
};
