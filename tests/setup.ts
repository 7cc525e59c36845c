// Loaded once by .mocharc.cjs: every test starts with no sinon fakes left over from another.
import * as sinon from "sinon";

export const mochaHooks = {
  afterEach(): void {
    sinon.restore();
  },
};
