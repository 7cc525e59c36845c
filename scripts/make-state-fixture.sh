#!/usr/bin/env bash
# make-state-fixture.sh: record the Pulumi state that an earlier commit of this package writes, as a fixture for
# tests/e2e/state-upgrade.test.ts.
#
#   scripts/make-state-fixture.sh <commit> <fixture-name> [<program.js>]
#
# In a temporary git worktree of <commit>: npm ci, npm run build, start that commit's simulator on
# 127.0.0.1:$STATE_FIXTURE_PORT (default 48151), and run the program (default tests/fixtures/state/program.js;
# program-before-wait.js for a build without waitFor) through the real
# Pulumi CLI (scripts/ensure-pulumi of this checkout, offline: file backend, private PULUMI_HOME) in a stack
# named <fixture-name>: `pulumi up` with release "1" (creates the JobReruns: each reads its job), then
# `pulumi up` with release "2" (those whose triggers follow it reschedule; one waits for the rerun to finish). Then writes
# tests/fixtures/state/<fixture-name>/ in this checkout:
#   export.json             `pulumi stack export` of the stack (formatted by prettier)
#   Pulumi.yaml             the project file
#   Pulumi.<name>.yaml      the stack configuration: encryptionsalt, narrative:apiUrl, the encrypted
#                           narrative:token, release
#   index.js                the program that made it (a copy of the program)
#   fixture.json            the commit and everything the test needs to load the fixture again
# and removes the worktree, the backend and the simulator again. A fixture directory that exists is replaced.
#
# Environment: STATE_FIXTURE_PORT (default 48151), STATE_FIXTURE_WORKTREE (where to put the worktree; default
# a temporary directory), PULUMI_CLI_CACHE (passed on to scripts/ensure-pulumi).
set -euo pipefail

