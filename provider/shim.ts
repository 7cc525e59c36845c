/**
 * The text Pulumi stores as `__provider` in the inputs and again in the outputs of every JobRerun, and that the
 * dynamic provider host turns back into a provider with `requireFromString(text).handler()`.
 *
 * It is written by hand rather than produced by `pulumi.runtime.serializeFunction`: the closure serializer
 * wraps every method in its own scaffolding, so the same six one-line delegations came to 1,856 bytes, stored
 * twice per resource and rewritten with the whole state after every step of an update. This text does the same
 * job in under 80 bytes: it captures nothing (so no token, no API URL and no client code can reach the state)
 * and loads the compiled implementation by package name at run time, so `refresh` and `destroy`, which run
 * the text stored by an earlier deployment, still run the package version installed now.
 *
 * The module it loads (provider.ts) exports exactly the methods the host calls. It exports no `delete`: a job
 * cannot be deleted and a rerun cannot be undone, so the host's default, dropping the resource from the state,
 * is what destroy should do.
 */
export const PROVIDER_TEXT = 'exports.handler = () => require("pulumi-narrative-jobs/provider");\n';

/** The type token of a JobRerun, in the `pulumi-nodejs:dynamic` family the dynamic provider host serves. */
export const JOB_RERUN_TYPE = "pulumi-nodejs:dynamic/narrative:JobRerun";
