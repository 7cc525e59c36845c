import { expect } from "chai";
import { compareVersions } from "../../provider/common/package-version";

describe("compareVersions", () => {
  it("orders by major, minor and patch, numerically", () => {
    expect(compareVersions("0.2.0", "0.1.9")).to.be.greaterThan(0);
    expect(compareVersions("0.10.0", "0.9.0")).to.be.greaterThan(0);
    expect(compareVersions("1.0.0", "1.0.0")).to.equal(0);
    expect(compareVersions("1.0.0-rc.1", "1.0.0")).to.equal(0);
    expect(compareVersions("v2.0.0", "10.0.0")).to.be.lessThan(0);
    expect(compareVersions("next", "1.0.0")).to.equal(undefined);
  });
});
