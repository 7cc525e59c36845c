-- The materialized view the job builds. Editing this file (or any *.sql here) re-runs the job on the next
-- `pulumi up` on main; the pull request's `pulumi preview` shows that rerun first.
CREATE MATERIALIZED VIEW "test_stats" AS
SELECT
  "value"
FROM "company_data"."10674"
