import type * as pulumi from "@pulumi/pulumi";

/**
 * The provider object Pulumi serializes into the state of every JobRerun (as `__provider`).
 *
 * Everything a serialized function references is copied into the state by value, so this object references
 * nothing but `require`: each method loads the compiled implementation by package name at run time. That
 * keeps the stored text small, free of the token and the API URL, and means `refresh` and `destroy`, which run
 * the text stored by an earlier deployment, still run the package version installed now.
 */
export const jobRerunProvider: pulumi.dynamic.ResourceProvider = {
  configure: (req) => require("pulumi-narrative-jobs/provider").configure(req),
  check: (olds, news) => require("pulumi-narrative-jobs/provider").check(olds, news),
  diff: (id, olds, news) => require("pulumi-narrative-jobs/provider").diff(id, olds, news),
  create: (news) => require("pulumi-narrative-jobs/provider").create(news),
  read: (id, props) => require("pulumi-narrative-jobs/provider").read(id, props),
  update: (id, olds, news) => require("pulumi-narrative-jobs/provider").update(id, olds, news),
  // No delete: a job cannot be deleted and a rerun cannot be undone, so the engine only drops the resource
  // from the state. Leaving the method out keeps the text stored per resource under 2 KB.
};
