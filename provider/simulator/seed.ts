/**
 * The jobs a simulator starts with unless it is given its own. Kept as JSON text, not as an object literal,
 * because the example job's `snapshot_id` (1724919539450264600) is beyond Number.MAX_SAFE_INTEGER: a literal
 * would be rounded by the compiler, the text is parsed losslessly.
 *
 * The first job is the reschedule page's example, verbatim (its backticks are written \u0060 only because
 * this is a template literal). The others vary the shapes the API documents: a running job, a failed job with
 * `failures`, a pending job, a job started by a process with no data plane, and a cancelled job carrying fields
 * the docs do not list (to prove that unknown fields survive).
 */

/** Ids of the seeded jobs, by what each one is there to show. */
export const SEEDED_JOB_IDS = {
  /** The reschedule page's example: completed materialize-view with a snapshot_id beyond 2^53. */
  completed: "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c",
  /** A materialize-view job in progress on an executor. */
  running: "f657fe8f-65c3-47ef-b496-7a40a36ceca1",
  /** A delivery that failed, with one entry in `failures`. */
  failed: "62810909-9c32-4427-907a-61d75eeb85ba",
  /** A forecast waiting for an executor. */
  pending: "38fa10e8-65c6-4596-9203-90977cb309dd",
  /** Started by a process (`request_source.type: "process"`), with no `data_plane_id`. */
  fromProcess: "01ac5730-9eda-4f78-b091-b64e98b0214c",
  /** A cancelled training run with fields the docs do not list (`priority`, `labels`, `cost_estimate`). */
  withUnknownFields: "f779bf3b-34dd-4bac-be68-f71b0a058f85",
} as const;

