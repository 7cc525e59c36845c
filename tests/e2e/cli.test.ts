/**
 * `narrative-jobs` as a user runs it: the tarball `npm pack` makes is installed with a plain `npm install` into
 * a fresh directory, and every case runs the bin npm linked there (node_modules/.bin/narrative-jobs) as a real
 * process against the simulator on loopback. The simulator's request log shows what each command sent.
 */
import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promises as fs, realpathSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fetch from "node-fetch";
import { startSimulator, SEEDED_JOB_IDS, type Simulator } from "../../provider/simulator";
import { distinctiveToken, REPO_ROOT, runCommand, type CliResult } from "../../scripts/pulumi-harness";
import { pollUntil, RequestArrivals } from "../support/e2e";
import { npmInstall, packedTarball } from "../support/packing";

const COMPLETED = SEEDED_JOB_IDS.completed;
const RUNNING = SEEDED_JOB_IDS.running;
const FAILED = SEEDED_JOB_IDS.failed;
const CANCELLED = SEEDED_JOB_IDS.withUnknownFields;
const UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000";
/** The seeded example job's result.snapshot_id: beyond 2^53, so JSON.parse would round it. */
const BIG_SNAPSHOT_ID = "1724919539450264600";
/** The simulator's defaults: a rescheduled job is pending 2 s, then runs 10 s. */
const PENDING_MS = 2_000;
const RUNNING_MS = 10_000;

