/**
 * Limits a pipeline configuration can run into, in one place, each with its source. The validator enforces
 * them so a config that AWS would refuse halfway through a run (CreateTags with a 51st tag, ModifyImageAttribute
 * with a 1,001st account) is refused at `gami validate` instead. Figures that are AWS quotas name the AWS page;
 * figures chosen here say so ("assumption") and why.
 */
import { TAG } from './tags';

/** Tags per resource, user tags and the pipeline's own together. EC2 User Guide, "Tag restrictions". */
export const MAX_TAGS_PER_RESOURCE = 50;
/** Tag key length in Unicode characters. EC2 User Guide, "Tag restrictions". */
export const MAX_TAG_KEY_LENGTH = 128;
/** Tag value length in Unicode characters. EC2 User Guide, "Tag restrictions". */
export const MAX_TAG_VALUE_LENGTH = 256;
/** Reserved tag key prefix, in any case. EC2 User Guide, "Tag restrictions": "reserved for AWS use". */
export const RESERVED_TAG_PREFIX = 'aws:';

/**
 * Tags the pipeline itself puts on an image (and its copies): `Name` and the lineage tags of
 * `tasks/createImage` (`lineageTags`), plus the source tags a copy gets in another region.
 */
export const PIPELINE_IMAGE_TAG_KEYS = [
  'Name',
  TAG.pipeline,
  TAG.version,
  TAG.execution,
  TAG.baseImage,
  TAG.components,
  TAG.createdAt,
  TAG.status,
  TAG.sourceImage,
  TAG.sourceRegion,
] as const;
/** Tags the pipeline itself puts on a builder or test instance and its volumes (`tasks/launchInstance`). */
export const PIPELINE_INSTANCE_TAG_KEYS = ['Name', TAG.pipeline, TAG.execution, TAG.purpose, TAG.version] as const;
/** User tags that fit beside the pipeline's own on every resource that gets both. */
export const MAX_USER_TAGS = MAX_TAGS_PER_RESOURCE - Math.max(PIPELINE_IMAGE_TAG_KEYS.length, PIPELINE_INSTANCE_TAG_KEYS.length);

/**
 * Entities (accounts, organizations, OUs together) an image's launch permission may name, per Region.
 * EC2 User Guide, "Amazon EC2 AMI quotas" (ami-quotas): share with an organization or OU beyond that.
 */
export const MAX_LAUNCH_PERMISSION_ENTITIES = 1000;

/** Security groups per network interface (default quota; adjustable to 16). Amazon VPC User Guide, "Amazon VPC quotas". */
export const MAX_SECURITY_GROUPS_PER_INTERFACE = 5;

/** SSM parameter name length, path included. AWS Systems Manager User Guide, "Parameter Store quotas" / naming constraints. */
export const MAX_SSM_PARAMETER_NAME_LENGTH = 2048;
/** Levels of an SSM parameter hierarchy. AWS Systems Manager User Guide, "Working with parameter hierarchies". */
export const MAX_SSM_PARAMETER_LEVELS = 15;

/** AMI name length (3-128 characters). Amazon EC2 API Reference, CreateImage `Name`. */
export const MAX_AMI_NAME_LENGTH = 128;

/** Largest gp3 (and gp2) volume, in GiB: 16 TiB. Amazon EBS User Guide, "Amazon EBS volume types". */
export const MAX_VOLUME_SIZE_GIB = 16384;

/**
 * Regions copied at the same time: each CopyImage copies the snapshots, and a destination Region takes at most
 * 20 concurrent snapshot copies (ResourceLimitExceeded above). Amazon EBS User Guide, "Copy an Amazon EBS snapshot".
 */
export const MAX_CONCURRENT_SNAPSHOT_COPIES = 20;

/**
 * Time-based copy (CopyImage SnapshotCopyCompletionDurationMinutes): 15 minutes to 48 hours, in 15-minute steps.
 * Amazon EBS User Guide, "Time-based copies".
 */
export const MIN_TIME_BASED_COPY_MINUTES = 15;
export const MAX_TIME_BASED_COPY_MINUTES = 48 * 60;
export const TIME_BASED_COPY_STEP_MINUTES = 15;

/**
 * Components per pipeline. EC2 Image Builder allows 20 build and test components per recipe (Image Builder API,
 * ImageRecipe/ContainerRecipe `components`); adopted here as the same bound for the same kind of document list.
 */
export const MAX_COMPONENTS = 20;

/** Step Functions: largest input or output of a state, task or execution. Step Functions service quotas. */
export const STATE_PAYLOAD_BYTES = 256 * 1024;

/**
 * Scan gate exceptions. Assumption: the exceptions travel in the Evaluate Scan Gate task's input, which must
 * stay under STATE_PAYLOAD_BYTES with the findings beside it; 100 exceptions of at most
 * MAX_EXCEPTION_REASON_LENGTH characters take about 120 KiB.
 */
export const MAX_SCAN_EXCEPTIONS = 100;
/** Assumption: a reason is a sentence or a paragraph, not a document (see MAX_SCAN_EXCEPTIONS). */
export const MAX_EXCEPTION_REASON_LENGTH = 1000;

/**
 * Approvers per pipeline. Assumption: each approver gets a personal signed link and a stored decision slot in
 * the approval state; 50 keeps that state far under STATE_PAYLOAD_BYTES and is more people than any approval
 * of one image needs (minApprovals is at most 10).
 */
export const MAX_APPROVERS = 50;

/** Notification email subscriptions. Assumption: a team list, not a mailing system; keeps the stack small. */
export const MAX_NOTIFICATION_EMAILS = 50;

/** Launch templates updated per run. Assumption: one Map iteration each; keeps the definition and history small. */
export const MAX_LAUNCH_TEMPLATES = 100;

/** Auto Scaling groups refreshed per launch template. Assumption, as MAX_LAUNCH_TEMPLATES. */
export const MAX_AUTO_SCALING_GROUPS_PER_TEMPLATE = 50;

/**
 * The whole configuration, as JSON. Assumption: the configuration is embedded in the state machine definition
 * (a Step Functions API request is at most 1 MB, Step Functions service quotas) and parts of it travel in
 * state payloads (STATE_PAYLOAD_BYTES); a quarter of the payload quota leaves room for everything else.
 */
export const MAX_CONFIG_JSON_BYTES = 64 * 1024;

/** A pipeline or component file on disk. Assumption: four times MAX_CONFIG_JSON_BYTES allows for comments. */
export const MAX_FILE_BYTES = 256 * 1024;

/**
 * YAML aliases resolved per file, weighted by the size of what they repeat: an "alias bomb" (billion laughs)
 * expands exponentially. The `yaml` package's own default for `maxAliasCount`.
 */
export const MAX_YAML_ALIAS_COUNT = 100;
