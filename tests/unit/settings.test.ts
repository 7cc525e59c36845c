import { expect } from "chai";
import * as sinon from "sinon";
import { resolveSettings, type ConfigSource } from "../../provider/jobrerun/settings";
import { CONFIG_KEYS, DEFAULT_API_URL, ENV_KEYS } from "../../provider/common/setting-names";
import { thrownBy } from "../support/assertions";

/** Shaped like the documentation's example token, so that a leak would be easy to spot in a failure. */
const TOKEN = "ldg8uuGibVJNHI9s+dcdIQ==";

function config(values: Record<string, string>): ConfigSource {
  return { get: (key) => values[key] };
}

describe("provider settings", () => {
  it("uses the documented configuration keys, environment variables and default URL", () => {
    expect(CONFIG_KEYS).to.deep.equal({
      apiUrl: "narrative:apiUrl",
      token: "narrative:token",
      attemptTimeout: "narrative:attemptTimeout",
      totalTimeout: "narrative:totalTimeout",
    });
    expect(ENV_KEYS).to.deep.equal({
      apiUrl: "NARRATIVE_API_URL",
      token: "NARRATIVE_API_TOKEN",
      attemptTimeout: "NARRATIVE_ATTEMPT_TIMEOUT",
      totalTimeout: "NARRATIVE_TOTAL_TIMEOUT",
    });
    expect(DEFAULT_API_URL).to.equal("https://api.narrative.io");
  });

  describe("resolveSettings", () => {
    it("falls back to the default URL and leaves the rest unset when nothing is configured", () => {
      expect(resolveSettings(config({}), {})).to.deep.equal({
        apiUrl: DEFAULT_API_URL,
        apiUrlSetting: "default",
        token: undefined,
        attemptTimeoutMs: undefined,
        totalTimeoutMs: undefined,
      });
    });

    it("reads every setting from the stack configuration", () => {
      const settings = resolveSettings(
        config({
          "narrative:apiUrl": "https://api-dev.narrative.io",
          "narrative:token": TOKEN,
          "narrative:attemptTimeout": "10s",
          "narrative:totalTimeout": "3m",
        }),
        {},
      );
      expect(settings).to.deep.equal({
        apiUrl: "https://api-dev.narrative.io",
        apiUrlSetting: "narrative:apiUrl",
        token: TOKEN,
        attemptTimeoutMs: 10_000,
        totalTimeoutMs: 180_000,
      });
    });

    it("reads every setting from the environment when the configuration does not set it", () => {
      const settings = resolveSettings(config({}), {
        NARRATIVE_API_URL: "http://127.0.0.1:4010",
        NARRATIVE_API_TOKEN: TOKEN,
        NARRATIVE_ATTEMPT_TIMEOUT: "5",
        NARRATIVE_TOTAL_TIMEOUT: "1m30s",
      });
      expect(settings).to.deep.equal({
        apiUrl: "http://127.0.0.1:4010",
        apiUrlSetting: "NARRATIVE_API_URL",
        token: TOKEN,
        attemptTimeoutMs: 5_000,
        totalTimeoutMs: 90_000,
      });
    });

    it("lets the configuration win over the environment, key by key", () => {
      const env = {
        NARRATIVE_API_URL: "https://from-env.example",
        NARRATIVE_API_TOKEN: "env-token",
        NARRATIVE_ATTEMPT_TIMEOUT: "1s",
        NARRATIVE_TOTAL_TIMEOUT: "1m",
      };
      expect(
        resolveSettings(config({ "narrative:apiUrl": "https://from-config.example" }), env),
      ).to.deep.equal({
        apiUrl: "https://from-config.example",
        apiUrlSetting: "narrative:apiUrl",
        token: "env-token",
        attemptTimeoutMs: 1_000,
        totalTimeoutMs: 60_000,
      });
      expect(resolveSettings(config({ "narrative:token": TOKEN }), env).token).to.equal(TOKEN);
      expect(resolveSettings(config({ "narrative:attemptTimeout": "7s" }), env).attemptTimeoutMs).to.equal(
        7_000,
      );
      expect(resolveSettings(config({ "narrative:totalTimeout": "2m" }), env).totalTimeoutMs).to.equal(
        120_000,
      );
    });

    it("treats an empty configuration value as unset and falls back to the environment", () => {
      const settings = resolveSettings(
        config({
          "narrative:apiUrl": "",
          "narrative:token": "",
          "narrative:attemptTimeout": "",
          "narrative:totalTimeout": "",
        }),
        {
          NARRATIVE_API_URL: "https://api-dev.narrative.io",
          NARRATIVE_API_TOKEN: TOKEN,
          NARRATIVE_ATTEMPT_TIMEOUT: "2s",
          NARRATIVE_TOTAL_TIMEOUT: "20s",
        },
      );
      expect(settings).to.deep.equal({
        apiUrl: "https://api-dev.narrative.io",
        apiUrlSetting: "NARRATIVE_API_URL",
        token: TOKEN,
        attemptTimeoutMs: 2_000,
        totalTimeoutMs: 20_000,
      });
    });

    it("treats an empty environment variable as unset", () => {
      const settings = resolveSettings(config({ "narrative:apiUrl": "" }), {
        NARRATIVE_API_URL: "",
        NARRATIVE_API_TOKEN: "",
        NARRATIVE_ATTEMPT_TIMEOUT: "",
        NARRATIVE_TOTAL_TIMEOUT: "",
      });
      expect(settings).to.deep.equal({
        apiUrl: DEFAULT_API_URL,
        apiUrlSetting: "default",
        token: undefined,
        attemptTimeoutMs: undefined,
        totalTimeoutMs: undefined,
      });
    });

    it("works without any configuration, as older CLIs that never call configure()", () => {
      expect(resolveSettings(undefined, { NARRATIVE_API_TOKEN: TOKEN })).to.deep.equal({
        apiUrl: DEFAULT_API_URL,
        apiUrlSetting: "default",
        token: TOKEN,
        attemptTimeoutMs: undefined,
        totalTimeoutMs: undefined,
      });
    });

    it("asks the configuration for exactly the namespaced keys", () => {
      const get = sinon.fake((_key: string): string | undefined => undefined);
      resolveSettings({ get }, {});
      expect(get.args.map(([key]) => key).sort()).to.deep.equal(Object.values(CONFIG_KEYS).sort());
    });

    it("reads only the environment it is given, not process.env", () => {
      const saved = process.env["NARRATIVE_API_TOKEN"];
      process.env["NARRATIVE_API_TOKEN"] = TOKEN;
      try {
        expect(resolveSettings(undefined, {}).token).to.equal(undefined);
      } finally {
        if (saved === undefined) {
          delete process.env["NARRATIVE_API_TOKEN"];
        } else {
          process.env["NARRATIVE_API_TOKEN"] = saved;
        }
      }
    });

    for (const [name, configKey, envKey] of [
      ["attemptTimeout", "narrative:attemptTimeout", "NARRATIVE_ATTEMPT_TIMEOUT"],
      ["totalTimeout", "narrative:totalTimeout", "NARRATIVE_TOTAL_TIMEOUT"],
    ] as const) {
      describe(`a bad ${name}`, () => {
        for (const bad of ["soon", "0", "0s", "-5s", "10 minutes", "1e3", "Infinity"]) {
          it(`throws for ${JSON.stringify(bad)} from the configuration, naming the key and the value`, () => {
            const error = thrownBy(() =>
              resolveSettings(config({ [configKey]: bad, "narrative:token": TOKEN }), {}),
            );
            expect(error.message).to.include(configKey);
            expect(error.message).to.include(envKey);
            expect(error.message).to.include(JSON.stringify(bad));
            expect(error.message).to.match(/positive duration/);
            expect(error.message).not.to.include(TOKEN);
          });
        }

        it("throws for a bad value from the environment too, naming both places it may come from", () => {
          const error = thrownBy(() =>
            resolveSettings(undefined, { [envKey]: "later", NARRATIVE_API_TOKEN: TOKEN }),
          );
          expect(error.message).to.include(configKey);
          expect(error.message).to.include(envKey);
          expect(error.message).to.include('"later"');
          expect(error.message).not.to.include(TOKEN);
        });

        const limit = name === "attemptTimeout" ? "10m" : "24h";
        const tooLong = name === "attemptTimeout" ? ["11m", "601", "1h"] : ["25h", "9999999h", "86401"];
        for (const bad of tooLong) {
          it(`throws for ${JSON.stringify(bad)}, longer than a Node timer may safely wait, naming the limit`, () => {
            const error = thrownBy(() => resolveSettings(config({ [configKey]: bad }), {}));
            expect(error.message).to.equal(
              `${configKey} (or ${envKey}) must be at most ${limit}; got ${JSON.stringify(bad)}`,
            );
            expect(error).to.have.property("property", configKey);
          });
        }

        it("does not throw for a bad environment value that the configuration overrides", () => {
          expect(() => resolveSettings(config({ [configKey]: "30s" }), { [envKey]: "later" })).not.to.throw();
        });
      });
    }
  });

  describe("the API URL rule for the configuration", () => {
    for (const [where, resolve] of [
      ["narrative:apiUrl", (url: string) => resolveSettings(config({ "narrative:apiUrl": url }), {})],
      ["NARRATIVE_API_URL", (url: string) => resolveSettings(undefined, { NARRATIVE_API_URL: url })],
    ] as const) {
      it(`refuses plain http:// to a host that is not loopback from ${where}, naming it`, () => {
        const error = thrownBy(() => resolve("http://api.narrative.io"));
        expect(error.message).to.match(new RegExp(`^${where} must use https://`));
        expect(error.message).to.include("Nothing was sent");
        expect(error).to.have.property("property", where);
      });

      it(`never repeats credentials in the URL from ${where}`, () => {
        const error = thrownBy(() => resolve(`https://user:${TOKEN}@api.narrative.io`));
        expect(error.message).to.match(new RegExp(`^${where} must not contain a user name or password`));
        expect(error.message).not.to.include(TOKEN);
        expect(error.message).not.to.include("user:");
      });

      it(`accepts https:// and loopback http:// from ${where}`, () => {
        expect(resolve("https://api-dev.narrative.io").apiUrl).to.equal("https://api-dev.narrative.io");
        expect(resolve("http://127.0.0.1:4010").apiUrl).to.equal("http://127.0.0.1:4010");
      });
    }
  });
});
