/**
 * Pulumi YAML programs for the end-to-end files: one JobRerun named `rerun` whose job, triggers and wait come from
 * the stack's config (jobId, sqlHash, waitFor), as the language scenarios (language-scenarios.ts) expect.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { E2E_ROOT, PulumiWorkspace, REPO_ROOT } from "../../scripts/pulumi-harness";

/** The plugin's directory as `npm install` leaves it in a project (scripts/link-self.js does the same here). */
export const PLUGIN_DIR = path.join(REPO_ROOT, "node_modules", ".bin");

/**
 * A YAML program with one JobRerun and every output a test reads, its plugin found in `pluginDir` (the project's
 * `plugins.providers`).
 */
export function yamlProgram(project: string, pluginDir = PLUGIN_DIR): string {
  return `name: ${project}
runtime: yaml
plugins:
  providers:
    - name: narrative
      path: ${JSON.stringify(pluginDir)}
config:
  jobId:
    type: string
  sqlHash:
    type: string
  waitFor:
    type: string
    default: none
resources:
  rerun:
    type: narrative:index:JobRerun
    properties:
      jobId: \${jobId}
      triggers:
        sql: \${sqlHash}
      waitFor: \${waitFor}
outputs:
  outcome: \${rerun.outcome}
  state: \${rerun.state}
  rescheduleCount: \${rerun.rescheduleCount}
  unfinishedRun: \${rerun.unfinishedRun}
  snapshotId: \${rerun.job["result"]["snapshot_id"]}
  jobJson: \${rerun.jobJson}
`;
}

/** A workspace for a YAML project: its directory under .e2e/ with the program written before `stack init`. */
export async function yamlWorkspace(project: string, program: string): Promise<PulumiWorkspace> {
  await fs.mkdir(E2E_ROOT, { recursive: true });
  const dir = await fs.mkdtemp(path.join(E2E_ROOT, `${project}-`));
  await fs.writeFile(path.join(dir, "Pulumi.yaml"), program);
  return PulumiWorkspace.create({ project, dir, existingProject: true, removeDir: true });
}
