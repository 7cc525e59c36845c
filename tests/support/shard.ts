/**
 * One test file split across processes: scripts/run-tests.js runs a file whose header says `@shards N` as N
 * mocha processes side by side, the i-th with TEST_SHARD=i/N, and each process declares only its share of the
 * file's independent groups of cases. Run by mocha without the runner, a file declares every case.
 */
export function inThisShard<T>(items: readonly T[], groupOf: (item: T) => string): T[] {
  const shard = process.env["TEST_SHARD"];
  if (shard === undefined || shard === "") {
    return [...items];
  }
  const match = /^(\d+)\/(\d+)$/.exec(shard);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || index < 1 || index > count) {
    throw new Error(`TEST_SHARD must be i/N with 1 ≤ i ≤ N, not ${JSON.stringify(shard)}`);
  }
  // Whole groups are dealt in turn, in the order they first appear, so the items of one group always share
  // a process, and the shards differ by at most one group.
  const groups = [...new Set(items.map(groupOf))];
  return items.filter((item) => groups.indexOf(groupOf(item)) % count === index - 1);
}
