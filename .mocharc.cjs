// Mocha's configuration, the one place for it.
//
// Which tests run:
// - test files named on the command line (`npx mocha tests/unit/json.test.ts`, or with `--spec`): those alone;
//   mocha would otherwise add them to the configured list and run everything;
// - otherwise the suites in TEST_SUITES (comma-separated: unit, integration, e2e, compat), which the npm scripts
//   set (scripts/run-tests.js, which most of them run, reads the files from here and starts a mocha process per
//   file, naming it on the command line);
// - otherwise all four suites.
const { loadOptions } = require("mocha/lib/cli/options");

const SUITES = {
  unit: "tests/unit/**/*.test.ts",
  integration: "tests/integration/**/*.test.ts",
  e2e: "tests/e2e/**/*.test.ts",
  compat: "tests/compat/**/*.test.ts",
};

/** The test files the command line names, read by mocha's own parser with this file left out. */
function filesOnTheCommandLine() {
  return loadOptions([...process.argv.slice(2), "--no-config", "--no-package"])._;
}

function configuredSpecs() {
  const requested = (process.env["TEST_SUITES"] ?? "").split(",").filter((name) => name !== "");
  const names = requested.length > 0 ? requested : Object.keys(SUITES);
  return names.map((name) => {
    const glob = SUITES[name];
    if (glob === undefined) {
      throw new Error(`TEST_SUITES: no suite ${JSON.stringify(name)}; use ${Object.keys(SUITES).join(", ")}`);
    }
    return glob;
  });
}

module.exports = {
  require: ["ts-node/register/transpile-only", "tests/setup.ts"],
  extension: ["ts"],
  spec: filesOnTheCommandLine().length > 0 ? [] : configuredSpecs(),
  timeout: 20000,
  forbidOnly: true,
  checkLeaks: true,
  reporter: "tests/reporter.js",
  global: ["globalStore"],
};
