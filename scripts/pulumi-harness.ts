/**
 * Runs real Pulumi programs with the real Pulumi CLI, offline: a file backend and a private PULUMI_HOME in
 * temporary directories, a passphrase for secrets, no update check and no plugin downloads. Shared by the
 * end-to-end tests, `npm run demo` and `npm run bench`, so it holds no assertions (those stay in tests/e2e/).
 *
 * A program inside this repository resolves `pulumi-narrative-jobs` and `@pulumi/pulumi` from the
 * repository's node_modules (`npm run build` links the package to itself), which is why workspaces live under
 * `<repo>/.e2e/` (git-ignored). A workspace elsewhere needs its own node_modules (see the packed-install test).
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { JOB_RERUN_TYPE } from "../provider/hosts/dynamic/provider-text";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const E2E_ROOT = path.join(REPO_ROOT, ".e2e");

/** A ceiling for one CLI command, so that a hung engine fails the test instead of the whole run. */
const DEFAULT_COMMAND_TIMEOUT_MS = 180_000;

let cliDirectory: Promise<string> | undefined;

/**
 * The directory holding `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`, from
 * scripts/ensure-pulumi (which builds the pinned CLI on first use, printing progress to stderr).
 */
export function ensurePulumiCli(options: { showProgress?: boolean } = {}): Promise<string> {
  cliDirectory ??= new Promise<string>((resolve, reject) => {
    const child = execFile(
      path.join(REPO_ROOT, "scripts", "ensure-pulumi"),
      { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const dir = stdout.trim().split("\n").pop() ?? "";
        if (error !== null || dir === "" || !existsSync(path.join(dir, "pulumi"))) {
          cliDirectory = undefined;
          reject(new Error(`scripts/ensure-pulumi found no Pulumi CLI:\n${stderr}${error?.message ?? ""}`));
          return;
        }
        resolve(dir);
      },
    );
    if (options.showProgress === true) {
      child.stderr?.pipe(process.stderr);
    }
  });
  return cliDirectory;
}

/** What one CLI command did. `output` is stdout and stderr interleaved as they arrived. */
export interface CliResult {
  command: string;
  /** The exit code; 128 + the signal's number for a command ended by a signal sent with `signal()`. */
  code: number;
  stdout: string;
  stderr: string;
  output: string;
  /** The signal that ended the command, when it was one sent with `PulumiWorkspace.signal()`. */
  signal?: NodeJS.Signals;
}

/**
 * Commands signalled on purpose (`PulumiWorkspace.signal`): one that a signal then ends resolves with what it
 * printed, instead of rejecting as a command stopped by a timeout does.
 */
const signalledOnPurpose = new WeakSet<ChildProcess>();

export interface RunOptions {
  /** Resolve with a non-zero exit code instead of rejecting. */
  allowFailure?: boolean;
  /** Extra environment for this command only. */
  env?: NodeJS.ProcessEnv;
  /** Copy the command's output to this process's stdout as it arrives (the demo). */
  echo?: boolean;
  timeoutMs?: number;
  /** Run in this directory instead of the workspace (e.g. the repository root). */
  cwd?: string;
  /**
   * Run in a process group of its own, so that a Ctrl+C in the terminal reaches only this process, which
   * then forwards exactly one SIGINT (`interrupt()`): the CLI cancels gracefully on the first, and
   * terminates at once on a second.
   */
  ownProcessGroup?: boolean;
  /** Values to show as ******** wherever the command line is printed (a secret passed as an argument). */
  redact?: readonly string[];
}

/** A resource as `pulumi stack export` shows it. */
export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface StackExport {
  /** The export exactly as the CLI printed it, for searching. */
  text: string;
  resources: StateResource[];
}

export interface WorkspaceOptions {
  /** The Pulumi project name, also the namespace of the program's own configuration keys. */
  project: string;
  stack?: string;
  /** Where the project is; default a fresh directory under `<repo>/.e2e/`. */
  dir?: string;
  /** Writes this index.js (and a package.json) as the program. */
  program?: string;
  /** Writes a Pulumi.yaml that runs the program in this directory instead (its `main`). */
  main?: string;
  /** Keeps the directory's own Pulumi.yaml and program (an example's copy, the repository root). */
  existingProject?: boolean;
  /** Delete `dir` on dispose; default true only for a directory the workspace made itself. */
  removeDir?: boolean;
  /** Where to make the backend and PULUMI_HOME directories; default the system's temporary directory. */
  stateDir?: string;
  /** Environment every command gets on top of the offline settings. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The environment of every CLI run: the pinned CLI first on PATH, a local backend and home, no network.
 * The caller's NARRATIVE_* and PULUMI_* variables (a token, another backend, an access token) are dropped, so
 * that only the stack configuration applies and nothing leaves the machine.
 */
export function offlineEnvironment(cliDir: string, backendDir: string, homeDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith("NARRATIVE_") || name.startsWith("PULUMI_")) {
      delete env[name];
    }
  }
  return {
    ...env,
    PATH: `${cliDir}${path.delimiter}${process.env["PATH"] ?? ""}`,
    PULUMI_BACKEND_URL: `file://${backendDir}`,
    PULUMI_HOME: homeDir,
    PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
  };
}

