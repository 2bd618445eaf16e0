import { describe, expect, it } from "vitest";
import { chunked } from "./chunked";

describe("chunked", () => {
  it("cuts a list into full slices of the size asked and a shorter last one, in order", () => {
    expect(chunked([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it("gives one slice for a list that fits, and none for an empty list", () => {
    expect(chunked(["a", "b"], 5)).toEqual([["a", "b"]]);
    expect(chunked([], 5)).toEqual([]);
  });

  it("gives exact slices when the size divides the length", () => {
    expect(chunked([1, 2, 3, 4], 2)).toEqual([[1, 2], [3, 4]]);
  });

  it("copies: changing a slice leaves the list as it was", () => {
    const items = [1, 2, 3];
    chunked(items, 2)[0]?.push(99);
    expect(items).toEqual([1, 2, 3]);
  });

  it("refuses a size that could not advance or would cut uneven slices", () => {
    for (const size of [0, -1, 1.5, Number.NaN]) expect(() => chunked([1, 2], size)).toThrow(RangeError);
  });
});
