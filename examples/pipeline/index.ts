/**
 * Re-run a Narrative I/O job when the SQL it runs changes, from CI: a pull request's `pulumi preview` shows
 * the rerun a merge would cause, and `pulumi up` on main performs it. See .github/workflows/narrative.yml and
 * .gitlab-ci.yml.
 *
 * The triggers are the content of sql/*.sql and the git commit that last changed them, so the rerun happens
 * exactly when the SQL changes (not on every commit), and the stored triggers name the commit responsible.
 *
 *   npm install pulumi-narrative-jobs @pulumi/pulumi
 *   npm install --save-dev typescript@5 ts-node@10 @types/node@20   # Pulumi runs index.ts through ts-node
 *   pulumi config set --secret narrative:token <your Narrative API key>
 *   pulumi config set jobId <the job that builds the view>
 */
import * as pulumi from "@pulumi/pulumi";
import * as narrative from "pulumi-narrative-jobs";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

const SQL_DIR = path.join(__dirname, "sql");

/**
 * One hash over every *.sql file's name and content, in name order. Line endings are normalized so that a
 * Windows checkout (CRLF) and a Linux runner (LF) agree, or every machine would see a different trigger.
 */
function sqlHash(dir: string): string {
  const hash = createHash("sha256");
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".sql"))
    .sort();
  if (files.length === 0) {
    throw new Error(`no *.sql files in ${dir}: the job's triggers would not follow its SQL`);
  }
  for (const name of files) {
    const text = readFileSync(path.join(dir, name), "utf8").replace(/\r\n/g, "\n");
    hash.update(`${name}\0${text}\0`);
  }
  return `sha256:${hash.digest("hex")}`;
}

/**
 * The commit that last changed the SQL, rather than HEAD: unrelated commits must not rerun the job. This needs
 * the history, so CI checkouts must not be shallow (fetch-depth: 0 on GitHub, GIT_DEPTH: 0 on GitLab).
 */
function lastCommitTouching(dir: string): string {
  let commit: string;
  try {
    commit = execFileSync("git", ["log", "-1", "--format=%H", "--", "."], {
      cwd: dir,
      encoding: "utf8",
    }).trim();
  } catch (error) {
    throw new Error(`cannot read the git history of ${dir} (is this a git checkout?): ${String(error)}`);
  }
  // A file that is new and not committed yet: the content hash alone carries the change.
  return commit === "" ? "uncommitted" : commit;
}

const config = new pulumi.Config();

const rerun = new narrative.JobRerun("audience-view", {
  jobId: config.require("jobId"),
  triggers: { sql: sqlHash(SQL_DIR), commit: lastCommitTouching(SQL_DIR) },
});

export const jobState = rerun.state;
export const outcome = rerun.outcome.apply((value) => value ?? "not rescheduled yet");
export const rescheduleCount = rerun.rescheduleCount;
export const triggeredBy = rerun.triggers;
