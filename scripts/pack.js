// The package as npm would publish it: `npm pack` of this checkout's lib/ into a temporary directory that is
// removed when the process exits. One implementation for scripts/run-tests.js (once per test run),
// tests/support/packing.ts (a mocha process started without the runner) and scripts/check-package.ts.
const { execFile } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");

/** Resolves with the tarball's path and npm's manifest of it; rejects naming what to do when lib/ is missing. */
function packThisCheckout() {
  if (!fs.existsSync(path.join(ROOT, "lib", "index.js"))) {
    return Promise.reject(new Error("lib/ is missing: run `npm run build` first (npm test does)"));
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "narrative-pack-"));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return new Promise((resolve, reject) => {
    execFile("npm", ["pack", "--json", "--pack-destination", dir], { cwd: ROOT }, (error, stdout, stderr) => {
      let manifest;
      try {
        manifest = error === null ? JSON.parse(stdout)[0] : undefined;
      } catch {
        manifest = undefined;
      }
      if (manifest === undefined) {
        reject(
          new Error(`npm pack failed${error === null ? "" : ` (${error.message})`}:\n${stdout}${stderr}`),
        );
      } else {
        resolve({ tarball: path.join(dir, manifest.filename), manifest });
      }
    });
  });
}

module.exports = { packThisCheckout };
