/**
 * Re-run a Narrative I/O job from a script, with Pulumi's Automation API and an inline program (a function in
 * this file; no Pulumi.yaml, no `pulumi` command to type).
 *
 *   npm install pulumi-narrative-jobs @pulumi/pulumi
 *   npm install --save-dev typescript@5 ts-node@10 @types/node@20 && npx tsc
 *   export NARRATIVE_API_TOKEN=<your Narrative API key> PULUMI_CONFIG_PASSPHRASE=<a passphrase>
 *   export JOB_ID=2a5b9ad7-dc8f-47bb-8e62-843a38f8054c RELEASE=$(git rev-parse HEAD)
 *   node path/to/deploy.js up         # from any directory
 *   node path/to/deploy.js preview    # with a new RELEASE: shows the pending rerun, sends nothing
 *
 * Commands: preview, up, refresh, destroy. The stack's state goes to the backend you are logged in to
 * (`pulumi login`, or PULUMI_BACKEND_URL). The provider reads the token from NARRATIVE_API_TOKEN (and the API
 * URL from NARRATIVE_API_URL, when set) at run time: it is never written to the stack.
 */
import { LocalWorkspace, type PulumiFn } from "@pulumi/pulumi/automation";
import * as narrative from "pulumi-narrative-jobs";

const PROJECT = "narrative-automation";
const STACK = "dev";

const program: PulumiFn = async () => {
  const rerun = new narrative.JobRerun("audience-view", {
    jobId: requiredEnv("JOB_ID"),
    triggers: { release: requiredEnv("RELEASE") },
  });
  return {
    state: rerun.state,
    outcome: rerun.outcome.apply((outcome) => outcome ?? "none"),
    rescheduleCount: rerun.rescheduleCount,
  };
};

async function main(command: string | undefined): Promise<void> {
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: STACK, projectName: PROJECT, program },
    {
      // The engine starts Pulumi's dynamic provider host, which loads pulumi-narrative-jobs, in the project's
      // `main` directory. For an inline program that defaults to the directory the script was started from,
      // which need not have node_modules: `main` points it at this file's directory, which reaches them.
      projectSettings: { name: PROJECT, runtime: "nodejs", main: __dirname },
    },
  );
  const onOutput = (text: string): void => {
    process.stdout.write(text);
  };
  switch (command) {
    case "preview":
      await stack.preview({ onOutput, diff: true });
      return;
    case "up": {
      const { outputs } = await stack.up({ onOutput });
      const figures = ["outcome", "state", "rescheduleCount"].map(
        (name) => `${name}=${outputs[name]?.value}`,
      );
      console.log(`JobRerun audience-view: ${figures.join(" ")}`);
      return;
    }
    case "refresh":
      await stack.refresh({ onOutput });
      return;
    case "destroy":
      await stack.destroy({ onOutput });
      return;
    default:
      throw new Error(`usage: node deploy.js preview|up|refresh|destroy (got ${command ?? "nothing"})`);
  }
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`set ${name}`);
  }
  return value;
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
