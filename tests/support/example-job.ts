/** The reschedule page's example job, as the API's text and parsed, for the unit tests of the client and its rules. */
import type { Job } from "../../provider/api/types";

const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";

/** The example job of the reschedule page, with the view's real snapshot id (beyond 2^53) and a field the types do not know. */
export function jobText(fields: Record<string, string> = {}): string {
  const state = fields["state"] ?? "completed";
  const updatedAt = fields["updated_at"] ?? "2023-10-31T11:25:08.327209";
  const executor = fields["executor"] ?? '"job-executor-98e1f48e-bf54-4f11-bbd1-73c445120266"';
  return (
    `{\n  "job_id": "${fields["job_id"] ?? JOB_ID}",\n  "data_plane_id": "f79cbdae-4848-47ca-95e8-69588364d185",\n` +
    `  "state": "${state}",  "type": "materialize-view",\n` +
    `  "input": {"nql": "CREATE MATERIALIZED VIEW \\"test_stats\\" AS SELECT 1", "dataset_id": 10736},\n` +
    `  "executor": ${executor},\n` +
    `  "result": {"dataset_id": 10736, "snapshot_id": 1724919539450264583, "recalculation_id": "abf9a2ec-426b-4751-bd16-fcb435061925"},\n` +
    `  "future_field": {"nested": [1, 2.50, "x"]},\n` +
    `  "created_at": "2023-10-31T11:19:13.400498", "updated_at": "${updatedAt}"\n}`
  );
}

/** The example job as parsed: the job before a reschedule. */
export const BASELINE: Job = JSON.parse(jobText()) as Job;
