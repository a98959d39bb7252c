/**
 * `formatDateTime` writes every datetime of every answer; it builds the date from a small cache of
 * days and the time of day by arithmetic. Checked here against `Date#toISOString` itself, over the whole
 * range `Date` can hold, fractions and negative (pre-1970) instants included.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDateTime, parseIsoDateTime } from "../../src/schema/common";

/** The reference: `toISOString` to the second, then pydantic's six fractional digits when not zero. */
function viaToIsoString(ms: number): string {
  const totalMicros = Math.round(ms * 1000);
  const seconds = Math.floor(totalMicros / 1_000_000);
  const micros = totalMicros - seconds * 1_000_000;
  const iso = new Date(seconds * 1000).toISOString();
  const base = iso.slice(0, iso.indexOf("."));
  return micros === 0 ? `${base}Z` : `${base}.${String(micros).padStart(6, "0")}Z`;
}

const MAX_MS = 8.64e15;

describe("formatDateTime", () => {
  it("equals toISOString (to the second, then µs) anywhere in Date's range", () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX_MS / 1000 + 1, max: MAX_MS / 1000 - 1 }), fc.integer({ min: 0, max: 999_999 }), (seconds, micros) => {
        const ms = seconds * 1000 + micros / 1000;
        expect(formatDateTime(ms)).toBe(viaToIsoString(ms));
      }),
      { numRuns: 2000 },
    );
  });

  it("is right across day boundaries, one after another (the day cache)", () => {
    const day = 86_400_000;
    const instants = [0, -1, 1, day - 1, day, day + 1, -day, -day - 1, -day + 1, 1_735_689_599_999.999, 1_735_689_600_000];
    for (const ms of [...instants, ...instants.reverse()]) expect(formatDateTime(ms)).toBe(viaToIsoString(ms));
  });

  it("is right when more days come and go than its cache holds (64), each revisited", () => {
    const day = 86_400_000;
    const instants = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 1 : -1) * ((i * 7919) % 150) * day + i * 1_001.5);
    for (const ms of [...instants, ...instants, ...instants.reverse()]) expect(formatDateTime(ms)).toBe(viaToIsoString(ms));
  });

  it("writes what parseIsoDateTime reads back", () => {
    expect(formatDateTime(parseIsoDateTime("2025-01-01T00:00:00.3Z") ?? Number.NaN)).toBe("2025-01-01T00:00:00.300000Z");
    expect(formatDateTime(parseIsoDateTime("1969-12-31T23:59:59Z") ?? Number.NaN)).toBe("1969-12-31T23:59:59Z");
    // Past year 9999, the extended form toISOString writes.
    expect(formatDateTime(Date.UTC(10_000, 0, 1))).toBe("+010000-01-01T00:00:00Z");
  });

  it("refuses what Date cannot hold, as toISOString does", () => {
    expect(() => formatDateTime(Number.NaN)).toThrow(RangeError);
    expect(() => formatDateTime(MAX_MS + 1000)).toThrow(RangeError);
  });
});

describe("parseIsoDateTime, the toISOString form (its digit-by-digit fast path)", () => {
  it("reads any toISOString text of years 1-9999 as Date.parse does (Python has no year 0)", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("0001-01-01T00:00:00.000Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }), (date) => {
        const text = date.toISOString();
        expect(parseIsoDateTime(text)).toBe(date.getTime());
      }),
      { numRuns: 3000 },
    );
  });

  it("refuses impossible dates and times, leap days in leap years only", () => {
    for (const text of [
      "2023-02-29T00:00:00.000Z",
      "1900-02-29T00:00:00.000Z",
      "2025-04-31T00:00:00.000Z",
      "2025-13-01T00:00:00.000Z",
      "2025-00-10T00:00:00.000Z",
      "2025-01-00T00:00:00.000Z",
      "2025-01-31T24:00:00.000Z",
      "2025-01-31T23:60:00.000Z",
      "2025-01-31T23:59:60.000Z",
      "2025-01-3xT23:59:59.000Z",
      "0000-01-01T00:00:00.000Z",
    ]) {
      expect(parseIsoDateTime(text), text).toBeUndefined();
    }
    expect(parseIsoDateTime("2024-02-29T12:00:00.000Z")).toBe(Date.UTC(2024, 1, 29, 12));
    expect(parseIsoDateTime("2000-02-29T00:00:00.000Z")).toBe(Date.UTC(2000, 1, 29));
  });

  it("reads years below 100 as themselves, not as 1900-1999", () => {
    const year99 = new Date(0);
    year99.setUTCFullYear(99, 0, 1);
    expect(parseIsoDateTime("0099-01-01T00:00:00.000Z")).toBe(year99.getTime());
  });
});