usage() {
	sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
[ $# -eq 2 ] || [ $# -eq 3 ] || usage
COMMIT_ARG=$1
NAME=$2
[[ "$NAME" =~ ^[a-z0-9][a-z0-9-]*$ ]] || {
	echo "make-state-fixture: the fixture name must be lower-case letters, digits and dashes (it is also the stack name)" >&2
	exit 2
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIXTURES="$ROOT/tests/fixtures/state"
OUT="$FIXTURES/$NAME"
PROGRAM="$(realpath "${3:-$FIXTURES/program.js}")"
PORT="${STATE_FIXTURE_PORT:-48151}"
API_URL="http://127.0.0.1:$PORT"
# Fixed and documented: they are the fixture's, not anybody's credentials (see tests/fixtures/state/README.md).
TOKEN="state-fixture-token"
PASSPHRASE="state-fixture-passphrase"
PROJECT="state-fixture"

log() { printf 'make-state-fixture: %s\n' "$*" >&2; }

COMMIT="$(git -C "$ROOT" rev-parse --verify "$COMMIT_ARG^{commit}")"
SUBJECT="$(git -C "$ROOT" log -1 --format=%s "$COMMIT")"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/state-fixture-XXXXXX")"
TREE="${STATE_FIXTURE_WORKTREE:-$WORK/tree}"
SIM_PID=""

cleanup() {
	if [ -n "$SIM_PID" ]; then
		kill "$SIM_PID" 2>/dev/null || true
		wait "$SIM_PID" 2>/dev/null || true
	fi
	if [ -d "$TREE" ]; then
		git -C "$ROOT" worktree remove --force "$TREE" || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

if curl -s -o /dev/null "$API_URL/" 2>/dev/null; then
	log "something already listens on $API_URL: stop it or set STATE_FIXTURE_PORT"
	exit 1
fi

CLI_DIR="$("$ROOT/scripts/ensure-pulumi")"
log "commit ${COMMIT:0:7} ($SUBJECT), Pulumi CLI in $CLI_DIR"

git -C "$ROOT" worktree add --detach "$TREE" "$COMMIT" >&2
(cd "$TREE" && npm ci --no-audit --no-fund --loglevel=error >&2 && npm run build --silent >&2)

node "$TREE/lib/simulator/cli.js" --port "$PORT" --token "$TOKEN" --pending 500ms --running 1s --quiet \
	>"$WORK/simulator.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 100); do
	curl -s -o /dev/null "$API_URL/" && break
	sleep 0.1
done
curl -s -o /dev/null "$API_URL/" || {
	cat "$WORK/simulator.log" >&2
	log "the simulator did not start"
	exit 1
}

# The project lives inside the worktree, so that the program and the dynamic provider resolve that commit's
# build (node_modules/pulumi-narrative-jobs links the worktree to itself) and its @pulumi/pulumi.
PROJECT_DIR="$TREE/.state-fixture"
mkdir -p "$PROJECT_DIR" "$WORK/backend" "$WORK/home"
printf 'name: %s\nruntime: nodejs\n' "$PROJECT" >"$PROJECT_DIR/Pulumi.yaml"
printf '{ "name": "%s", "private": true, "main": "index.js" }\n' "$PROJECT" >"$PROJECT_DIR/package.json"
cp "$PROGRAM" "$PROJECT_DIR/index.js"

# Only the offline settings: a caller's NARRATIVE_* and PULUMI_* variables are dropped.
run_pulumi() {
	(cd "$PROJECT_DIR" && env $(env | sed -n 's/^\(NARRATIVE_[A-Za-z0-9_]*\|PULUMI_[A-Za-z0-9_]*\)=.*/-u \1/p') \
		PATH="$CLI_DIR:$PATH" \
		PULUMI_BACKEND_URL="file://$WORK/backend" \
		PULUMI_HOME="$WORK/home" \
		PULUMI_CONFIG_PASSPHRASE="$PASSPHRASE" \
		PULUMI_SKIP_UPDATE_CHECK=true \
		PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
		PULUMI_SKIP_CONFIRMATIONS=true \
		pulumi --non-interactive --color never "$@")
}

run_pulumi stack init "$NAME" >&2
run_pulumi config set narrative:apiUrl "$API_URL" >&2
run_pulumi config set --secret narrative:token -- "$TOKEN" >&2
run_pulumi config set release 1 >&2
log "pulumi up: create"
run_pulumi up --yes --skip-preview >&2
run_pulumi config set release 2 >&2
log "pulumi up: release 2 reschedules two of the jobs"
run_pulumi up --yes --skip-preview >&2

rm -rf "$OUT"
mkdir -p "$OUT"
run_pulumi stack export --file "$OUT/export.json"
cp "$PROJECT_DIR/Pulumi.yaml" "$PROJECT_DIR/Pulumi.$NAME.yaml" "$PROJECT_DIR/index.js" "$OUT/"
if grep -q "$TOKEN" "$OUT/export.json"; then
	log "the token is in the exported state: that commit breaks a house rule; not a fixture"
	exit 1
fi

node - "$OUT" "$COMMIT" "$SUBJECT" "$NAME" "$PROJECT" "$API_URL" "$TOKEN" "$PASSPHRASE" \
	"$(run_pulumi version)" <<'EOF'
const fs = require("node:fs");
const path = require("node:path");
const [out, commit, subject, stack, project, apiUrl, token, passphrase, cliVersion] = process.argv.slice(2);
const exported = JSON.parse(fs.readFileSync(path.join(out, "export.json"), "utf8"));
const reruns = exported.deployment.resources.filter((resource) => resource.type.endsWith(":JobRerun"));
const fixture = {
  commit,
  subject,
  stack,
  project,
  apiUrl,
  token,
  passphrase,
  pulumiCli: cliVersion,
  node: process.version,
  // What the state holds per JobRerun, for the README's table.
  providerTextBytes: Buffer.byteLength(reruns[0].outputs.__provider),
  // Every output name any JobRerun stored (a figure that is absent is not stored).
  outputNames: [...new Set(reruns.flatMap((resource) => Object.keys(resource.outputs)))].sort(),
};
fs.writeFileSync(path.join(out, "fixture.json"), `${JSON.stringify(fixture, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(fixture, null, 2)}\n`);
EOF

# The repository's formatting rules apply to every file it holds; this changes whitespace only.
(cd "$ROOT" && npx prettier --log-level warn --write "$OUT")
log "wrote $OUT ($(wc -c <"$OUT/export.json") bytes of export)"
