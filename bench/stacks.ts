/**
 * The Pulumi stacks the bench measures, each a workspace with its own backend, configured for the simulator
 * behind the counting proxy. Every stack made is remembered until disposed, so that a run that fails or is
 * interrupted still removes them all.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { E2E_ROOT, PulumiWorkspace, REPO_ROOT } from "../scripts/pulumi-harness";
import { standalonePlugin } from "./plugin-start";
import { programText, yamlProgramText, type ProgramKind } from "./programs";

/** The directory npm puts the package's executables in, which a YAML project names in `plugins.providers`. */
const PLUGIN_DIR = path.join(REPO_ROOT, "node_modules", ".bin");
/** BENCH_STANDALONE=1: section 6's YAML programs run the standalone plugin (npm run plugin-archives) instead. */
export const STANDALONE = process.env["BENCH_STANDALONE"] === "1";

async function yamlPluginDir(): Promise<string> {
  const built = STANDALONE ? await standalonePlugin() : undefined;
  if (STANDALONE && built === undefined) {
    throw new Error("BENCH_STANDALONE=1: this machine builds no standalone plugin for itself");
  }
  return built?.dir ?? PLUGIN_DIR;
}

export class BenchStacks {
  private readonly workspaces = new Set<PulumiWorkspace>();

  constructor(
    private readonly apiUrl: string,
    private readonly token: string,
  ) {}

  /** `count` resources of `kind` as a Node.js program (bench/programs.ts). */
  async create(kind: ProgramKind, count: number, paddingBytes = 0): Promise<PulumiWorkspace> {
    const workspace = await PulumiWorkspace.create({
      project: `bench-${kind}-${count}`,
      program: programText(kind, count, paddingBytes),
      // The naive fixture reads the token at call time; JobRerun takes it from the stack configuration.
      env: kind === "naive" ? { NARRATIVE_API_TOKEN: this.token } : {},
    });
    this.workspaces.add(workspace);
    if (kind === "job-rerun") {
      await workspace.configureNarrative(this.apiUrl, this.token);
    } else if (kind === "naive") {
      await workspace.setConfig("apiUrl", this.apiUrl);
    }
    return workspace;
  }

  /** The same JobReruns as `create("job-rerun", count)`, as a YAML program through the provider plugin. */
  async createYaml(count: number): Promise<PulumiWorkspace> {
    const project = `bench-yaml-${count}`;
    await fs.mkdir(E2E_ROOT, { recursive: true });
    const dir = await fs.mkdtemp(path.join(E2E_ROOT, `${project}-`));
    await fs.writeFile(path.join(dir, "Pulumi.yaml"), yamlProgramText(project, count, await yamlPluginDir()));
    const workspace = await PulumiWorkspace.create({ project, dir, existingProject: true, removeDir: true });
    this.workspaces.add(workspace);
    await workspace.configureNarrative(this.apiUrl, this.token);
    return workspace;
  }

  async dispose(...workspaces: PulumiWorkspace[]): Promise<void> {
    for (const workspace of workspaces) {
      this.workspaces.delete(workspace);
      await workspace.dispose();
    }
  }

  /** Every stack not yet disposed; one that cannot be removed does not keep the others. */
  async disposeAll(): Promise<void> {
    for (const workspace of [...this.workspaces]) {
      await this.dispose(workspace).catch(() => undefined);
    }
  }
}
