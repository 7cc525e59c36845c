/**
 * Times Pulumi CLI commands on the bench's stacks, counting the API requests each made, and runs the sides of a
 * comparison in alternating rounds (A, B, A, B, ...) so that another workload on the machine falls on every side
 * alike; then summarizes the sides, every ratio taken run by run.
 */
import type { Simulator } from "../provider/simulator";
import type { PulumiWorkspace } from "../scripts/pulumi-harness";
import type { ApiProxy } from "./api-proxy";
import { progress } from "./progress";
import { GENERATION_VARIABLE, YAML_GENERATION_KEY } from "./programs";
import type { PluginSide, SideBySide, Versus } from "./figures";
import { pairedRatios, summarize } from "./stats";

/** An up of hundreds of resources takes minutes on a small machine; a hung engine must still end the run. */
const COMMAND_TIMEOUT_MS = 20 * 60_000;

/** What one CLI command cost. */
export interface CommandMeasure {
  seconds: number;
  requests: number;
  writes: number;
  maxInFlight: number;
}

/** One side of a comparison: a name for the progress lines and one timed command. */
export interface Side {
  name: string;
  run: () => Promise<CommandMeasure>;
}

export class CommandTimer {
  /** The `generation` each YAML workspace's configuration holds. */
  private readonly yamlGenerations = new WeakMap<PulumiWorkspace, number>();

  constructor(
    private readonly sim: Simulator,
    private readonly proxy: ApiProxy,
  ) {}

  /**
   * Runs one command with the triggers at `generation` and checks it did what the figure claims (every resource
   * previewed or applied as an update), so that a figure never silently measures a no-op.
   */
  async time(
    workspace: PulumiWorkspace,
    args: string[],
    generation: number,
    expected: RegExp,
    env: NodeJS.ProcessEnv = {},
  ): Promise<CommandMeasure> {
    const before = this.sim.requests.length;
    this.proxy.resetCounters();
    const startedAt = performance.now();
    const result = await workspace.pulumi(args, {
      env: { [GENERATION_VARIABLE]: String(generation), ...env },
      timeoutMs: COMMAND_TIMEOUT_MS,
      allowFailure: true,
    });
    const seconds = (performance.now() - startedAt) / 1_000;
    if (result.code !== 0 || !expected.test(result.output)) {
      const what = result.code === 0 ? `did not print ${expected}` : `exited with ${result.code}`;
      throw new Error(`${result.command} (${workspace.dir}) ${what}:\n${result.output.slice(-4_000)}`);
    }
    const requests = this.sim.requests.slice(before);
    return {
      seconds,
      requests: requests.length,
      writes: requests.filter((request) => request.method !== "GET").length,
      maxInFlight: this.proxy.maxInFlight,
    };
  }

  /**
   * `time` for a YAML workspace, whose triggers come from its `generation` setting: set before the clock
   * starts (a command of its own, as a person changing a setting), and only when it changes.
   */
  async timeYaml(
    workspace: PulumiWorkspace,
    args: string[],
    generation: number,
    expected: RegExp,
  ): Promise<CommandMeasure> {
    if (this.yamlGenerations.get(workspace) !== generation) {
      await workspace.setConfig(YAML_GENERATION_KEY, String(generation));
      this.yamlGenerations.set(workspace, generation);
    }
    return this.time(workspace, args, generation, expected);
  }

  /** `runs` rounds of every side in turn (A, B, A, B, ...); returns each side's measures in run order. */
  async alternate(label: string, runs: number, sides: readonly Side[]): Promise<CommandMeasure[][]> {
    const measures: CommandMeasure[][] = sides.map(() => []);
    for (let run = 0; run < runs; run++) {
      for (const [index, side] of sides.entries()) {
        measures[index]?.push(await side.run());
      }
      const last = sides.map(
        (side, index) => `${side.name} ${measures[index]?.at(-1)?.seconds.toFixed(2)} s`,
      );
      progress(`${label} run ${run + 1}/${runs}: ${last.join(", ")}`);
    }
    return measures;
  }
}

export const secondsOf = (measures: readonly CommandMeasure[]): number[] =>
  measures.map((measure) => measure.seconds);

export function sideBySide(
  jobRerun: readonly CommandMeasure[],
  floor: readonly CommandMeasure[],
): SideBySide {
  return {
    jobRerun: {
      seconds: summarize(secondsOf(jobRerun)),
      requests: summarize(jobRerun.map((measure) => measure.requests)),
      writes: summarize(jobRerun.map((measure) => measure.writes)),
      maxInFlight: summarize(jobRerun.map((measure) => measure.maxInFlight)),
    },
    floor: { seconds: summarize(secondsOf(floor)) },
    ratio: pairedRatios(secondsOf(jobRerun), secondsOf(floor)),
  };
}

/** A diagnosis side: its time, and JobRerun's over it run by run. */
export function versus(
  jobRerun: readonly CommandMeasure[],
  other: readonly CommandMeasure[] | undefined,
): Versus | undefined {
  return other === undefined || other.length === 0
    ? undefined
    : { seconds: summarize(secondsOf(other)), ratio: pairedRatios(secondsOf(jobRerun), secondsOf(other)) };
}

export function pluginSide(measures: readonly CommandMeasure[]): PluginSide {
  return {
    seconds: summarize(secondsOf(measures)),
    requests: summarize(measures.map((measure) => measure.requests)),
    writes: summarize(measures.map((measure) => measure.writes)),
  };
}