/**
 * A Pulumi project directory with one stack, its own backend and home. Every command's output is kept in
 * `transcript`, so a test can check that nothing the CLI ever printed held a secret.
 */
export class PulumiWorkspace {
  readonly transcript: CliResult[] = [];
  private readonly children = new Set<ChildProcess>();

  private constructor(
    readonly dir: string,
    readonly stack: string,
    readonly backendDir: string,
    readonly homeDir: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly removeDir: boolean,
  ) {}

  static async create(options: WorkspaceOptions): Promise<PulumiWorkspace> {
    const cliDir = await ensurePulumiCli();
    let dir = options.dir;
    if (dir === undefined) {
      await fs.mkdir(E2E_ROOT, { recursive: true });
      dir = await fs.mkdtemp(path.join(E2E_ROOT, `${options.project}-`));
    } else {
      await fs.mkdir(dir, { recursive: true });
    }
    const stateDir = options.stateDir ?? os.tmpdir();
    const backendDir = await fs.mkdtemp(path.join(stateDir, "narrative-e2e-backend-"));
    const homeDir = await fs.mkdtemp(path.join(stateDir, "narrative-e2e-home-"));

    if (options.existingProject !== true) {
      const projectLines = [`name: ${options.project}`, "runtime: nodejs"];
      if (options.main !== undefined) {
        // Quoted: a JSON string is a valid YAML scalar whatever characters the path holds.
        projectLines.push(`main: ${JSON.stringify(options.main)}`);
      }
      await fs.writeFile(path.join(dir, "Pulumi.yaml"), `${projectLines.join("\n")}\n`);
    }
    if (options.program !== undefined) {
      // Its own package.json, so the engine does not take the repository's package.json for the program's;
      // no dependencies: they resolve from the node_modules of a directory above.
      const packageJson = { name: options.project, private: true, main: "index.js" };
      await fs.writeFile(path.join(dir, "package.json"), `${JSON.stringify(packageJson, null, 2)}\n`);
      await fs.writeFile(path.join(dir, "index.js"), options.program);
    }

    // A stack name of its own, so that its configuration file never meets one a person made in the same place.
    const stack = options.stack ?? `e2e-${randomBytes(3).toString("hex")}`;
    const env = { ...offlineEnvironment(cliDir, backendDir, homeDir), ...options.env };
    const removeDir = options.removeDir ?? options.dir === undefined;
    const workspace = new PulumiWorkspace(dir, stack, backendDir, homeDir, env, removeDir);
    await workspace.pulumi(["stack", "init", stack]);
    return workspace;
  }

  /** Runs `pulumi <args>` in the workspace; rejects on a non-zero exit unless `allowFailure`. */
  async pulumi(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
    // Global flags go first: after a `--` in `args` they would be read as values.
    const result = await runCommand("pulumi", ["--non-interactive", "--color", "never", ...args], {
      ...options,
      cwd: options.cwd ?? this.dir,
      env: { ...this.env, ...options.env },
      allowFailure: true,
      children: this.children,
    });
    const shown = args.map((arg) => (options.redact?.includes(arg) === true ? "********" : arg));
    const named = { ...result, command: `pulumi ${shown.join(" ")}` };
    this.transcript.push(named);
    if (named.code !== 0 && options.allowFailure !== true) {
      throw new Error(`${named.command} exited with ${named.code}\n${named.output}`);
    }
    return named;
  }

  /** `pulumi config set`; with `secret`, the value is encrypted in the stack's configuration file. */
  async setConfig(key: string, value: string, options: { secret?: boolean } = {}): Promise<void> {
    // `--` keeps a value that starts with "-" from being read as a flag.
    const args = ["config", "set", ...(options.secret === true ? ["--secret"] : []), key, "--", value];
    await this.pulumi(args, options.secret === true ? { redact: [value] } : {});
  }

  async removeConfig(key: string): Promise<void> {
    await this.pulumi(["config", "rm", key]);
  }

  /**
   * Points the provider at a Narrative API (the simulator) with its token, the way a user would: the stack
   * file gets the URL in clear and the token encrypted, as from `pulumi config set` and `pulumi config set
   * --secret`. One `pulumi config set-all` does both: every CLI start costs a quarter of a CPU second, and
   * each that decrypts or encrypts derives the passphrase's key again (1,000,000 rounds of PBKDF2).
   */
  async configureNarrative(apiUrl: string, token: string): Promise<void> {
    const secret = `narrative:token=${token}`;
    await this.pulumi(
      ["config", "set-all", "--plaintext", `narrative:apiUrl=${apiUrl}`, "--secret", secret],
      { redact: [secret] },
    );
  }

