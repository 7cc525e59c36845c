/**
 * `npm run demo`: a guided tour of JobRerun with the real Pulumi CLI against a local simulator of the
 * Narrative API, offline. It runs examples/basic, the program the repository's root Pulumi.yaml points at,
 * through create, a trigger change, preview, the rerun, the job finishing, and refresh, saying at each step
 * what happens and why.
 *
 * The stack lives in a temporary directory (a project file whose `main` is examples/basic, a file backend,
 * a private PULUMI_HOME), so nothing is written to the checkout. Everything is removed at the end, also
 * after a failure or Ctrl+C, and the simulator is closed.
 */
import { randomBytes } from "node:crypto";
import { promises as fs, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startSimulator, type RecordedRequest, type Simulator } from "../provider/simulator";
import { ensurePulumiCli, PulumiWorkspace, REPO_ROOT, runCommand, type CliResult } from "./pulumi-harness";

/** The reschedule page's example job, seeded in the simulator as completed. */
const JOB_ID = "2a5b9ad7-dc8f-47bb-8e62-843a38f8054c";
/** Short, so the rerun visibly goes pending → running → completed within the demo. */
const DURATIONS = { pendingMs: 3_000, runningMs: 8_000 };
const JOB_FINISH_TIMEOUT_MS = 30_000;
const STEP_COUNT = 10;

const bold = (text: string): string => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const dim = (text: string): string => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text);

class Interrupted extends Error {
  override name = "Interrupted";
}

let stepNumber = 0;
let interrupted = false;

function step(title: string, why: string): void {
  stepNumber++;
  const heading = `── Step ${stepNumber}/${STEP_COUNT} · ${title} `;
  console.log(`\n${bold(heading.padEnd(100, "─"))}`);
  console.log(why);
}

function checkInterrupted(): void {
  if (interrupted) {
    throw new Interrupted("interrupted");
  }
}

function describeRequest(request: RecordedRequest): string {
  const body = request.body === "" ? "" : ` ${request.body}`;
  return `${request.method} ${request.path}${body} → ${request.status}${request.outcome ? ` ${request.outcome}` : ""}`;
}

/** Runs a CLI command for the person to watch: the command line first, then its live output. */
async function show(
  workspace: PulumiWorkspace,
  sim: Simulator,
  args: string[],
  shown = `pulumi ${args.join(" ")}`,
): Promise<{ result: CliResult; requests: RecordedRequest[] }> {
  checkInterrupted();
  console.log(`\n${bold(`$ ${shown}`)}`);
  const before = sim.requests.length;
  const result = await workspace.pulumi(args, { echo: true, allowFailure: true, ownProcessGroup: true });
  checkInterrupted();
  if (result.code !== 0) {
    throw new Error(`${shown} exited with ${result.code}`);
  }
  return { result, requests: sim.requests.slice(before) };
}

function reportRequests(requests: RecordedRequest[], expectation: string): void {
  const lines = requests.length === 0 ? ["(none)"] : requests.map(describeRequest);
  console.log(`\n${bold("The Narrative API (simulator) received:")} ${lines.join("; ")}`);
  console.log(dim(expectation));
}

