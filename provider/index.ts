/**
 * pulumi-narrative-jobs: re-run a Narrative I/O job from a Pulumi deployment.
 *
 * The public surface is this file. The provider implementation (`pulumi-narrative-jobs/provider`) is loaded
 * by the Pulumi engine, not by programs; the API simulator is exported separately as
 * `pulumi-narrative-jobs/simulator`.
 */
export { JobRerun, type JobRerunArgs } from "./hosts/dynamic/resource";
export {
  getJob,
  getJobOutput,
  type GetJobArgs,
  type GetJobOutputArgs,
  type GetJobOptions,
  type GetJobOutputOptions,
  type GetJobResult,
} from "./hosts/dynamic/functions";
export type { JobRerunOutputs, JobRerunStatus, RerunOutcome, StoredOutputs } from "./jobrerun/decisions";
export type { DatasetSelector, JobRerunInputValues, OnUnrecordedRun, WaitFor } from "./jobrerun/inputs";
export {
  NarrativeJobsClient,
  type NarrativeClientOptions,
  type FetchedJob,
  type RescheduleResult,
  type RetryEvent,
} from "./api/client";
export {
  NarrativeError,
  NarrativeApiError,
  NarrativeTimeoutError,
  NarrativeNetworkError,
  NarrativeConfigError,
  NarrativeStateError,
} from "./api/errors";
export type {
  Job,
  JobState,
  KnownJobState,
  JobFailure,
  JobPage,
  JobOrder,
  JsonValue,
  ListJobsFilters,
  RescheduleOutcome,
  RescheduleResponse,
} from "./api/types";
export { isTerminalJobState, TERMINAL_JOB_STATES } from "./api/types";
