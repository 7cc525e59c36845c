/** Every default of SimulatorOptions, in one place. */
export const SIMULATOR_DEFAULTS = {
  host: "127.0.0.1",
  port: 0,
  token: "demo-token",
  frozen: false,
  durations: { pendingMs: 2_000, runningMs: 10_000 },
  /** `GET /jobs` page size when `per_page` is not given. */
  perPage: 100,
  /** The API's documented largest page; a larger `per_page` is answered 400. */
  maxPerPage: 500,
} as const;
