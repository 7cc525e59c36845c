/**
 * The text Pulumi stores as `__provider` in the inputs and again in the outputs of every JobRerun, and that the
 * dynamic provider host turns back into a provider with `requireFromString(text).handler()`.
 *
 * It is written by hand rather than produced by `pulumi.runtime.serializeFunction`: the closure serializer
 * wraps every method in its own scaffolding, so the same six one-line delegations came to 1,856 bytes, stored
 * twice per resource and rewritten with the whole state after every step of an update. This text captures
 * nothing (so no token, no API URL and no client code can reach the state) and loads the compiled
 * implementation by package name at run time, so `refresh` and `destroy`, which run the text stored by an
 * earlier deployment, still run the package version installed now.
 *
 * The host loads it for every operation, deleting included, so once the package is uninstalled a JobRerun left
 * in a stack's state fails `pulumi up` and `pulumi destroy` with Node's bare `Cannot find module`. The text
 * therefore catches that one error, for this package's provider only (a module missing inside the package, or
 * any other error, passes unchanged), and says what to do, keeping Node's message at the end. It is minified:
 * it is stored twice per resource, so every byte counts twice.
 *
 * The module it loads (provider.ts) exports exactly the methods the host calls. It exports no `delete`: a job
 * cannot be deleted and a rerun cannot be undone, so the host's default, dropping the resource from the state,
 * is what destroy should do. That is also why `pulumi state delete` loses nothing.
 */
export const PROVIDER_TEXT =
  'exports.handler = ()=>{try{return require("pulumi-narrative-jobs/provider")}catch(e){' +
  'if(e?.code=="MODULE_NOT_FOUND"&&/^Cannot find module \'pulumi-narrative-jobs\\//.test(e.message))' +
  'e=Error("Pulumi needs pulumi-narrative-jobs even to delete a JobRerun: npm install pulumi-narrative-jobs ' +
  "and keep it until no stack has one, or remove one from the state with pulumi state delete <urn> " +
  '(a job is never deleted anyway).\\n"+e.message);throw e}};\n';

/** The type token of a JobRerun, in the `pulumi-nodejs:dynamic` family the dynamic provider host serves. */
export const JOB_RERUN_TYPE = "pulumi-nodejs:dynamic/narrative:JobRerun";