  async outputs(): Promise<Record<string, unknown>> {
    const result = await this.pulumi(["stack", "output", "--json"]);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  async exportStack(): Promise<StackExport> {
    const result = await this.pulumi(["stack", "export"]);
    const parsed = JSON.parse(result.stdout) as { deployment?: { resources?: StateResource[] } };
    return { text: result.stdout, resources: parsed.deployment?.resources ?? [] };
  }

  /** The JobRerun resources in the stack's state. */
  async jobReruns(): Promise<StateResource[]> {
    return (await this.exportStack()).resources.filter((resource) => resource.type === JOB_RERUN_TYPE);
  }

  /** Every file the backend wrote: checkpoints, history, backups, locks. */
  async backendFiles(): Promise<string[]> {
    return listFiles(this.backendDir);
  }

  /**
   * Asks running commands to stop the way Ctrl+C does: the CLI cancels and stops its plugins. By default only
   * the CLI process gets the SIGINT, as when a CI runner cancels a job; with `processGroup` (for a command run
   * with `ownProcessGroup`) every process of its group gets it, as from a terminal's Ctrl+C, which reaches the
   * CLI's plugins too.
   */
  interrupt(options: { processGroup?: boolean } = {}): void {
    for (const child of this.children) {
      if (options.processGroup === true && child.pid !== undefined) {
        process.kill(-child.pid, "SIGINT");
      } else {
        child.kill("SIGINT");
      }
    }
  }

  /**
   * Sends `signal` to the CLI process of every running command, and to nothing else: not to its plugins, as
   * when a CI runner's main process is killed (SIGKILL) or paused (SIGSTOP). Returns the process ids signalled.
   * A command that the signal ends resolves with `signal` set instead of rejecting.
   */
  signal(signal: NodeJS.Signals): number[] {
    const pids: number[] = [];
    for (const child of this.children) {
      if (child.pid !== undefined) {
        signalledOnPurpose.add(child);
        child.kill(signal);
        pids.push(child.pid);
      }
    }
    return pids;
  }

  /** Removes the stack, its configuration file and the directories this workspace made; stops its commands. */
  async dispose(): Promise<void> {
    for (const child of this.children) {
      child.kill("SIGKILL");
    }
    // No `pulumi stack rm`: the stack lives only in this workspace's own backend directory, removed below with
    // its configuration file, which is all `stack rm` would remove.
    await fs.rm(path.join(this.dir, `Pulumi.${this.stack}.yaml`), { force: true });
    await fs.rm(this.backendDir, { recursive: true, force: true });
    await fs.rm(this.homeDir, { recursive: true, force: true });
    if (this.removeDir) {
      await fs.rm(this.dir, { recursive: true, force: true });
    }
  }
}

/**
 * Runs a command without a shell and collects its output. The event loop stays free meanwhile, which the
 * in-process simulator needs to answer the command's requests.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions & { children?: Set<ChildProcess> } = {},
): Promise<CliResult> {
  const shown = args.map((arg) => (options.redact?.includes(arg) === true ? "********" : arg));
  const description = `${command} ${shown.join(" ")}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: options.ownProcessGroup === true,
    });
    options.children?.add(child);
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
      if (options.echo === true) {
        process.stdout.write(chunk);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      output += chunk.toString();
      if (options.echo === true) {
        process.stderr.write(chunk);
      }
    });
    // SIGINT lets the Pulumi CLI cancel the deployment and stop its plugins; SIGKILL only if it does not.
    const timer = setTimeout(() => {
      child.kill("SIGINT");
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    }, timeoutMs);
    const settle = (): void => {
      clearTimeout(timer);
      options.children?.delete(child);
    };
    child.on("error", (error) => {
      settle();
      reject(error);
    });
    child.on("close", (code, signal) => {
      settle();
      const result: CliResult = { command: description, code: code ?? 128, stdout, stderr, output };
      if (signal !== null && signalledOnPurpose.has(child)) {
        resolve({ ...result, code: 128 + (os.constants.signals[signal] ?? 0), signal });
      } else if (signal !== null) {
        reject(new Error(`${description} was stopped by ${signal} (timeout ${timeoutMs} ms)\n${output}`));
      } else if (result.code !== 0 && options.allowFailure !== true) {
        reject(new Error(`${description} exited with ${result.code}\n${output}`));
      } else {
        resolve(result);
      }
    });
  });
}

export async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

/** A token no real credential could collide with, and easy to search for in files. */
export function distinctiveToken(label: string): string {
  return `narrative-${label}-SECRET-${randomBytes(12).toString("hex")}`;
}
