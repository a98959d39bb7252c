/**
 * Export and import: copy a project to a Weave server (`exportProject`), pull one from it
 * (`importProject`), or move it as a file (`exportBundle` / `importBundle`).
 */
export { exportProject, type ExportProjectOptions, type ExportResult } from "./export-project";
export { importProject, type ImportProjectOptions } from "./import-project";
export { exportBundle, type ExportBundleOptions } from "./export-bundle";
export { importBundle, readBundle, type ImportBundleOptions, type ImportBundleResult } from "./import-bundle";
export { BUNDLE_FORMAT, BUNDLE_VERSION, type BundleCounts, type BundleHeader, type BundleRecord, type BundleTrailer } from "./bundle-format";
export { indexedDbStateStore, memoryStateStore, type ExportStateStore, type IndexedDbStateStoreOptions, type StateEntry, type StateKind } from "./state-store";
export { EXPORT_KINDS, type ExportKind, type ExportProgress, type ProgressCounts, type ProgressListener } from "./progress";
export { DEFAULT_BATCH_LIMITS, type BatchLimits } from "./batching";
export type { ReplicateResult } from "./replicate";
export type { ExportTarget } from "./replicator";
export type { CallSelection, PlanSource } from "./plan";
