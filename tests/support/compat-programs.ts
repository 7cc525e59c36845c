/**
 * The Pulumi programs of the compatibility suite: one JobRerun whose job id and triggers come from the stack
 * configuration, as in the end-to-end tests (tests/support/e2e-programs.ts), written as a user would write it in
 * plain JavaScript, in TypeScript, and in TypeScript as an ES module.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { jobRerunProgram } from "./e2e-programs";

export type ProgramKind = "javascript" | "typescript" | "esm-typescript";

export const RESOURCE_NAME = "audience-view";
export const PROJECT_NAME = "narrative-compat";

/** The same program for CommonJS and ES module TypeScript: the package.json and tsconfig.json differ. */
const TYPESCRIPT_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as narrative from "pulumi-narrative-jobs";

const config = new pulumi.Config();
const rerun = new narrative.JobRerun(${JSON.stringify(RESOURCE_NAME)}, {
  jobId: config.require("jobId"),
  triggers: config.requireObject<Record<string, string>>("triggers"),
});

export const jobId = rerun.jobId;
export const state = rerun.state;
// Undefined stack outputs are dropped with a warning; name the absence instead.
export const outcome = rerun.outcome.apply((outcome) => outcome ?? "none");
export const rescheduleCount = rerun.rescheduleCount;
export const lastRescheduledAt = rerun.lastRescheduledAt.apply((at) => at ?? "never");
export const job = rerun.job;
export const jobJson = rerun.jobJson;
`;

/** What `pulumi new typescript` would leave, trimmed to what the program needs. */
function tsconfig(kind: "typescript" | "esm-typescript"): string {
  const module =
    kind === "typescript"
      ? { module: "commonjs", moduleResolution: "node" }
      : { module: "nodenext", moduleResolution: "nodenext" };
  const compilerOptions = { strict: true, target: "ES2022", ...module, types: ["node"], skipLibCheck: true };
  return `${JSON.stringify({ compilerOptions, files: ["index.ts"] }, null, 2)}\n`;
}

/**
 * Writes Pulumi.yaml, package.json and the program into `dir`. `dependencies` and `devDependencies` go into
 * package.json as given (an installer may add more).
 */
export async function writeProgram(
  dir: string,
  kind: ProgramKind,
  manifest: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> } = {},
): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, "Pulumi.yaml"), `name: ${PROJECT_NAME}\nruntime: nodejs\n`);
  const packageJson: Record<string, unknown> = {
    name: PROJECT_NAME,
    private: true,
    main: kind === "javascript" ? "index.js" : "index.ts",
    ...(kind === "esm-typescript" ? { type: "module" } : {}),
    ...manifest,
  };
  await fs.writeFile(path.join(dir, "package.json"), `${JSON.stringify(packageJson, null, 2)}\n`);
  if (kind === "javascript") {
    await fs.writeFile(path.join(dir, "index.js"), jobRerunProgram({ resourceName: RESOURCE_NAME }));
  } else {
    await fs.writeFile(path.join(dir, "index.ts"), TYPESCRIPT_PROGRAM);
    await fs.writeFile(path.join(dir, "tsconfig.json"), tsconfig(kind));
  }
}
