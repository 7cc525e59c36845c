/**
 * What the Python end-to-end files share: the pinned Python environment (scripts/ensure-python, made on first
 * use), the Python SDK built as a user gets it (scripts/build-python-sdk), and pip settings that install from
 * those files only, so that every test installs the same versions and fetches nothing.
 */
import { execFile } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { REPO_ROOT, runCommand } from "../../scripts/pulumi-harness";

export const PYTHON_EXAMPLE = path.join(REPO_ROOT, "examples", "python");

let environment: Promise<string> | undefined;

/** The pinned environment's directory (its bin/python, and its wheelhouse/ of the same packages as wheels). */
export function ensurePythonEnvironment(): Promise<string> {
  environment ??= new Promise<string>((resolve, reject) => {
    execFile(
      path.join(REPO_ROOT, "scripts", "ensure-python"),
      { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const dir = stdout.trim().split("\n").pop() ?? "";
        if (error !== null || dir === "" || !existsSync(path.join(dir, "bin", "python"))) {
          environment = undefined;
          reject(new Error(`scripts/ensure-python made no environment:\n${stderr}${error?.message ?? ""}`));
          return;
        }
        resolve(dir);
      },
    );
  });
  return environment;
}

export interface PythonSdkBuild {
  wheel: string;
  sdist: string;
  /** The directory holding both, for pip's --find-links. */
  dir: string;
}

/** Builds sdk/python into `dir` (a wheel and an sdist at package.json's version). */
export async function buildPythonSdk(dir: string): Promise<PythonSdkBuild> {
  const built = await runCommand(path.join(REPO_ROOT, "scripts", "build-python-sdk"), [dir], {
    timeoutMs: 300_000,
  });
  const wheel = built.stdout.trim();
  return { wheel, sdist: wheel.replace(/-py3-none-any\.whl$/, ".tar.gz"), dir };
}

/**
 * pip's settings (as environment variables, which every pip a command starts reads) for installing only from
 * the pinned wheelhouse and the directories given: the same versions every run, nothing from an index.
 */
export function offlinePip(venv: string, ...findLinks: string[]): NodeJS.ProcessEnv {
  return {
    PIP_NO_INDEX: "1",
    PIP_FIND_LINKS: [path.join(venv, "wheelhouse"), ...findLinks].join(" "),
    PIP_DISABLE_PIP_VERSION_CHECK: "1",
  };
}

/** Copies examples/python's files (not a venv/ someone made there) into `dir`. */
export async function copyPythonExample(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const file of ["Pulumi.yaml", "__main__.py", "requirements.txt"]) {
    await fs.copyFile(path.join(PYTHON_EXAMPLE, file), path.join(dir, file));
  }
}