export const SEED_JOBS_JSON = String.raw`[
  {
    "job_id": "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c",
    "data_plane_id": "f79cbdae-4848-47ca-95e8-69588364d185",
    "request_source": {
      "type": "api_user",
      "company_id": 1,
      "user_id": 407
    },
    "state": "completed",
    "type": "materialize-view",
    "input": {
      "nql": "CREATE MATERIALIZED VIEW \"test_stats\" AS SELECT \"value\" FROM \"company_data\".\"10674\"",
      "dataset_id": 10736,
      "stats_enabled": true,
      "compiled_select": "SELECT\n  \u0060ds_10674\u0060.\u0060value\u0060\nFROM\n  narrative.datasets.ds_10674 \u0060ds_10674\u0060"
    },
    "executor": "job-executor-98e1f48e-bf54-4f11-bbd1-73c445120266",
    "idempotency_key": "10736:29329c64e7b8a4eda86aaabe04872b832ab456b5543d0c259c812525391f158c:669a5f8e4f373c2f907700decde47511aac6470f5698e2b856fb07f09160e5f2",
    "result": {
      "dataset_id": 10736,
      "snapshot_id": 1724919539450264600,
      "recalculation_id": "abf9a2ec-426b-4751-bd16-fcb435061925"
    },
    "created_at": "2023-10-31T11:19:13.400498",
    "updated_at": "2023-10-31T11:25:08.327209",
    "ended_at": "2023-10-31T11:25:08.327194"
  },
  {
    "job_id": "f657fe8f-65c3-47ef-b496-7a40a36ceca1",
    "data_plane_id": "f79cbdae-4848-47ca-95e8-69588364d185",
    "request_source": {
      "type": "api_user",
      "company_id": 1,
      "user_id": 407
    },
    "state": "running",
    "type": "materialize-view",
    "input": {
      "nql": "CREATE MATERIALIZED VIEW \"daily_visits\" AS SELECT \"visit_date\", COUNT(*) AS \"visits\" FROM \"company_data\".\"10736\" GROUP BY \"visit_date\"",
      "dataset_id": 10741,
      "stats_enabled": false,
      "compiled_sql": "SELECT visit_date, COUNT(*) AS visits FROM narrative.datasets.ds_10736 GROUP BY visit_date"
    },
    "executor": "job-executor-aad89332-5f9e-40c2-8c7c-73c9068e2c52",
    "execution_cluster": "dedicated",
    "idempotency_key": "10741:5d0c3e9a8f1b27c64e05d9a3b8f7e2c1d4a6b9e0f3c2d5a8b7e4f1c0d9a6b3e2",
    "result": null,
    "created_at": "2023-11-02T08:02:41.118230",
    "updated_at": "2023-11-02T08:02:44.902117",
    "ended_at": null
  },
  {
    "job_id": "62810909-9c32-4427-907a-61d75eeb85ba",
    "data_plane_id": "f79cbdae-4848-47ca-95e8-69588364d185",
    "request_source": {
      "type": "api_user",
      "company_id": 1,
      "user_id": 512
    },
    "state": "failed",
    "type": "datasets_deliver_data",
    "input": {
      "dataset_id": 10736,
      "connection_id": "c97d3a37-ebec-49e9-8b91-2b346e124ee3",
      "snapshot_id": 1724919539450264600
    },
    "executor": "job-executor-ed7e7e2e-84c4-4eff-b1f2-c3aaf7c6d573",
    "failures": [
      {
        "message": "Destination rejected the write: access denied on bucket \"acme-exports\"",
        "timestamp": "2023-11-01T17:45:12.331904",
        "value": "S3Exception: Access Denied (Service: S3, Status Code: 403)"
      }
    ],
    "idempotency_key": "deliver:10736:c97d3a37-ebec-49e9-8b91-2b346e124ee3",
    "result": null,
    "created_at": "2023-11-01T17:44:03.774512",
    "updated_at": "2023-11-01T17:45:12.332061",
    "ended_at": "2023-11-01T17:45:12.332017"
  },
  {
    "job_id": "38fa10e8-65c6-4596-9203-90977cb309dd",
    "data_plane_id": "bfc177b1-413d-4ab7-bf5a-c04fbaa891b5",
    "request_source": {
      "type": "api_user",
      "company_id": 1,
      "user_id": 407
    },
    "state": "pending",
    "type": "nql-forecast",
    "input": {
      "nql": "EXPLAIN FORECAST SELECT \"value\" FROM \"company_data\".\"10674\" WHERE \"country\" = 'FR'"
    },
    "idempotency_key": "forecast:817db1a4-c5da-4070-bdcb-ba877641920d",
    "result": null,
    "created_at": "2023-11-03T09:30:00.125000",
    "updated_at": "2023-11-03T09:30:00.125000"
  },
  {
    "job_id": "01ac5730-9eda-4f78-b091-b64e98b0214c",
    "request_source": {
      "type": "process",
      "name": "dataset-stats-refresher"
    },
    "state": "completed",
    "type": "datasets_calculate_column_stats",
    "input": {
      "dataset_id": 10674
    },
    "executor": "job-executor-4a1417cb-ca14-4309-b471-f04bbef5c665",
    "execution_cluster": "shared",
    "idempotency_key": "column-stats:10674:2023-10-30",
    "result": {
      "columns_analyzed": 12,
      "row_count": 48213377
    },
    "created_at": "2023-10-30T02:00:00.004211",
    "updated_at": "2023-10-30T02:03:17.662390",
    "ended_at": "2023-10-30T02:03:17.662375"
  },
  {
    "job_id": "f779bf3b-34dd-4bac-be68-f71b0a058f85",
    "data_plane_id": "f79cbdae-4848-47ca-95e8-69588364d185",
    "request_source": {
      "type": "api_user",
      "company_id": 1,
      "user_id": 407
    },
    "state": "cancelled",
    "type": "model_training_run",
    "input": {
      "dataset_id": 10741,
      "model": "churn-propensity",
      "hyperparameters": { "learning_rate": 0.05, "max_depth": 6 }
    },
    "priority": "low",
    "labels": { "team": "growth", "ticket": "DATA-1289" },
    "cost_estimate": { "credits": 12.5, "currency": null, "breakdown": [4.25, 8.25] },
    "idempotency_key": "training:783b4e81-609a-4cbd-b672-bfab399be628",
    "result": null,
    "created_at": "2023-10-29T15:12:48.900001",
    "updated_at": "2023-10-29T15:20:02.000117",
    "ended_at": "2023-10-29T15:20:02.000098"
  }
]
`;
