/** The bench report's paired ratio: each weft repetition over the baseline repetition of its round. */
import { describe, expect, it } from "vitest";
import { pairedRatio } from "../../bench/report";

describe("pairedRatio", () => {
  it("is the median of the per-round ratios, not the ratio of the medians", () => {
    // The machine slows down for the first two rounds: both sides pay, and the pairs show it.
    const weft = [4000, 3900, 2600, 2500, 2700];
    const baseline = [4000, 3900, 2000, 2000, 2000];
    expect(pairedRatio(weft, baseline)).toBeCloseTo(1.25, 10);
    // The ratio of the medians (2700 / 2000) would say 1.35.
  });

  it("is null without pairs", () => {
    expect(pairedRatio([], [])).toBeNull();
    expect(pairedRatio([1, 2], [1])).toBeNull();
  });
});
