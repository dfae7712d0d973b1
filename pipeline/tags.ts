/** Tag keys the pipeline writes on everything it creates: lineage an auditor can follow from any image. */
export const TAG = {
  pipeline: 'gami:pipeline',
  version: 'gami:version',
  execution: 'gami:execution',
  baseImage: 'gami:base-image',
  components: 'gami:components',
  createdAt: 'gami:created-at',
  purpose: 'gami:purpose',
  status: 'gami:status',
  sourceImage: 'gami:source-image',
  sourceRegion: 'gami:source-region',
} as const;

/**
 * Values of the gami:status tag through an image's life: building → testing → awaiting-approval (Request
 * Approval) → distributing (after the approval decision, or when no approval is required) → approved (set by
 * the last distribution step) → deprecated → retired; a failed run's image: rejected, or expired when nobody
 * decided in time. Copies: `pending-approval` while a speculative copy
 * waits for the approval, `distributing` from the approval until the last distribution step tags them `approved`.
 */
export const IMAGE_STATUS = ['building', 'testing', 'awaiting-approval', 'pending-approval', 'distributing', 'rejected', 'expired', 'approved', 'published', 'deprecated', 'retired'] as const;
export type ImageStatus = (typeof IMAGE_STATUS)[number];