async function waitForJob(sim: Simulator, startedAt: number): Promise<void> {
  let last = sim.job(JOB_ID)?.state;
  console.log(`  ${((Date.now() - startedAt) / 1000).toFixed(1)}s  ${last}`);
  const deadline = Date.now() + JOB_FINISH_TIMEOUT_MS;
  while (last !== "completed" && last !== "failed") {
    checkInterrupted();
    if (Date.now() > deadline) {
      throw new Error(`the simulated job did not finish within ${JOB_FINISH_TIMEOUT_MS / 1000}s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    const state = sim.job(JOB_ID)?.state;
    if (state !== last) {
      last = state;
      console.log(`  ${((Date.now() - startedAt) / 1000).toFixed(1)}s  ${state}`);
    }
  }
}

/** `narrative-jobs wait <job> --for terminal`, the installed bin as a pipeline step runs it, output shown live. */
async function watchWithTool(sim: Simulator, token: string): Promise<void> {
  checkInterrupted();
  const shown = `NARRATIVE_API_URL=${sim.url} NARRATIVE_API_TOKEN=******** narrative-jobs wait ${JOB_ID} --for terminal`;
  console.log(`\n${bold(`$ ${shown}`)}`);
  const result = await runCommand(
    process.execPath,
    [path.join(REPO_ROOT, "lib", "cli", "main.js"), "wait", JOB_ID, "--for", "terminal"],
    {
      echo: true,
      allowFailure: true,
      env: { ...process.env, NARRATIVE_API_URL: sim.url, NARRATIVE_API_TOKEN: token },
    },
  );
  checkInterrupted();
  if (result.code !== 0) {
    throw new Error(`narrative-jobs wait exited with ${result.code}`);
  }
  console.log(
    dim("Exit code 0: the job completed (1 would mean it ended failed or cancelled, 4 a timeout)."),
  );
}

async function tour(workspace: PulumiWorkspace, sim: Simulator, token: string): Promise<void> {
  step(
    "configure the stack",
    "The provider reads the API URL and the token from the stack configuration. The token is set with\n" +
      "--secret, so the stack stores it encrypted; it never becomes an input of the resource.",
  );
  await show(workspace, sim, ["config", "set", "narrative:apiUrl", sim.url]);
  await show(
    workspace,
    sim,
    ["config", "set", "--secret", "narrative:token", token],
    "pulumi config set --secret narrative:token ********",
  );
  await show(workspace, sim, ["config", "set", "jobId", JOB_ID]);
  await show(workspace, sim, ["config", "set", "dataVersion", "2024-06-01"]);
  const rerunStartedAt = await rerunOnTriggerChange(workspace, sim);
  await watchAndRefresh(workspace, sim, token, rerunStartedAt);

  step(
    "pulumi destroy: forget the JobRerun",
    "A job cannot be deleted and a rerun cannot be undone, so destroy sends nothing: the resource only\n" +
      "leaves the stack. The token was never in the state; the check below searches the exported stack.",
  );
  const destroyed = await show(workspace, sim, ["destroy", "--yes"]);
  reportRequests(destroyed.requests, "Nothing: the job on Narrative is untouched.");
  const exported = await workspace.exportStack();
  console.log(`The token appears ${exported.text.split(token).length - 1} times in \`pulumi stack export\`.`);
}

/** Create, a trigger change, its preview and the up that reruns the job; returns when that up started. */
async function rerunOnTriggerChange(workspace: PulumiWorkspace, sim: Simulator): Promise<number> {
  step(
    "pulumi up: create the JobRerun",
    "Creating a JobRerun reads the job once, to prove it exists and that the token can see it. It does not\n" +
      "rerun the job: only a change of the triggers does (or runOnCreate: true).",
  );
  const created = await show(workspace, sim, ["up", "--yes"]);
  reportRequests(created.requests, "One read, no reschedule: the job is still completed, untouched.");

  step(
    "change a trigger",
    "examples/basic uses { dataVersion } as the triggers. New data landed, so bump it. Any JSON value works:\n" +
      "a git commit, a hash of SQL files, a schema version.",
  );
  await show(workspace, sim, ["config", "set", "dataVersion", "2024-06-02"]);

  step(
    "pulumi preview --diff: see the rerun before it happens",
    "Preview compares the stored triggers with the new ones, without calling the API: reviewers see the\n" +
      "pending rerun (an update of the JobRerun, triggers changed) and nothing is sent.",
  );
  const previewed = await show(workspace, sim, ["preview", "--diff"]);
  reportRequests(previewed.requests, "Nothing: preview never calls the Narrative API.");

  step(
    "pulumi up: the rerun happens",
    'Now the update sends exactly one POST /jobs/{id}/reschedule with {"force": true} (force reruns a job\n' +
      "that already finished). The [simulator] lines above the summary are the API receiving it.",
  );
  const rerunStartedAt = Date.now();
  const applied = await show(workspace, sim, ["up", "--yes"]);
  reportRequests(applied.requests, "One reschedule: the job went back to pending, to be run again.");
  return rerunStartedAt;
}

/** What the stack recorded, the rerun watched to its end, and a refresh that reads the job's state now. */
async function watchAndRefresh(
  workspace: PulumiWorkspace,
  sim: Simulator,
  token: string,
  rerunStartedAt: number,
): Promise<void> {
  step(
    "pulumi stack output: what the stack recorded",
    "The JobRerun stores the API's answer: the outcome, the job's state then, and how many reruns it made.",
  );
  await show(workspace, sim, ["stack", "output"]);

  step(
    "narrative-jobs wait: watch the rerun from a pipeline step",
    'By default `pulumi up` returns once Narrative accepted the reschedule (waitFor: "terminal" would make it\n' +
      "wait for the run to finish). The package's command-line tool, narrative-jobs, watches the job from any\n" +
      "pipeline step, with the same client and rules; the token comes from the environment, never from an\n" +
      "argument. The simulator moves the job along on its clock (pending " +
      `${DURATIONS.pendingMs / 1000}s, then running ${DURATIONS.runningMs / 1000}s).`,
  );
  await watchWithTool(sim, token);
  await waitForJob(sim, rerunStartedAt);

  step(
    "pulumi refresh: read the job's state now",
    "Refresh reads the job again (one GET, no reschedule) and stores its current state. --run-program\n" +
      "also recomputes the stack outputs, so `jobState` shows the change; a plain refresh updates only the\n" +
      "resource's stored outputs.",
  );
  const refreshed = await show(workspace, sim, ["refresh", "--yes", "--run-program"]);
  reportRequests(
    refreshed.requests,
    "Reads only (the refresh's preview and the refresh itself each read the job once): it is completed.",
  );
  await show(workspace, sim, ["stack", "output", "jobState"]);
}

async function main(): Promise<number> {
  const startedAt = Date.now();
  console.log(bold("pulumi-narrative-jobs demo: rerun a Narrative job from `pulumi up`, offline"));
  console.log(
    dim("Checking for the pinned Pulumi CLI (the first run builds it; that takes a few minutes)..."),
  );
  const cliDir = await ensurePulumiCli({ showProgress: true });
  console.log(dim(`Pulumi CLI: ${cliDir}`));

  const token = `demo-${randomBytes(9).toString("hex")}`;
  const tempRoot = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-demo-"));
  let sim: Simulator | undefined;
  let workspace: PulumiWorkspace | undefined;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      // A second Ctrl+C: stop now, removing at least the temporary files.
      rmSync(tempRoot, { recursive: true, force: true });
      process.exit(130);
    }
    interrupted = true;
    console.log(`\n${bold(`${signal}: stopping and cleaning up (Ctrl+C again to stop at once)...`)}`);
    workspace?.interrupt();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    step(
      "start a local Narrative API",
      "A simulator of the Narrative Jobs API on loopback, seeded with the reschedule page's example job. It\n" +
        "checks the bearer token and logs every request it serves (the [simulator] lines).",
    );
    sim = await startSimulator({
      token,
      durations: DURATIONS,
      log: (line) => console.log(dim(`  [simulator] ${line}`)),
    });
    const job = sim.job(JOB_ID);
    console.log(`\nListening on ${sim.url}`);
    console.log(`Job ${JOB_ID}: ${job?.type}, ${job?.state}`);

    // The root Pulumi.yaml's program, with the stack kept out of the checkout.
    workspace = await PulumiWorkspace.create({
      project: "narrative-basic",
      stack: "demo",
      dir: path.join(tempRoot, "project"),
      stateDir: tempRoot,
      main: path.join(REPO_ROOT, "examples", "basic"),
      removeDir: true,
    });
    console.log(dim(`Stack "demo" of examples/basic; its state and configuration are in ${tempRoot}`));

    await tour(workspace, sim, token);
    console.log(`\n${bold(`Done in ${((Date.now() - startedAt) / 1000).toFixed(0)}s.`)}`);
    return 0;
  } catch (error) {
    if (error instanceof Interrupted) {
      console.log("Interrupted.");
      return 130;
    }
    console.error(`\nThe demo stopped: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    console.log(dim("Cleaning up: removing the stack and temporary files, stopping the simulator."));
    await workspace?.dispose().catch(() => undefined);
    await sim?.close();
    await fs.rm(tempRoot, { recursive: true, force: true });
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
