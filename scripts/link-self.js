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

// The package's executables, as npm installs them for a user: executable, and on node_modules/.bin, so that a
// program in this repository can name node_modules/.bin in `plugins.providers` exactly as a user's would.
const manifest = require(path.join(root, "package.json"));
const binDir = path.join(root, "node_modules", ".bin");
fs.mkdirSync(binDir, { recursive: true });
for (const [name, file] of Object.entries(manifest.bin)) {
  const built = path.join(root, file);
  if (fs.existsSync(built)) {
    fs.chmodSync(built, 0o755);
  }
  const binLink = path.join(binDir, name);
  const binTarget = path.join("..", "pulumi-narrative-jobs", file);
  let current;
  try {
    current = fs.readlinkSync(binLink);
  } catch {
    current = undefined;
  }
  if (current !== binTarget) {
    fs.rmSync(binLink, { force: true });
    fs.symlinkSync(binTarget, binLink);
  }
}
