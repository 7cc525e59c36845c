/**
 * The compatibility suite's proxy cell: the API (the simulator behind an https front with the test certificates)
 * is reachable only through a forward proxy on loopback that demands a user name and password, and `pulumi`
 * runs with HTTPS_PROXY, NO_PROXY and NODE_EXTRA_CA_CERTS set as a pipeline behind a company proxy would set
 * them. The dynamic provider inherits that environment from the CLI.
 */
import { expect } from "chai";
import { promises as fs } from "node:fs";
import type { Simulator } from "../../provider/simulator";
import type { CliResult } from "../../scripts/pulumi-harness";
import { tokenLeaks } from "./token-leaks";
import { API_HOST, ForwardProxy, TEST_CA_FILE, TlsFront } from "./proxy-servers";
import {
  describeRequests,
  destroySendsNothing,
  previewShowsTheRerun,
  refreshReadsTheJob,
  SEED_JOB_ID,
  upCreatesWithoutRescheduling,
  upReschedulesOnce,
  watchRequests,
  type LifecycleContext,
} from "./e2e-steps";

const PROXY_USER = "compat-pipeline";
const PROXY_PASSWORD = "c0mpat@Proxy-Pass-5e1d";

/** The proxy and the https front of one cell, and the environment that sends `pulumi` through them. */
export interface ProxiedApi {
  apiUrl: string;
  env: NodeJS.ProcessEnv;
  proxy: ForwardProxy;
  close(): Promise<void>;
}

export async function startProxiedApi(sim: Simulator): Promise<ProxiedApi> {
  const front = await TlsFront.start(sim.url);
  const proxy = await ForwardProxy.start({ credentials: `${PROXY_USER}:${PROXY_PASSWORD}` });
  const env: NodeJS.ProcessEnv = {
    HTTPS_PROXY: proxyUrl(proxy, PROXY_PASSWORD),
    // The engine and its plugins talk over loopback: kept off the proxy, as a pipeline's NO_PROXY would.
    NO_PROXY: "localhost,127.0.0.1",
    NODE_EXTRA_CA_CERTS: TEST_CA_FILE,
    // The lower-case names win over the upper-case ones: this machine's own settings must not get in the way.
    https_proxy: "",
    no_proxy: "",
    all_proxy: "",
    ALL_PROXY: "",
  };
  return {
    apiUrl: front.apiUrl,
    env,
    proxy,
    async close() {
      await proxy.close();
      await front.close();
    },
  };
}

function proxyUrl(proxy: ForwardProxy, password: string): string {
  return proxy.url.replace("://", `://${PROXY_USER}:${encodeURIComponent(password)}@`);
}

function expectNoProxyCredentials(text: string, what: string): void {
  expect(tokenLeaks(text, PROXY_PASSWORD), what).to.deep.equal([]);
  expect(text, what).not.to.include(PROXY_USER);
  expect(text, what).not.to.include(Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString("base64"));
}

/** The lifecycle through the proxy, with what the proxy saw, a refused tunnel, and the state checked. */
export function proxyCases(
  context: () => LifecycleContext & { proxied: ProxiedApi; token: string; transcript: () => CliResult[] },
): void {
  it("create: up reads the job once, through the proxy, and reschedules nothing", () =>
    upCreatesWithoutRescheduling(context()));
  it("new triggers: preview shows the update and sends no request", () => previewShowsTheRerun(context()));
  it("up reschedules exactly once", () => upReschedulesOnce(context()));
  it("refresh reads the job once", () => refreshReadsTheJob(context()));

  it("every request went through a CONNECT tunnel to the API, which the proxy saw only as TLS", () => {
    const { proxied, sim, token } = context();
    const { proxy } = proxied;
    const port = new URL(proxied.apiUrl).port;
    // One tunnel per provider process that called the API (create, up, refresh), kept alive within it.
    expect(proxy.tunnels.map((tunnel) => `${tunnel.target} ${tunnel.status}`)).to.deep.equal(
      Array.from({ length: 3 }, () => `${API_HOST}:${port} 200`),
    );
    expect(proxy.plainRequests).to.equal(0);
    expect(sim.requests.every((request) => request.authorized)).to.equal(true);
    const relayed = proxy.relayed().toString("latin1");
    // The ClientHello names api.narrative.test in clear (SNI), which shares "narrative" with the token: look
    // for the token's own part.
    expect(relayed).not.to.include(token);
    expect(tokenLeaks(relayed, token.slice(token.indexOf("SECRET")))).to.deep.equal([]);
    for (const plain of ["Bearer", "/jobs/", "reschedule"]) {
      expect(relayed, plain).not.to.include(plain);
    }
  });

  it("a wrong proxy password: refresh fails naming the proxy and HTTPS_PROXY, sends nothing, shows no credentials", async () => {
    const { proxied, sim, workspace } = context();
    const proxyHost = new URL(proxied.proxy.url).host;
    const { result, requests } = await watchRequests(sim, () =>
      workspace.pulumi(["refresh", "--yes", "--skip-preview"], {
        env: { HTTPS_PROXY: proxyUrl(proxied.proxy, "not-the-password") },
        allowFailure: true,
      }),
    );
    expect(result.code, result.output).not.to.equal(0);
    expect(result.output.replace(/\s+/g, " ")).to.include(
      `GET /jobs/${SEED_JOB_ID} on ${API_HOST}:${new URL(proxied.apiUrl).port} failed: could not talk to the ` +
        `API (the proxy ${proxyHost} from HTTPS_PROXY answered 407 Proxy Authentication Required: check the ` +
        "user name and password in HTTPS_PROXY",
    );
    expect(requests, describeRequests(requests)).to.have.length(0);
    expect(proxied.proxy.tunnels.at(-1)?.status).to.equal(407);
  });

  it("the state holds neither the proxy's address nor its credentials", async () => {
    const { proxied, workspace } = context();
    const exported = (await workspace.exportStack()).text;
    expect(exported).to.include(SEED_JOB_ID);
    expect(exported).not.to.include(new URL(proxied.proxy.url).host);
    expectNoProxyCredentials(exported, "stack export");
    const files = await workspace.backendFiles();
    expect(files).not.to.have.length(0);
    for (const file of files) {
      const text = await fs.readFile(file, "utf8");
      expect(text, file).not.to.include(new URL(proxied.proxy.url).host);
      expectNoProxyCredentials(text, file);
    }
  });

  it("destroy sends no request", () => destroySendsNothing(context()));

  it("no CLI output holds the proxy's credentials", () => {
    for (const command of context().transcript()) {
      expectNoProxyCredentials(`${command.command}\n${command.output}`, command.command);
    }
  });
}
