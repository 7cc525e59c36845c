#!/usr/bin/env node
// The serialized provider requires "pulumi-narrative-jobs/provider" by package name from the Pulumi project's
// directory. Programs inside this repository (the demo, the examples, the end-to-end tests) have the repository
// itself as their package, so node_modules/pulumi-narrative-jobs must point back here, exactly as it points at
// the installed package in a user's project.
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const link = path.join(root, "node_modules", "pulumi-narrative-jobs");
let target;
try {
  target = fs.readlinkSync(link);
} catch {
  target = undefined;
}
if (target !== "..") {
  fs.rmSync(link, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync("..", link, "dir");
}