describe("e2e: narrative-jobs, the command-line tool, installed from the npm tarball", function () {
  this.timeout(60_000);

  const token = distinctiveToken("cli");
  const children = new Set<ChildProcess>();
  const runs: CliResult[] = [];
  let tempDirs: string[] = [];
  let userDir: string;
  let bin: string;
  let sim: Simulator;

  before(async function () {
    // npm install may fetch the peer @pulumi/pulumi from the registry when the cache lacks it.
    this.timeout(600_000);
    const tarball = await packedTarball();
    userDir = await fs.mkdtemp(path.join(os.tmpdir(), "narrative-e2e-cli-user-"));
    tempDirs.push(userDir);
    await fs.writeFile(path.join(userDir, "package.json"), '{ "name": "cli-user", "private": true }\n');
    await npmInstall(userDir, [tarball]);
    bin = path.join(userDir, "node_modules", ".bin", "narrative-jobs");
    sim = await startSimulator({ frozen: true, token });
  });

  beforeEach(() => {
    sim.reset();
    runs.length = 0;
  });

  afterEach(function () {
    for (const child of children) {
      child.kill("SIGKILL");
    }
    // Whatever the case, and even where the server echoed it, the token is in no output of any run.
    for (const run of runs) {
      expect(run.output, `${run.command} printed the token`).not.to.include(token);
    }
  });

  after(async () => {
    await sim?.close();
    for (const dir of tempDirs) {
      await fs.rm(dir, { recursive: true, force: true });
    }
    tempDirs = [];
  });

  /** The environment a user's shell would give: none of this machine's NARRATIVE_ settings, then `env`. */
  function userEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const result: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (!name.startsWith("NARRATIVE_")) {
        result[name] = value;
      }
    }
    // The bin is a `#!/usr/bin/env node` script: the node running these tests is the one on its PATH.
    result.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`;
    const settings: Record<string, string | undefined> = {
      NARRATIVE_API_URL: sim.url,
      NARRATIVE_API_TOKEN: token,
      ...env,
    };
    for (const [name, value] of Object.entries(settings)) {
      if (value !== undefined) {
        result[name] = value;
      }
    }
    return result;
  }

  async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
    const run = await runCommand(bin, args, {
      cwd: userDir,
      env: userEnv(env),
      allowFailure: true,
      children,
      redact: [token],
    });
    runs.push(run);
    return run;
  }

  /** The exact text the API answers, read directly. */
  async function apiText(pathAndQuery: string): Promise<string> {
    const response = await fetch(`${sim.url}${pathAndQuery}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status, pathAndQuery).to.equal(200);
    return response.text();
  }

  function apiRequests(): { method: string; path: string; query: Record<string, string>; body: string }[] {
    return sim.requests.map(({ method, path: requestPath, query, body }) => ({
      method,
      path: requestPath,
      query,
      body,
    }));
  }

  describe("installed as a user installs it", () => {
    it("npm links node_modules/.bin/narrative-jobs to an executable node script inside the installed package", async () => {
      const target = realpathSync(bin);
      expect(target).to.equal(
        realpathSync(path.join(userDir, "node_modules", "pulumi-narrative-jobs", "lib", "cli", "main.js")),
      );
      expect(target).not.to.include(realpathSync(REPO_ROOT));
      expect((await fs.stat(target)).mode & 0o111, "executable").to.equal(0o111);
      expect((await fs.readFile(target, "utf8")).split("\n")[0]).to.equal("#!/usr/bin/env node");
    });

    it("`npx narrative-jobs --help` and `npx narrative-jobs get <jobId>` work in the installing directory", async () => {
      // Exactly what a user types. npm_config_yes=false (npx --no) only makes sure that a broken install fails
      // here instead of fetching some other package named narrative-jobs from the registry.
      const npx = async (args: string[]): Promise<CliResult> => {
        const run = await runCommand("npx", ["narrative-jobs", ...args], {
          cwd: userDir,
          env: { ...userEnv(), npm_config_yes: "false" },
          allowFailure: true,
          redact: [token],
        });
        runs.push(run);
        return run;
      };
      const help = await npx(["--help"]);
      expect(help.code, help.output).to.equal(0);
      expect(help.stdout).to.match(/^Usage: narrative-jobs <command> \[options\]/);
      expect(help.stdout).to.include("Exit status:");
      const got = await npx(["get", COMPLETED]);
      expect(got.code, got.output).to.equal(0);
      expect(got.stdout).to.include("state     completed");
      expect(apiRequests()).to.deep.equal([
        { method: "GET", path: `/jobs/${COMPLETED}`, query: {}, body: "" },
      ]);
    });
  });

  describe("help and version", () => {
    it("--help for the tool and for each command, and --version, exit 0 and send nothing", async () => {
      const main = await cli(["--help"]);
      expect(main.code).to.equal(0);
      for (const line of ["get <jobId>", "list", "reschedule <jobId>", "wait <jobId> --for <state>"]) {
        expect(main.stdout).to.include(line);
      }
      for (const command of ["get", "list", "reschedule", "wait"]) {
        const help = await cli([command, "--help"]);
        expect(help.code, command).to.equal(0);
        expect(help.stdout, command).to.match(new RegExp(`^Usage: narrative-jobs ${command}\\b`));
        expect(help.stdout, command).to.include("130  wait: stopped by Ctrl+C; the job goes on");
      }
      const manifest = JSON.parse(await fs.readFile(path.join(REPO_ROOT, "package.json"), "utf8")) as {
        version: string;
      };
      const version = await cli(["--version"]);
      expect(version.code).to.equal(0);
      expect(version.stdout).to.equal(`${manifest.version}\n`);
      expect(sim.requests).to.deep.equal([]);
    });
  });

  describe("get", () => {
    it("shows the job, one field a line, with the big snapshot_id digit for digit; exit 0", async () => {
      const run = await cli(["get", COMPLETED]);
      expect(run.code, run.output).to.equal(0);
      expect(run.stderr).to.equal("");
      expect(run.stdout).to.include(
        `job       ${COMPLETED}\nstate     completed\ntype      materialize-view\n`,
      );
      expect(run.stdout).to.include(`"snapshot_id":${BIG_SNAPSHOT_ID}`);
      expect(apiRequests()).to.deep.equal([
        { method: "GET", path: `/jobs/${COMPLETED}`, query: {}, body: "" },
      ]);
    });

    it("--json prints the API's response text exactly, big integers digit for digit", async () => {
      const run = await cli(["get", COMPLETED, "--json"]);
      expect(run.code, run.output).to.equal(0);
      expect(run.stdout).to.equal(`${await apiText(`/jobs/${COMPLETED}`)}\n`);
      expect(run.stdout).to.include(`"snapshot_id":${BIG_SNAPSHOT_ID}`);
      // JSON.parse holds 1724919539450264576 there, though it prints it back as ...600 (its shortest form).
      // 2^53 + 1 shows the loss in print too: a tool that parses and prints would write 9007199254740992.
      expect(JSON.stringify(JSON.parse("9007199254740993"))).to.equal("9007199254740992");
      const template = sim.job(COMPLETED);
      const job = { ...template, job_id: randomUUID(), result: { snapshot_id: 2n ** 53n + 1n } };
      sim.addJob(job as NonNullable<typeof template>);
      for (const args of [
        ["get", job.job_id, "--json"],
        ["get", job.job_id],
        ["list", "--json"],
      ]) {
        const shown = await cli(args);
        expect(shown.code, shown.output).to.equal(0);
        expect(shown.stdout, args.join(" ")).to.include('{"snapshot_id":9007199254740993}');
      }
    });

    it("retries a 503 like the resource does, reporting it on stderr; stdout holds only the job", async () => {
      sim.fault("GET /jobs/{job_id}", { status: 503 });
      const run = await cli(["get", COMPLETED, "--json"]);
      expect(run.code, run.output).to.equal(0);
      expect(run.stderr).to.match(
        new RegExp(
          `^narrative-jobs: GET /jobs/${COMPLETED}: attempt 1 failed \\(503 Service Unavailable\\); retrying in \\d+\\.\\ds\\n$`,
        ),
      );
      expect(run.stdout).to.equal(`${await apiText(`/jobs/${COMPLETED}`)}\n`);
      expect(sim.requests.slice(0, 2).map((request) => request.status)).to.deep.equal([503, 200]);
    });
  });

  describe("list", () => {
    it("sends the filters as the API's query and shows a table; exit 0", async () => {
      const run = await cli([
        "list",
        "--dataset-id",
        "10736",
        "--type",
        "materialize-view",
        "--order-by",
        "created_at_asc",
      ]);
      expect(run.code, run.output).to.equal(0);
      expect(apiRequests()).to.deep.equal([
        {
          method: "GET",
          path: "/jobs",
          query: {
            dataset_id: "10736",
            type: "materialize-view",
            order_by: "created_at_asc",
            per_page: "100",
          },
          body: "",
        },
      ]);
      const lines = run.stdout.trimEnd().split("\n");
      expect(lines[0]).to.match(/^JOB ID +STATE +TYPE +DATASET +CREATED$/);
      expect(lines[1]).to.match(
        new RegExp(`^${COMPLETED}  completed  materialize-view  10736 +2023-10-31T11:19:13`),
      );
      expect(lines.at(-1)).to.equal("1 of 1 jobs");
    });

    it("--json prints the page exactly as the API sent it; --limit sets per_page", async () => {
      const run = await cli(["list", "--state", "failed", "--limit", "2", "--json"]);
      expect(run.code, run.output).to.equal(0);
      expect(run.stdout).to.equal(`${await apiText("/jobs?state=failed&per_page=2")}\n`);
      expect(run.stdout).to.include(`"snapshot_id":${BIG_SNAPSHOT_ID}`);
    });

    it("a --limit beyond 500 reads equal pages; --json prints each page whole on its own line", async () => {
      const template = sim.job(COMPLETED);
      for (let index = 0; index < 600; index++) {
        sim.addJob({ ...template, job_id: randomUUID(), state: "completed" } as NonNullable<typeof template>);
      }
      const json = await cli(["list", "--limit", "501", "--json"]);
      expect(json.code, json.output).to.equal(0);
      expect(apiRequests()).to.deep.equal([
        { method: "GET", path: "/jobs", query: { per_page: "251" }, body: "" },
        { method: "GET", path: "/jobs", query: { per_page: "251", offset: "251" }, body: "" },
      ]);
      const pages = json.stdout.split("\n");
      expect(pages).to.have.length(3);
      expect(pages[0]).to.equal(await apiText("/jobs?per_page=251"));
      expect(pages[1]).to.equal(await apiText("/jobs?per_page=251&offset=251"));
      expect(pages[2]).to.equal("");

      const human = await cli(["list", "--limit", "501"]);
      expect(human.code, human.output).to.equal(0);
      const lines = human.stdout.trimEnd().split("\n");
      expect(lines).to.have.length(1 + 501 + 1);
      expect(lines.at(-1)).to.equal("501 of 606 jobs; raise --limit to see more");
    });
  });

  describe("reschedule", () => {
    it('sends {"force":true} once; the job is pending; exit 0', async () => {
      const run = await cli(["reschedule", COMPLETED]);
      expect(run.code, run.output).to.equal(0);
      expect(run.stdout).to.equal(`Job ${COMPLETED} rescheduled: it is pending now.\n`);
      expect(sim.writes().map((write) => write.body)).to.deep.equal(['{"force":true}']);
      expect(sim.appliedReschedules(COMPLETED)).to.equal(1);
      expect(sim.job(COMPLETED)?.state).to.equal("pending");
    });

    it("--no-force --json: the API's outcome with the job spliced in as its exact text", async () => {
      const run = await cli(["reschedule", COMPLETED, "--no-force", "--json"]);
      expect(run.code, run.output).to.equal(0);
      const job = await apiText(`/jobs/${COMPLETED}`);
      expect(run.stdout).to.equal(`{"outcome":"skipped_terminal","job":${job}}\n`);
      expect(run.stdout).to.include(`"snapshot_id":${BIG_SNAPSHOT_ID}`);
      expect(sim.writes().map((write) => write.body)).to.deep.equal(['{"force":false}']);
      expect(sim.appliedReschedules()).to.equal(0);
    });

    it("a 429 is waited out and the POST sent again: two POSTs, one reschedule, the retry on stderr", async () => {
      sim.fault("POST /jobs/{job_id}/reschedule", { status: 429, retryAfter: "1" });
      const run = await cli(["reschedule", COMPLETED]);
      expect(run.code, run.output).to.equal(0);
      expect(run.stderr).to.include(
        `narrative-jobs: POST /jobs/${COMPLETED}/reschedule: attempt 1 failed (429 Too Many Requests (Retry-After 1s)); retrying in 1.0s`,
      );
      expect(sim.writes().map((write) => write.status)).to.deep.equal([429, 200]);
      expect(sim.appliedReschedules(COMPLETED)).to.equal(1);
    });

    it("a POST whose answer is lost is never sent again: the job is read to learn what happened", async () => {
      sim.fault("POST /jobs/{job_id}/reschedule", { drop: "after-apply" });
      const run = await cli(["reschedule", COMPLETED]);
      expect(run.code, run.output).to.equal(0);
      expect(run.stdout).to.equal(`Job ${COMPLETED} rescheduled: it is pending now.\n`);
      expect(run.stderr).to.include(
        `the answer to the reschedule was lost; reading job ${COMPLETED} afterwards shows: rescheduled`,
      );
      expect(apiRequests().map((request) => request.method)).to.deep.equal(["POST", "GET"]);
      expect(sim.appliedReschedules(COMPLETED)).to.equal(1);
    });
  });

  describe("wait", () => {
    /**
     * Starts `narrative-jobs wait …` and resolves once it has read the job the first time, with the run wrapped
     * (an async function returning the bare promise would wait for the run to end).
     */
    async function startWait(jobId: string, args: string[]): Promise<{ run: Promise<CliResult> }> {
      const reads = (): number =>
        sim.requests.filter((request) => request.method === "GET" && request.path === `/jobs/${jobId}`)
          .length;
      const before = reads();
      const run = cli(["wait", jobId, ...args]);
      await pollUntil(() => (reads() > before ? true : undefined), {
        what: "the wait's first read of the job",
      });
      return { run };
    }

    it("--for terminal follows a rescheduled job to completed, with progress on stderr; exit 0", async () => {
      expect((await cli(["reschedule", COMPLETED])).code).to.equal(0);
      const waiting = await startWait(COMPLETED, ["--for", "terminal"]);
      sim.advance(PENDING_MS + RUNNING_MS);
      const run = await waiting.run;
      expect(run.code, run.output).to.equal(0);
      expect(run.stderr).to.include(
        `narrative-jobs: job ${COMPLETED.slice(0, 8)}…: pending; waiting until it is terminal (timeout 30m0s; ` +
          "Ctrl+C stops the wait, not the job)\n",
      );
      expect(run.stderr).to.match(/job 2a5b9ad7…: completed after \d+s\n$/);
      expect(run.stdout).to.include("state     completed\n");
      expect(sim.writes()).to.have.length(1);
    });

    it("--for running ends once an executor has the job; --json prints the job as last read", async () => {
      expect((await cli(["reschedule", COMPLETED])).code).to.equal(0);
      const waiting = await startWait(COMPLETED, ["--for", "running", "--json"]);
      sim.advance(PENDING_MS);
      const run = await waiting.run;
      expect(run.code, run.output).to.equal(0);
      expect(run.stdout).to.equal(`${await apiText(`/jobs/${COMPLETED}`)}\n`);
      expect(run.stdout).to.include('"state":"running"');
    });

    it("exit 1 when the job ends failed or cancelled, whether it already had or does while waited on", async () => {
      const failed = await cli(["wait", FAILED, "--for", "terminal", "--json"]);
      expect(failed.code, failed.output).to.equal(1);
      expect(failed.stdout).to.equal(`${await apiText(`/jobs/${FAILED}`)}\n`);

      const cancelled = await cli(["wait", CANCELLED, "--for", "running"]);
      expect(cancelled.code, cancelled.output).to.equal(1);
      expect(cancelled.stdout).to.include("state     cancelled\n");

      sim.setJobOutcome(COMPLETED, { state: "failed", message: "Query exceeded its memory limit" });
      expect((await cli(["reschedule", COMPLETED])).code).to.equal(0);
      const waiting = await startWait(COMPLETED, ["--for", "terminal"]);
      sim.advance(PENDING_MS + RUNNING_MS);
      const run = await waiting.run;
      expect(run.code, run.output).to.equal(1);
      expect(run.stdout).to.include("state     failed\n");
      expect(run.stdout).to.include("Query exceeded its memory limit");
    });

    it("exit 4 when --timeout passes; the job goes on", async () => {
      const started = Date.now();
      const run = await cli(["wait", RUNNING, "--for", "terminal", "--timeout", "1s"]);
      expect(run.code, run.output).to.equal(4);
      expect(Date.now() - started).to.be.below(10_000);
      expect(run.stderr).to.include(
        `job ${RUNNING.slice(0, 8)}…: still running after 1s; stopped waiting (timeout), the job goes on\n`,
      );
      expect(run.stdout).to.equal("");
      expect(sim.job(RUNNING)?.state).to.equal("running");
    });

    it("Ctrl+C (SIGINT) stops the wait at once with exit 130, saying the job goes on; the job still runs", async () => {
      const waiting = await startWait(RUNNING, ["--for", "terminal", "--timeout", "10m"]);
      const [child] = children;
      expect(child, "the wait's process").not.to.equal(undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const signalled = Date.now();
      child?.kill("SIGINT");
      const run = await waiting.run;
      const exitMs = Date.now() - signalled;
      console.log(`      wait exited ${exitMs} ms after SIGINT, code ${run.code}`);
      expect(run.code, run.output).to.equal(130);
      expect(exitMs).to.be.below(2_000);
      expect(run.stderr).to.match(
        new RegExp(
          `narrative-jobs: stopped waiting \\(Ctrl\\+C\\); job ${RUNNING} goes on \\(running when last read\\)\\n$`,
        ),
      );
      expect(sim.job(RUNNING)?.state).to.equal("running");
      expect(sim.writes()).to.deep.equal([]);
    });

    it("Ctrl+C while a read of the job hangs still ends the wait at once", async () => {
      sim.fault(`GET /jobs/${RUNNING}`, { latencyMs: 4_000 });
      // The read is logged only once answered, after 4 s, so its arrival is watched for instead: after a
      // fixed pause, a process on a busy machine may not even have started, and Node's default SIGINT would
      // end it before its own handler is there.
      const arrivals = new RequestArrivals(sim.url);
      const reading = arrivals.next(
        (arrival) => arrival.method === "GET" && arrival.path === `/jobs/${RUNNING}`,
      );
      const waiting = { run: cli(["wait", RUNNING, "--for", "terminal"]) };
      await reading.finally(() => arrivals.close());
      const [child] = children;
      const signalled = Date.now();
      child?.kill("SIGINT");
      const run = await waiting.run;
      expect(run.code, run.output).to.equal(130);
      expect(Date.now() - signalled).to.be.below(2_000);
      expect(run.stderr).to.include(`narrative-jobs: stopped waiting (Ctrl+C); job ${RUNNING} goes on\n`);
      // The read was sent before Ctrl+C; once the simulator is done with it, the test leaves nothing behind.
      const reads = await pollUntil(() => (sim.requests.length > 0 ? sim.requests : undefined), {
        what: "the simulator to finish the held read",
        timeoutMs: 10_000,
      });
      expect(reads.map((request) => `${request.method} ${request.path}`)).to.deep.equal([
        `GET /jobs/${RUNNING}`,
      ]);
    });
  });

  describe("exit 2: a bad command line or setting is refused with nothing sent", () => {
    const cases: {
      what: string;
      args: string[];
      env?: Record<string, string | undefined>;
      message: string;
    }[] = [
      {
        what: "an unknown option",
        args: ["get", COMPLETED, "--verbose"],
        message: "unknown option --verbose",
      },
      {
        what: "an option of another command",
        args: ["reschedule", COMPLETED, "--limit", "5"],
        message: "--limit is not an option of reschedule (it belongs to list)",
      },
      {
        what: "a job id that is not a UUID",
        args: ["reschedule", "10736"],
        message: "the job id must be a job's UUID",
      },
      {
        what: "--token, even with the right token",
        args: ["reschedule", COMPLETED, "--token", "TOKEN"],
        message:
          "--token is not accepted: a token given as an argument shows in process lists (ps) and CI logs",
      },
      {
        what: "no token",
        args: ["get", COMPLETED],
        env: { NARRATIVE_API_TOKEN: undefined },
        message: "no Narrative API token: set NARRATIVE_API_TOKEN, or put the token in a file",
      },
      {
        what: "a token file that does not exist",
        args: ["get", COMPLETED, "--token-file", "/nonexistent/narrative-token"],
        message: "cannot read the token from --token-file /nonexistent/narrative-token (ENOENT)",
      },
      {
        what: "--api-url with http:// to a host that is not loopback",
        args: ["reschedule", COMPLETED, "--api-url", "ANY_ADDRESS_URL"],
        message: "--api-url must use https:// (http:// is accepted only for loopback hosts",
      },
      {
        what: "NARRATIVE_API_URL with http:// to a host that is not loopback",
        args: ["get", COMPLETED],
        env: { NARRATIVE_API_URL: "ANY_ADDRESS_URL" },
        message: "NARRATIVE_API_URL must use https://",
      },
      {
        what: "wait without --for",
        args: ["wait", COMPLETED],
        message: "wait needs --for running",
      },
      {
        what: "a --timeout that is not a duration",
        args: ["wait", COMPLETED, "--for", "terminal", "--timeout", "forever"],
        message: "--timeout must be a duration",
      },
    ];
    /**
     * TOKEN is the simulator's token. ANY_ADDRESS_URL is http://0.0.0.0:<simulator port>: not loopback by the
     * https rule, yet Linux connects it to this machine, so a request the rule failed to stop would show in the
     * simulator's log rather than leave the machine.
     */
    const placeholders = (value: string | undefined): string | undefined =>
      value === "TOKEN"
        ? token
        : value === "ANY_ADDRESS_URL"
          ? sim.url.replace("127.0.0.1", "0.0.0.0")
          : value;
    for (const { what, args, env, message } of cases) {
      it(what, async () => {
        const run = await cli(
          args.map((arg) => placeholders(arg) ?? arg),
          Object.fromEntries(Object.entries(env ?? {}).map(([name, value]) => [name, placeholders(value)])),
        );
        expect(run.code, run.output).to.equal(2);
        expect(run.stdout).to.equal("");
        expect(run.stderr).to.include(`narrative-jobs: error: ${message}`);
        expect(sim.requests).to.deep.equal([]);
      });
    }

    it("the token from --token-file works where NARRATIVE_API_TOKEN is not set", async () => {
      const file = path.join(userDir, "narrative-token");
      await fs.writeFile(file, `${token}\n`, { mode: 0o600 });
      const run = await cli(["get", COMPLETED, "--token-file", file], { NARRATIVE_API_TOKEN: undefined });
      expect(run.code, run.output).to.equal(0);
      expect(sim.requests.map((request) => request.authorized)).to.deep.equal([true]);
    });
  });

  describe("exit 3: the API's errors", () => {
    it("a job the API does not know: 404, named in the message", async () => {
      const run = await cli(["get", UNKNOWN_JOB]);
      expect(run.code, run.output).to.equal(3);
      expect(run.stderr).to.include(`narrative-jobs: error: GET /jobs/${UNKNOWN_JOB} on `);
      expect(run.stderr).to.include("failed with 404 Not Found");
    });

    it("a wrong token: 401, and the wrong token is not printed either", async () => {
      const wrong = distinctiveToken("wrong");
      const run = await cli(["reschedule", COMPLETED], { NARRATIVE_API_TOKEN: wrong });
      expect(run.code, run.output).to.equal(3);
      expect(run.stderr).to.include("failed with 401 Unauthorized");
      expect(run.output).not.to.include(wrong);
      expect(sim.appliedReschedules()).to.equal(0);
    });

    it("an error body echoing the token and the Authorization header prints neither", async () => {
      sim.fault("GET /jobs/{job_id}", {
        status: 400,
        body: JSON.stringify({ detail: `bad request from token ${token} (Authorization: Bearer ${token})` }),
      });
      const run = await cli(["get", COMPLETED]);
      expect(run.code, run.output).to.equal(3);
      expect(run.stderr).to.include("[REDACTED]");
    });
  });

  describe("the token", () => {
    it("a job whose fields echo the token: --json and the job view print [REDACTED] in its place", async () => {
      const template = sim.job(COMPLETED);
      const echo = {
        ...template,
        job_id: randomUUID(),
        note: `created with ${token}`,
        result: { snapshot_id: BigInt(BIG_SNAPSHOT_ID), log: `Authorization: Bearer ${token}` },
      } as NonNullable<typeof template>;
      sim.addJob(echo);
      const json = await cli(["get", echo.job_id, "--json"]);
      expect(json.code, json.output).to.equal(0);
      const exact = await apiText(`/jobs/${echo.job_id}`);
      expect(json.stdout).to.equal(`${exact.split(token).join("[REDACTED]")}\n`);
      expect(json.stdout).to.include('"note":"created with [REDACTED]"');
      const view = await cli(["get", echo.job_id]);
      expect(view.code, view.output).to.equal(0);
      expect(view.stdout).to.include(
        `result    {"snapshot_id":${BIG_SNAPSHOT_ID},"log":"Authorization: Bearer [REDACTED]"}`,
      );
    });
  });
});
