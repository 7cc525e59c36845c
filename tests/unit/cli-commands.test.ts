import { expect } from "chai";
import { listPageSize } from "../../provider/cli/commands";

describe("cli: list page size", () => {
  it("one request up to 500 jobs; beyond, equal pages of at most 500 overshooting by less than one a page", () => {
    expect(listPageSize(1)).to.equal(1);
    expect(listPageSize(500)).to.equal(500);
    expect(listPageSize(501)).to.equal(251);
    expect(listPageSize(1000)).to.equal(500);
    expect(listPageSize(1201)).to.equal(401);
    for (let limit = 1; limit <= 10_000; limit++) {
      const size = listPageSize(limit);
      const pages = Math.ceil(limit / size);
      expect(size).to.be.at.most(500);
      expect(pages * size - limit, String(limit)).to.be.below(pages);
    }
  });
});
